"""The database's own full-text index over ``search_entry.tokens``, per backend.

SQLite: an FTS5 table (rowid = entry id) kept in step by triggers. PostgreSQL: a GIN index
on the tokens' tsvector (built from the tokens as they are: they are already stemmed).
Other databases get nothing (the search falls back to matching in Python).
"""

from django.db import migrations

SQLITE_FORWARD = [
    # Tokens are lower-case letters and digits: unicode61 splits them exactly as stored.
    "CREATE VIRTUAL TABLE search_entry_fts USING fts5("
    "tokens, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3 4')",
    "CREATE TRIGGER search_entry_fts_insert AFTER INSERT ON search_entry BEGIN "
    "INSERT INTO search_entry_fts (rowid, tokens) VALUES (new.id, new.tokens); END",
    "CREATE TRIGGER search_entry_fts_delete AFTER DELETE ON search_entry BEGIN "
    "DELETE FROM search_entry_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER search_entry_fts_update AFTER UPDATE OF tokens ON search_entry BEGIN "
    "DELETE FROM search_entry_fts WHERE rowid = old.id; "
    "INSERT INTO search_entry_fts (rowid, tokens) VALUES (new.id, new.tokens); END",
    "INSERT INTO search_entry_fts (rowid, tokens) SELECT id, tokens FROM search_entry",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_entry_fts_update",
    "DROP TRIGGER IF EXISTS search_entry_fts_delete",
    "DROP TRIGGER IF EXISTS search_entry_fts_insert",
    "DROP TABLE IF EXISTS search_entry_fts",
]
POSTGRESQL_FORWARD = [
    "CREATE INDEX search_entry_tokens_gin ON search_entry "
    "USING GIN (array_to_tsvector(string_to_array(tokens, ' ')))",
]
POSTGRESQL_BACKWARD = ["DROP INDEX IF EXISTS search_entry_tokens_gin"]

STATEMENTS = {
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
    "postgresql": (POSTGRESQL_FORWARD, POSTGRESQL_BACKWARD),
}


def _run(direction):
    def run(apps, schema_editor):
        statements = STATEMENTS.get(schema_editor.connection.vendor)
        if statements:
            for sql in statements[direction]:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(_run(0), _run(1), elidable=False)]
