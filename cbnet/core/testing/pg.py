"""pytest plumbing for the PostgreSQL leg of the suite (registered by the root conftest).

scripts/test.sh starts a throwaway PostgreSQL cluster and points DATABASE_URL at it; the
tests marked ``browser`` and ``fuzz`` run only there.
"""

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection

POSTGRESQL_ONLY_MARKERS = ("browser", "fuzz")


def using_postgresql():
    """True when the default database is PostgreSQL (no connection is opened)."""
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    """Skip browser and fuzz tests unless the database is PostgreSQL.

    The SQLite leg deselects them with ``-m``; this keeps a plain ``pytest`` on SQLite from
    running them too.
    """
    if using_postgresql():
        return
    for item in items:
        for name in POSTGRESQL_ONLY_MARKERS:
            if item.get_closest_marker(name):
                reason = f"@pytest.mark.{name} tests run on the PostgreSQL leg (make test)"
                item.add_marker(pytest.mark.skip(reason=reason))
                break


@pytest.fixture
def wsgi_without_connection_close():
    """Keep the test's database connection open across in-process WSGI requests.

    Django closes "old" connections at the start and end of every request. Inside a test
    transaction on PostgreSQL that closes the test's own connection, and the next query
    fails with "the connection is closed". Django's test client disconnects these handlers
    for the same reason; use this fixture when calling the WSGI application directly (e.g.
    ``schemathesis.openapi.from_wsgi``).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
