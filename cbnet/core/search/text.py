"""Turning text into search tokens, identically for what is indexed and what is asked.

A word is lower-cased, then stemmed in each of ``LANGUAGES`` with snowballstemmer (on the
accented word: the stemmers expect it), then every form loses its accents. A record's
tokens are each word's plain form plus its stems: records have no single language (a
Uruguayan's name, a French framework title), so every record is indexed in all four. A
query word becomes a *group* of the same forms; it matches a record if one of the forms is
a prefix of one of the record's tokens (stems shorter than ``MIN_STEM_PREFIX`` must match
exactly, so "josé" (stem "jos") does not find "Josué" through its stem).

Tokens only hold letters and digits (accents stripped, ligatures spelt out), separated by
single spaces: SQLite's FTS5 tokenizer and PostgreSQL's tsvector see exactly these tokens,
and ``cbnet.core.search.backends.reference_match`` reproduces the match in plain Python.
"""

import re
from functools import lru_cache

import snowballstemmer

from cbnet.core.text import strip_accents

LANGUAGES = ("english", "spanish", "french", "portuguese")
MIN_QUERY_WORD = 2  # shorter query words are ignored ("a", "y", "à")
MIN_STEM_PREFIX = 4  # a stem this long or longer also matches as a prefix
MAX_QUERY_WORDS = 10
MAX_TOKEN_LENGTH = 60
MAX_FIELD_CHARS = 20_000

WORD_RE = re.compile(r"[^\W_]+")
# Letters NFKD does not decompose into an ASCII base.
FOLD = str.maketrans(
    {"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ı": "i", "ħ": "h", "þ": "th", "ð": "d"}
)

_stemmers = {language: snowballstemmer.stemmer(language) for language in LANGUAGES}


def words(text: str) -> list[str]:
    """The lower-case words of ``text`` (accents kept), in order."""
    return WORD_RE.findall(text[:MAX_FIELD_CHARS].casefold())


def plain(form: str) -> str:
    """``form`` without accents, ligatures spelt out, letters and digits only."""
    form = strip_accents(form.translate(FOLD))
    return "".join(ch for ch in form if ch.isalnum())[:MAX_TOKEN_LENGTH]


@lru_cache(maxsize=50_000)
def word_forms(word: str) -> tuple[str, tuple[str, ...]]:
    """(plain form, stems) of a lower-case word; stems without the plain form, sorted."""
    base = plain(word)
    stems = set()
    for stemmer in _stemmers.values():
        stem = plain(stemmer.stemWord(word))
        if stem and stem != base:
            stems.add(stem)
    return base, tuple(sorted(stems))


def text_tokens(text: str) -> list[str]:
    """The tokens a record's text is indexed under, without repeats, in first-seen order."""
    seen = {}
    for word in words(text):
        base, stems = word_forms(word)
        for token in (base, *stems):
            if token:
                seen.setdefault(token, None)
    return list(seen)


class Term:
    """One form of a query word: ``value`` matches a token equal to it or, if ``prefix``,
    a token beginning with it."""

    __slots__ = ("value", "prefix", "quality")

    def __init__(self, value, prefix, quality):
        self.value = value
        self.prefix = prefix
        self.quality = quality

    def matches(self, token: str) -> bool:
        return token == self.value or (self.prefix and token.startswith(self.value))

    def __repr__(self):
        return f"Term({self.value!r}{'*' if self.prefix else ''})"


# How well a token matched a query word: the word itself, one of its stems, a prefix.
EXACT, STEM, PREFIX = 1.0, 0.8, 0.5


def query_groups(query: str) -> list[list[Term]]:
    """One group of terms per query word; a record matches if every group matches."""
    groups, seen = [], set()
    for word in words(query):
        base, stems = word_forms(word)
        if len(base) < MIN_QUERY_WORD or base in seen:
            continue
        seen.add(base)
        terms = [Term(base, True, EXACT)]
        for stem in stems:
            if len(stem) >= MIN_QUERY_WORD:
                terms.append(Term(stem, len(stem) >= MIN_STEM_PREFIX, STEM))
        groups.append(terms)
        if len(groups) == MAX_QUERY_WORDS:
            break
    return groups


def term_quality(term: Term, token: str) -> float:
    """How well ``token`` answers ``term`` (0 if it does not)."""
    if token == term.value:
        return term.quality
    if term.prefix and token.startswith(term.value):
        return PREFIX
    return 0.0
