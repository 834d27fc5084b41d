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

from functools import partialmethod

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Count, Model, QuerySet, Window
from django.templatetags.l10n import localize as localize_filter
from django.templatetags.l10n import unlocalize as unlocalize_filter
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.formats import date_format, localize
from django.utils.hashable import make_hashable
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext_lazy as _
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.columns.manytomanycolumn import ManyToManyColumn
from django_tables2.data import TableQuerysetData
from django_tables2.utils import signature

PAGE_SIZES = (25, 50, 100, 250)
DEFAULT_PAGE_SIZE = 50
STALE_AFTER_DAYS = 365


COUNT_IN_PAGE = "cbnet_count_in_page"


def count_in_page(queryset):
    """Mark a queryset whose rows are found by scanning them (a text search): a table
    paginating it counts the matches in the page's own query (``BaseTable.paginate``)."""
    setattr(queryset.query, COUNT_IN_PAGE, True)  # copied by every clone of the query
    return queryset


class BaseTable(tables.Table):
    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        template_name = "tables/table.html"
        per_page = DEFAULT_PAGE_SIZE  # as the list views, so a search's page is fetched once
        empty_text = _("Nothing matches these filters.")

    def _detail_urls(self):
        if not hasattr(self, "_detail_urls_cache"):
            self._detail_urls_cache = DetailUrls()
        return self._detail_urls_cache

    def detail_url(self, obj):
        """``obj.get_absolute_url()``, cheaper in a loop (see ``DetailUrls``)."""
        return self._detail_urls()(obj)

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        """django-tables2's ``paginate``; for a queryset marked by ``count_in_page`` (a text
        search, which scans the rows anyway) the total comes with the page's rows
        (``COUNT(*) OVER ()``) instead of from a second scan."""
        if paginator_class is Paginator and not args and not kwargs:
            self._count_with_page(per_page or self._meta.per_page, page)
        super().paginate(paginator_class, per_page, page, *args, **kwargs)
        counted = getattr(self, "_counted_page", None)
        sliced = getattr(self.page.object_list, "data", None)
        if counted is not None and isinstance(sliced, QuerySet) and sliced._result_cache is None:
            rows, bottom, sql = counted
            low, high = sliced.query.low_mark, sliced.query.high_mark
            if bottom <= low and high is not None and high <= bottom + len(rows):
                unsliced = sliced.query.clone()
                unsliced.clear_limits()
                if unsliced.sql_with_params() == sql:  # the same query: these are its rows
                    sliced._result_cache = rows[low - bottom : high - bottom]
        return self

    def _count_with_page(self, per_page, page):
        """Fetch the page with ``COUNT(*) OVER ()`` and set ``self.data``'s length from it."""
        data = self.data
        queryset = getattr(data, "data", None)
        if not (
            isinstance(data, TableQuerysetData)
            and isinstance(queryset, QuerySet)
            and getattr(queryset.query, COUNT_IN_PAGE, False)
            and getattr(data, "_length", None) is None
            and not queryset.query.distinct
            and queryset.query.group_by is None
            and not queryset.query.is_sliced
            and not queryset.query.combinator
            and not queryset._prefetch_related_lookups
            and queryset._result_cache is None
        ):
            return
        try:
            number = int(page)
        except (TypeError, ValueError):
            return
        if number < 1:
            return
        bottom = (number - 1) * per_page
        rows = list(queryset.annotate(_cbnet_total=Window(Count("pk")))[bottom : bottom + per_page])
        if not rows:
            return  # no match, or past the last page: the paginator counts and says so
        data._length = rows[0]._cbnet_total
        self._counted_page = (rows, bottom, queryset.query.sql_with_params())

    def body_html(self):
        """The ``<tr>`` rows of the current page, as django-tables2's template renders them."""
        detail_urls = self._detail_urls()
        columns = [_CellRenderer(self, column, detail_urls) for column in self.columns]
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


_SLOW = object()  # "let django-tables2 work this cell out"


def _resolve(obj, bits):
    """``Accessor.resolve`` for model instances and plain attributes; ``_SLOW`` otherwise."""
    for bit in bits:
        if not isinstance(obj, Model):
            return _SLOW
        try:
            obj = getattr(obj, bit)
        except AttributeError:
            return _SLOW
        if callable(obj):
            return _SLOW
        if obj is None:
            return None
    return obj


def _display_choices(model, name):
    """How django-tables2 shows this model field: False (the value itself), True (call
    ``get_<name>_display()``) or a dict of the choices when that method is Django's own
    (``Model._get_FIELD_display``), looked up here instead of rebuilt for every row."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    method = f"get_{name}_display"
    if not (getattr(field, "choices", ()) and hasattr(model, method)):
        return False
    own = next((vars(cls)[method] for cls in model.__mro__ if method in vars(cls)), None)
    if (
        isinstance(own, partialmethod)
        and own.func is Model._get_FIELD_display
        and own.keywords.get("field") is field
    ):
        return dict(make_hashable(field.flatchoices))
    return True


class DetailUrls:
    """``obj.get_absolute_url()`` from a cached URL pattern when it is ``{app}:{model}_detail``
    with the primary key (checked on the first object of each model; otherwise the model's
    own method is called for every object)."""

    _MARK = 918273645

    def __init__(self):
        self.patterns = {}

    def __call__(self, obj):
        model = type(obj)
        pattern = self.patterns.get(model)
        if pattern is None:
            pattern = self.patterns[model] = self._pattern(obj)
        if pattern is False or not isinstance(obj.pk, int):
            return obj.get_absolute_url()
        return f"{pattern[0]}{obj.pk}{pattern[1]}"

    def for_pk(self, model, pk):
        """``model(pk=pk).get_absolute_url()`` without building the instance each time."""
        pattern = self.patterns.get(model)
        if pattern is None:
            pattern = self.patterns[model] = self._pattern(model(pk=pk))
        if pattern is False or not isinstance(pk, int):
            return model(pk=pk).get_absolute_url()
        return f"{pattern[0]}{pk}{pattern[1]}"

    def _pattern(self, obj):
        meta = obj._meta
        try:
            url = reverse(f"{meta.app_label}:{meta.model_name}_detail", args=[self._MARK])
        except NoReverseMatch:
            return False
        prefix, found, suffix = url.partition(str(self._MARK))
        if not found or not isinstance(obj.pk, int):
            return False
        if f"{prefix}{obj.pk}{suffix}" != obj.get_absolute_url():
            return False
        return prefix, suffix


def _anchor(href, content):
    """LinkTransform's ``<a>`` without attributes of its own."""
    if href is None:
        return content
    return format_html('<a href="{}">{}</a>', href, content)


class _CellRenderer:
    """One column's cells: what django-tables2 works out per cell, worked out once.

    Cells it cannot do the simple way (callables on the accessor path, lookups that fail,
    link columns with their own URL or attributes, many-to-many columns) go through
    django-tables2's own ``BoundRow._get_and_render_with``.
    """

    def __init__(self, table, bound_column, detail_urls):
        self.table = table
        self.bound_column = bound_column
        self.column = column = bound_column.column
        self.default = bound_column.default
        self.empty_values = column.empty_values
        self.link = bound_column.link
        self.render = bound_column.render
        self.args, self.catch_all = signature(self.render)
        self.plain_render = getattr(self.render, "__func__", None) is tables.Column.render
        self.localize = column.localize
        self.detail_urls = detail_urls
        accessor = bound_column.accessor
        self.always_slow = (
            isinstance(column, ManyToManyColumn)
            or (isinstance(column, BaseLinkColumn) and column.text is not None)
            or accessor.SEPARATOR != "__"
            or accessor == ""
            or bool(accessor.callable_args or accessor.callable_kwargs)
        )
        bits = accessor.bits
        self.path, self.remainder = bits[:-1], bits[-1] if bits else ""
        self.choices = {}
        link = self.link
        plain_link = link is not None and not link.reverse_args and not link.attrs
        self.simple_link = (
            plain_link and link.url is None and (link.accessor is None or "__" not in link.accessor)
        )
        self.url_link = plain_link and callable(link.url)
        if self.url_link:
            self.url_args, self.url_catch_all = signature(link.url)
        if self.simple_link:
            self.link_bits = (
                (link.accessor or bound_column.name,)
                if (link.accessor or bound_column.name)
                else ()
            )
        cell_attrs = {**dict(table.attrs), **dict(column.attrs)}
        self.dynamic_attrs = _has_callable(cell_attrs.get("td", cell_attrs.get("cell", {})))
        if not self.dynamic_attrs:
            self.td_open = f"<td {bound_column.attrs['td'].as_html()}>"

    def value(self, record):
        """The cell's value, or ``_SLOW``."""
        if self.always_slow:
            return _SLOW
        owner = _resolve(record, self.path) if self.path else record
        if owner is None or owner is _SLOW:
            return owner
        if isinstance(owner, Model):
            model = type(owner)
            choices = self.choices.get(model)
            if choices is None:
                choices = self.choices[model] = _display_choices(model, self.remainder)
            if choices is True:
                return getattr(owner, f"get_{self.remainder}_display")()
            if choices:
                raw = getattr(owner, self.remainder)
                return force_str(choices.get(make_hashable(raw), raw), strings_only=True)
        return _resolve(owner, (self.remainder,))

    def call_render(self, row, bound_column, value=None):
        record = row.record
        if self.plain_render and not self.catch_all:
            content = value
        else:
            kwargs = {
                "value": value,
                "record": record,
                "column": self.column,
                "bound_column": bound_column,
                "bound_row": row,
                "table": self.table,
            }
            if self.catch_all:
                content = self.render(**kwargs)
            elif len(self.args) == 1:
                content = self.render(kwargs[self.args[0]]) if self.args[0] in kwargs else None
            elif all(arg in kwargs for arg in self.args):
                content = self.render(**{arg: kwargs[arg] for arg in self.args})
            else:
                content = None
        if not self.link:
            return content
        if self.simple_link:
            target = _resolve(record, self.link_bits) if self.link_bits else record
            if target is not _SLOW:
                if not hasattr(target, "get_absolute_url"):
                    target = record
                if isinstance(target, Model):
                    return _anchor(self.detail_urls(target), content)
        kwargs = {
            "value": value,
            "record": record,
            "column": self.column,
            "bound_column": bound_column,
            "bound_row": row,
            "table": self.table,
        }
        if self.url_link:
            if self.url_catch_all:
                return _anchor(self.link.url(**kwargs), content)
            if all(arg in kwargs for arg in self.url_args):
                return _anchor(
                    self.link.url(**{arg: kwargs[arg] for arg in self.url_args}), content
                )
            return _anchor(None, content)
        return self.link(content, **kwargs)

    def td(self, row):
        bound_column = self.bound_column
        value = self.value(row.record)
        if value is _SLOW:
            cell = row._get_and_render_with(
                bound_column,
                render_func=lambda bc, value=None: self.call_render(row, bc, value),
                default=self.default,
            )
        elif value in self.empty_values:
            cell = self.default
        else:
            cell = self.call_render(row, bound_column, value)
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
