"""Table bases for list pages (django-tables2) and the columns several apps share.

A ``{Model}Table`` subclasses ``BaseTable``; its visible columns are also the columns of
the CSV/XLSX export (``exclude_from_export=True`` leaves one out; a ``value_<column>``
method gives the export a plain value where the page shows HTML).

Pages render a table's body with ``BaseTable.body_html()`` (the ``tables/table.html``
template): the same cells as django-tables2's own template (``render_FOO``, ``linkify``,
defaults, choices' display values, ``td`` attributes), without its per-cell overhead
(a signature inspection and an attribute dictionary rebuilt for every cell, one template
loop iteration per cell).
"""

import django_tables2 as tables
from django.templatetags.l10n import localize as localize_filter
from django.templatetags.l10n import unlocalize as unlocalize_filter
from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext_lazy as _
from django_tables2.utils import signature

PAGE_SIZES = (25, 50, 100, 250)
DEFAULT_PAGE_SIZE = 50
STALE_AFTER_DAYS = 365


class BaseTable(tables.Table):
    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        template_name = "tables/table.html"
        empty_text = _("Nothing matches these filters.")

    def body_html(self):
        """The ``<tr>`` rows of the current page, as django-tables2's template renders them."""
        columns = [_CellRenderer(self, bound_column) for bound_column in self.columns]
        plain_rows = not self.row_attrs
        parts = []
        for row in self.paginated_rows:
            if plain_rows:
                parts.append('<tr class="odd">' if row.row_counter % 2 else '<tr class="even">')
            else:
                parts.append(f"<tr {row.attrs.as_html()}>")
            for column in columns:
                parts.append(column.td(row))
            parts.append("</tr>")
        if not parts and self.empty_text:
            parts.append(
                format_html('<tr><td colspan="{}">{}</td></tr>', len(self.columns), self.empty_text)
            )
        return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above


def _has_callable(attrs):
    if callable(attrs):
        return True
    if isinstance(attrs, dict):
        return any(_has_callable(value) for value in attrs.values())
    return False


class _CellRenderer:
    """One column's cells: what django-tables2 works out per cell, worked out once."""

    def __init__(self, table, bound_column):
        self.table = table
        self.bound_column = bound_column
        self.column = bound_column.column
        self.default = bound_column.default
        self.link = bound_column.link
        self.render = bound_column.render
        self.args, self.catch_all = signature(self.render)
        self.localize = self.column.localize
        cell_attrs = {**dict(table.attrs), **dict(self.column.attrs)}
        self.dynamic_attrs = _has_callable(cell_attrs.get("td", cell_attrs.get("cell", {})))
        if not self.dynamic_attrs:
            self.td_open = f"<td {bound_column.attrs['td'].as_html()}>"

    def call_render(self, row, bound_column, value=None):
        kwargs = {
            "value": value,
            "record": row.record,
            "column": self.column,
            "bound_column": bound_column,
            "bound_row": row,
            "table": self.table,
        }
        if self.catch_all:
            content = self.render(**kwargs)
        elif all(arg in kwargs for arg in self.args):
            content = self.render(**{arg: kwargs[arg] for arg in self.args})
        else:
            content = None
        return self.link(content, **kwargs) if self.link else content

    def td(self, row):
        bound_column = self.bound_column
        cell = row._get_and_render_with(
            bound_column,
            render_func=lambda bc, value=None: self.call_render(row, bc, value),
            default=self.default,
        )
        if self.localize is None:
            text = conditional_escape(str(localize(template_localtime(cell))))
        elif self.localize:
            text = conditional_escape(localize_filter(cell))
        else:
            text = conditional_escape(unlocalize_filter(cell))
        if self.dynamic_attrs:
            bound_column.current_value = cell
            bound_column.current_record = row.record
            return f"<td {bound_column.attrs['td'].as_html()}>{text}</td>"
        return f"{self.td_open}{text}</td>"


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
