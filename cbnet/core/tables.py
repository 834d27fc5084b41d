"""Table bases for list pages (django-tables2) and the columns several apps share.

A ``{Model}Table`` subclasses ``BaseTable``; its visible columns are also the columns of
the CSV/XLSX export (``exclude_from_export=True`` leaves one out; a ``value_<column>``
method gives the export a plain value where the page shows HTML).
"""

import django_tables2 as tables
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

PAGE_SIZES = (25, 50, 100, 250)
DEFAULT_PAGE_SIZE = 50
STALE_AFTER_DAYS = 365


class BaseTable(tables.Table):
    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        template_name = "django_tables2/bootstrap5.html"
        empty_text = _("Nothing matches these filters.")


class ArchivedColumn(tables.Column):
    """Shows an "archived" badge; empty for live rows."""

    def __init__(self, **kwargs):
        kwargs.setdefault("verbose_name", _("Archived"))
        kwargs.setdefault("accessor", "archived_at")
        kwargs.setdefault("default", "")
        super().__init__(**kwargs)

    def render(self, value):
        return format_html('<span class="badge text-bg-secondary">{}</span>', _("archived"))

    def value(self, value):
        return value


def freshness_badge(confirmed_on, today=None):
    """A badge with the date contacts were confirmed; red when never or over a year ago."""
    today = today or timezone.localdate()
    if confirmed_on is None:
        return format_html('<span class="badge text-bg-danger">{}</span>', _("never confirmed"))
    stale = (today - confirmed_on).days > STALE_AFTER_DAYS
    return format_html(
        '<span class="badge {}" title="{}">{}</span>',
        "text-bg-danger" if stale else "text-bg-success",
        _("Contacts confirmed on") if not stale else _("Contacts not confirmed for over a year"),
        date_format(confirmed_on, "SHORT_DATE_FORMAT"),
    )


class FreshnessColumn(tables.Column):
    def __init__(self, **kwargs):
        kwargs.setdefault("verbose_name", _("Contacts confirmed"))
        kwargs.setdefault("accessor", "contacts_confirmed_on")
        kwargs.setdefault("empty_values", ())  # "never confirmed" is rendered too
        super().__init__(**kwargs)

    def render(self, value):
        return freshness_badge(value)

    def value(self, value):
        return value
