"""One search box over everything the user may see (docs/search.md).

- Apps declare searchable models with weighted fields in their ``search.py``
  (``SearchIndex`` and ``@register_search``, see ``cbnet.core.search.base``).
- ``cbnet.core.search.indexing`` keeps the index (``SearchEntry``) current on save and
  delete; ``manage.py rebuild_search_index`` rebuilds it.
- ``cbnet.core.search.engine.search(user, query)`` answers a query: the database backend
  (SQLite FTS5 or PostgreSQL full-text search) finds the candidate rows, Python ranks them
  and the permission door keeps what the user may view.
"""

from cbnet.core.search.base import SearchIndex, register_search, texts_of

__all__ = ["SearchIndex", "register_search", "texts_of"]
