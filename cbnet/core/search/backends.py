"""Which index rows match a query: one interface, a backend per database.

Both backends get the same prepared terms (``cbnet.core.search.text.query_groups``) and
the rows' prepared tokens, so they answer the same rows:

- SQLite: the FTS5 table ``search_entry_fts`` (rowid = entry id), kept in step with
  ``search_entry`` by triggers (migration 0002). Query: ``("aduana"* OR "aduan"*) AND ...``.
- PostgreSQL: ``array_to_tsvector(string_to_array(tokens, ' '))`` with a GIN index on
  that expression (migration 0002). Query: ``('aduana':* | 'aduan':*) & ...`` cast to
  tsquery (no text-search configuration touches the tokens: they are already stemmed).

``reference_match`` is the same rule in plain Python: the tests compare each backend
against it. Any other database falls back to it (slow, but correct).
"""

from django.db import connections
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from cbnet.core.search.models import SearchEntry


def _quote_fts5(value):
    return '"' + value.replace('"', '""') + '"'


def _quote_tsquery(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def fts5_query(groups):
    return " AND ".join(
        "(" + " OR ".join(_quote_fts5(t.value) + ("*" if t.prefix else "") for t in g) + ")"
        for g in groups
    )


def tsquery(groups):
    return " & ".join(
        "(" + " | ".join(_quote_tsquery(t.value) + (":*" if t.prefix else "") for t in g) + ")"
        for g in groups
    )


def reference_match(tokens, groups) -> bool:
    """Whether a row with space-separated ``tokens`` answers every group of terms."""
    token_list = tokens.split()
    return all(any(term.matches(token) for term in g for token in token_list) for g in groups)


class Backend:
    vendor = "python"

    def filter(self, queryset, groups):
        """``queryset`` (of ``SearchEntry``) narrowed to the rows matching ``groups``."""
        ids = [
            pk
            for pk, tokens in queryset.values_list("pk", "tokens").iterator()
            if reference_match(tokens, groups)
        ]
        return queryset.filter(pk__in=ids)


class SQLiteBackend(Backend):
    vendor = "sqlite"

    def filter(self, queryset, groups):
        table = SearchEntry._meta.db_table
        return queryset.filter(
            RawSQL(
                f'"{table}"."id" IN (SELECT rowid FROM "{table}_fts" WHERE "{table}_fts" MATCH %s)',
                [fts5_query(groups)],
                output_field=BooleanField(),
            )
        )


class PostgreSQLBackend(Backend):
    vendor = "postgresql"

    def filter(self, queryset, groups):
        table = SearchEntry._meta.db_table
        return queryset.filter(
            RawSQL(
                f'array_to_tsvector(string_to_array("{table}"."tokens", \' \')) @@ %s::tsquery',
                [tsquery(groups)],
                output_field=BooleanField(),
            )
        )


BACKENDS = {backend.vendor: backend() for backend in (SQLiteBackend, PostgreSQLBackend)}


def backend_for(using="default") -> Backend:
    return BACKENDS.get(connections[using].vendor, Backend())
