"""The search index: one row per searchable record, kept by ``cbnet.core.search.indexing``."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchEntry(models.Model):
    """What one record is found by.

    ``tokens`` holds every prepared token of the record (``cbnet.core.search.text``),
    separated by single spaces: the database matches queries against it (SQLite: the FTS5
    table ``search_entry_fts``, filled by triggers; PostgreSQL: a GIN index on its
    tsvector). ``fields`` keeps, per indexed field, its weight, tokens and text, for ranking
    and snippets in Python. Derived data: ``manage.py rebuild_search_index`` rebuilds it.
    """

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("kind of record"), on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("record id"))
    title = models.CharField(_("title"), max_length=300)
    tokens = models.TextField(_("tokens"))
    fields = models.JSONField(_("fields"), default=list)
    archived = models.BooleanField(_("archived"), default=False)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        db_table = "search_entry"
        verbose_name = _("search index entry")
        verbose_name_plural = _("search index entries")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="search_entry_unique_object"
            )
        ]

    def __str__(self):
        return self.title
