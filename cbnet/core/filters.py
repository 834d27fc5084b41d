"""Filter bases for list pages and the API: a free-text ``q`` and the archived switch.

``q`` is normalised like ``search_text`` (cbnet.core.text.normalize) and every word must
appear in one of ``search_paths`` (``search_text`` by default; a model's Filter may add
related rows' search text, e.g. ``("search_text", "person__search_text")``). Matching is a
plain ``contains`` on already-normalised text, so it behaves the same on SQLite and
PostgreSQL and "Ramirez" finds "Ramírez". Paths across a to-many relation need
``search_distinct = True``.

Archivable models hide archived rows unless ``archived=yes`` (only archived) or
``archived=all``.

Selects render their options in Python (``FastSelect``): the same HTML as Django's widget
templates without one template rendering per option (a country or organisation filter has
hundreds).
"""

import time
from types import FunctionType

import django_filters
from django import forms
from django.db.models import Count, Max, Q
from django.db.models.signals import post_delete, post_save
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cbnet.core.tables import count_in_page
from cbnet.core.text import normalize

ARCHIVED_CHOICES = (("no", _("Not archived")), ("yes", _("Archived")), ("all", _("All")))
YES_NO_ALL = (("yes", _("Yes")), ("no", _("No")), ("all", _("All")))


def _text(value):
    """``{{ value|stringformat:'s' }}`` in an autoescaped template."""
    return conditional_escape(value if isinstance(value, SafeData) else str(value))


def _attrs_html(attrs):
    """django/forms/widgets/attrs.html."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{_text(value)}"')
    return "".join(parts)


class FastSelect(forms.Select):
    """``forms.Select`` rendering django/forms/widgets/select.html's HTML without templates."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [
            f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>'
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{_text(option["value"])}"{_attrs_html(option["attrs"])}>'
                    f"{conditional_escape(localize(option['label']))}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above


# Option lists of CachedModelChoiceFilter selects: {(language, label, model, SQL): (key,
# built_at, options)}. Per process; an entry is rebuilt when the rows' count or latest
# ``updated`` changes (every save through the model bumps ``updated``, in any process), when
# this process saves or deletes a row of the model, and at the latest after OPTIONS_MAX_AGE
# seconds (a bulk ``update()`` bypasses ``updated`` and signals).
_OPTIONS_CACHE = {}
_WATCHED = set()
OPTIONS_MAX_AGE = 300


def _forget_options(sender, **kwargs):
    for key in [key for key in _OPTIONS_CACHE if key[3] is sender]:
        _OPTIONS_CACHE.pop(key, None)


def _watch(model):
    if model not in _WATCHED:
        _WATCHED.add(model)
        post_save.connect(_forget_options, sender=model, weak=False)
        post_delete.connect(_forget_options, sender=model, weak=False)


class CachedOptionsSelect(FastSelect):
    """A ``FastSelect`` whose options are built once: for a ``ModelChoiceField`` per language
    and version of the rows (one small aggregate query instead of loading every row), for
    choices given by a function (``country_choices``) per language."""

    def _options(self, name, attrs):
        iterator = self.choices
        field = getattr(iterator, "field", None)
        queryset = getattr(field, "queryset", None)
        source = getattr(iterator, "choices", None)
        if queryset is None and isinstance(source, FunctionType):
            # Choices from a function of the language only (e.g. country_choices).
            cache_key = (
                get_language(),
                type(field),
                str(field.empty_label),
                str(getattr(field, "null_label", None)),
                getattr(field, "null_value", None),
                source,
            )
            version = None
        elif queryset is not None and hasattr(queryset.model, "updated"):
            _watch(queryset.model)
            cache_key = (
                get_language(),
                type(field),
                str(field.empty_label),
                queryset.model,
                queryset.db,
                str(queryset.query),
            )
            version = tuple(queryset.order_by().aggregate(n=Count("pk"), u=Max("updated")).values())
        else:
            return None
        entry = _OPTIONS_CACHE.get(cache_key)
        now = time.monotonic()
        if entry is not None and entry[0] == version and now - entry[1] < OPTIONS_MAX_AGE:
            return entry[2]
        options = []
        for group_name, group, _index in self.get_context(name, None, attrs)["widget"]["optgroups"]:
            if group_name:
                return None  # grouped choices: not cached
            for option in group:
                options.append(
                    (str(option["value"]), conditional_escape(localize(option["label"])))
                )
        _OPTIONS_CACHE[cache_key] = (version, now, options)
        return options

    def render(self, name, value, attrs=None, renderer=None):
        if self.allow_multiple_selected or self.attrs.get("multiple"):
            return super().render(name, value, attrs, renderer)
        options = self._options(name, attrs)
        if options is None:
            return super().render(name, value, attrs, renderer)
        final_attrs = self.build_attrs(self.attrs, attrs)
        selected = set(self.format_value(value))
        parts = [f'<select name="{conditional_escape(name)}"{_attrs_html(final_attrs)}>']
        for option_value, label in options:
            if option_value in selected:
                selected = ()  # a single select marks the first match only
                mark = " selected"
            else:
                mark = ""
            parts.append(
                f'\n  <option value="{conditional_escape(option_value)}"{mark}>{label}</option>\n'
            )
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above


class CachedModelChoiceFilter(django_filters.ModelChoiceFilter):
    """``ModelChoiceFilter`` whose select's options are cached (``CachedOptionsSelect``);
    validation still looks the chosen row up in the queryset."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", CachedOptionsSelect)
        super().__init__(*args, **kwargs)


class SearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label=_("Search"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Search")}),
    )
    search_paths: tuple[str, ...] = ("search_text",)
    # Set when a search path crosses a to-many relation (rows would repeat).
    search_distinct = False

    def search(self, queryset, name, value):
        words = normalize(value).split()[:10]
        for word in words:
            condition = Q()
            for path in self.search_paths:
                condition |= Q(**{f"{path}__contains": word})
            queryset = queryset.filter(condition)
        if self.search_distinct:
            return queryset.distinct()
        return count_in_page(queryset) if words else queryset

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            widget = field.widget
            if type(widget) is forms.Select:
                widget.__class__ = FastSelect  # same state, cheaper render()
            if isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")


class PrimaryFilterSet(SearchFilterSet):
    archived = django_filters.ChoiceFilter(
        choices=ARCHIVED_CHOICES,
        method="filter_archived",
        label=_("Archived"),
        empty_label=None,
        null_label=None,
    )

    def filter_archived(self, queryset, name, value):
        return queryset  # applied in filter_queryset, so the default also holds when absent

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        value = self.form.cleaned_data.get("archived") if hasattr(self.form, "cleaned_data") else ""
        if value == "yes":
            return queryset.filter(archived_at__isnull=False)
        if value == "all":
            return queryset
        return queryset.filter(archived_at__isnull=True)

    @property
    def qs(self):
        if not hasattr(self, "_qs"):
            if self.is_bound:
                self.errors  # noqa: B018 - validates the form so cleaned_data exists
                self._qs = self.filter_queryset(self.queryset.all())
            else:
                self._qs = self.queryset.filter(archived_at__isnull=True)
        return self._qs
