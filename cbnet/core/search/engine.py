"""Answering a query: candidates from the database, ranking in Python, the permission door.

1. The query is prepared like the records (``text.query_groups``) and refused with a clear
   message if it is empty, too short or too long (``SearchError``).
2. The database backend returns the matching index rows (archived records left out unless
   asked), at most ``MAX_CANDIDATES``, by id: the same rows on SQLite and PostgreSQL.
3. Python ranks them: for each query word, the best (quality x 1000 / field weight) over
   the record's fields, summed over the words; ties by title, then kind, then id. The
   ranking never depends on the database, so both backends give the same order.
4. The permission door: per kind of record, one ``restrict(user, "view")`` query over the
   candidates' ids keeps what the user may see (and drops archived rows whose index entry
   is stale). The results page then loads its page of objects, one query per kind.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib.contenttypes.models import ContentType
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from cbnet.core.search import base
from cbnet.core.search.backends import backend_for
from cbnet.core.search.models import SearchEntry
from cbnet.core.search.text import (
    MAX_QUERY_WORDS,
    MIN_QUERY_WORD,
    WORD_RE,
    query_groups,
    term_quality,
    word_forms,
)
from cbnet.core.text import normalize

MAX_QUERY_CHARS = 200
MAX_CANDIDATES = 2000
SNIPPET_CHARS = 160


class SearchError(ValueError):
    """The query cannot be searched; ``message`` says why, in the user's language."""

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Hit:
    index: type
    object_id: int
    title: str
    fields: list
    score: float = 0.0
    best_field: int = 0
    obj: object = None

    @property
    def model(self):
        return self.index.model

    @property
    def label(self):
        return self.index.label()

    @property
    def type_name(self):
        return self.model._meta.verbose_name

    @property
    def url(self):
        return self.obj.get_absolute_url() if self.obj is not None else ""

    @property
    def display_title(self):
        return str(self.obj) if self.obj is not None else self.title

    def sort_key(self):
        return (-round(self.score, 6), normalize(self.title), self.label, self.object_id)


@dataclass
class Outcome:
    query: str
    groups: list
    hits: list = field(default_factory=list)
    truncated: bool = False  # more than MAX_CANDIDATES matched: refine the query


def prepare_query(query):
    """The query's term groups, or ``SearchError`` with the reason."""
    query = (query or "").strip()
    if not query:
        raise SearchError(_("Type a word or a name to search for."), "empty")
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(
            _("Search for at most %(count)d characters.") % {"count": MAX_QUERY_CHARS}, "long"
        )
    groups = query_groups(query)
    if not groups:
        raise SearchError(
            _("Type at least %(count)d letters or digits to search.") % {"count": MIN_QUERY_WORD},
            "short",
        )
    return groups


def score(fields, groups):
    """(score, index of the field that scored most) of a record's indexed fields."""
    total, best_field, best_part = 0.0, 0, -1.0
    split = [(weight, tokens.split()) for _name, weight, tokens, _text in fields]
    for group in groups:
        best = 0.0
        for position, (weight, tokens) in enumerate(split):
            quality = max((term_quality(t, tok) for t in group for tok in tokens), default=0.0)
            part = quality * 1000 / weight
            if part > best:
                best = part
            if part > best_part:
                best_part, best_field = part, position
        total += best
    return total, best_field


def rank(rows, groups, indexes_by_ct):
    """Hits for ``rows`` of (content type id, object id, title, fields), best first."""
    hits = []
    for content_type_id, object_id, title, fields in rows:
        index = indexes_by_ct.get(content_type_id)
        if index is None:  # a model no longer registered: rebuild_search_index drops it
            continue
        hit = Hit(index=index, object_id=object_id, title=title, fields=fields)
        hit.score, hit.best_field = score(fields, groups)
        hits.append(hit)
    hits.sort(key=Hit.sort_key)
    return hits


def indexes_by_content_type(using=None):
    manager = ContentType.objects.db_manager(using)
    return {manager.get_for_model(index.model).pk: index for index in base.REGISTRY.values()}


def candidate_rows(groups, *, include_archived=False, using=None):
    queryset = SearchEntry.objects.using(using)
    if not include_archived:
        queryset = queryset.filter(archived=False)
    queryset = backend_for(using or "default").filter(queryset, groups)
    return list(
        queryset.order_by("pk").values_list("content_type_id", "object_id", "title", "fields")[
            : MAX_CANDIDATES + 1
        ]
    )


def visible_ids(user, index, ids, *, include_archived=False):
    queryset = index.model._default_manager.restrict(user, "view").filter(pk__in=ids)
    if not include_archived and any(f.name == "archived_at" for f in index.model._meta.fields):
        queryset = queryset.filter(archived_at__isnull=True)
    return set(queryset.values_list("pk", flat=True))


def search(user, query, *, include_archived=False, using=None):
    """Every record matching ``query`` that ``user`` may view, best first (``Outcome``)."""
    groups = prepare_query(query)
    rows = candidate_rows(groups, include_archived=include_archived, using=using)
    outcome = Outcome(query=query, groups=groups, truncated=len(rows) > MAX_CANDIDATES)
    hits = rank(rows[:MAX_CANDIDATES], groups, indexes_by_content_type(using))
    by_index = defaultdict(list)
    for hit in hits:
        by_index[hit.index].append(hit.object_id)
    allowed = {
        index: visible_ids(user, index, ids, include_archived=include_archived)
        for index, ids in by_index.items()
    }
    outcome.hits = [hit for hit in hits if hit.object_id in allowed[hit.index]]
    return outcome


def load_objects(user, hits):
    """Attach each hit's object (one query per kind of record, through the door); hits whose
    record has gone since are dropped. Returns the hits kept."""
    by_index = defaultdict(list)
    for hit in hits:
        by_index[hit.index].append(hit)
    for index, group in by_index.items():
        objects = index.model._default_manager.restrict(user, "view").select_related(
            *index.select_related
        )
        found = objects.in_bulk([hit.object_id for hit in group])
        for hit in group:
            hit.obj = found.get(hit.object_id)
    return [hit for hit in hits if hit.obj is not None]


# --- snippets -------------------------------------------------------------------------------


class Snippet:
    """The hit's best-matching field: its label and its text with the matched words marked."""

    def __init__(self, hit, groups):
        self.hit = hit
        self.groups = groups

    @cached_property
    def _field(self):
        return self.hit.fields[self.hit.best_field] if self.hit.fields else ["", 0, "", ""]

    @property
    def label(self):
        name = self._field[0]
        try:
            return self.hit.model._meta.get_field(name).verbose_name
        except Exception:
            return ""

    @property
    def html(self):
        return highlight(self._field[3], self.groups)


def _word_matches(word, groups):
    base_form, stems = word_forms(word.casefold())
    tokens = (base_form, *stems)
    return any(term.matches(token) for group in groups for term in group for token in tokens)


def highlight(text, groups, width=SNIPPET_CHARS):
    """``text`` escaped, with the words that match the query in ``<mark>``, cut to about
    ``width`` characters around the first match."""
    matches = [m for m in WORD_RE.finditer(text) if _word_matches(m.group(), groups)]
    start, end = 0, len(text)
    if len(text) > width:
        first = matches[0].start() if matches else 0
        start = max(0, first - width // 3)
        end = min(len(text), start + width)
    parts, position = [], start
    for match in matches:
        if match.start() < start or match.end() > end:
            continue
        parts.append(escape(text[position : match.start()]))
        parts.append("<mark>" + escape(match.group()) + "</mark>")
        position = match.end()
    parts.append(escape(text[position:end]))
    html = "".join(parts)
    if start > 0:
        html = "…" + html
    if end < len(text):
        html += "…"
    return mark_safe(html)  # noqa: S308  (every piece of text is escaped above)


__all__ = ["MAX_QUERY_WORDS", "SearchError", "search", "load_objects", "Snippet", "highlight"]
