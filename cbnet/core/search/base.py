"""Declaring what is searchable: ``SearchIndex`` and ``@register_search``.

Each app's ``search.py`` registers one index per model::

    @register_search
    class PersonIndex(SearchIndex):
        model = Person
        fields = (("family_name", 100), ("given_name", 100), ("email", 150), ("title", 300))

``fields`` pairs a field name (or attribute, property, or a function taking the record)
with a weight. **The lower the weight, the more a match in that field counts** (NetBox's
convention): 100 for names and codes, 150-200 for secondary identifiers, 300+ for
descriptive text. A value may be a string, a number, a dict or list of texts, or a
multilingual value: ``texts_of`` takes every text it finds.
"""

from collections.abc import Mapping

from django.utils import translation

REGISTRY: dict[str, type["SearchIndex"]] = {}


def texts_of(value) -> list[str]:
    """Every piece of text in ``value``: strings, numbers, dicts and lists of them, and
    multilingual values (anything with a ``texts`` mapping of ``{"text": ...}`` entries);
    translation statuses and language codes are not text."""
    if value is None or value is False:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [str(value)]
    texts = getattr(value, "texts", None)
    if isinstance(texts, Mapping):
        return texts_of(texts)
    if isinstance(value, Mapping):
        if "text" in value:
            return texts_of(value["text"])
        if "texts" in value:
            return texts_of(value["texts"])
        return [text for item in value.values() for text in texts_of(item)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [text for item in value for text in texts_of(item)]
    return texts_of(str(value))


class SearchIndex:
    """What one model is found by. Subclass, set ``model`` and ``fields``, register."""

    model = None
    fields: tuple = ()
    # Related rows the results page needs for titles and links (one query per page).
    select_related: tuple[str, ...] = ()

    @classmethod
    def label(cls):
        return cls.model._meta.label_lower

    @classmethod
    def field_name(cls, spec):
        return spec if isinstance(spec, str) else spec.__name__

    @classmethod
    def field_texts(cls, obj, spec) -> list[str]:
        value = spec(obj) if callable(spec) else getattr(obj, spec, None)
        if callable(value) and not isinstance(value, Mapping):
            value = value()
        return texts_of(value)

    @classmethod
    def title(cls, obj) -> str:
        """The record's name in the index (English), used to order equal results."""
        with translation.override("en"):
            return str(obj)[:300]

    @classmethod
    def is_archived(cls, obj) -> bool:
        return getattr(obj, "archived_at", None) is not None

    @classmethod
    def get_queryset(cls):
        """The rows ``rebuild_search_index`` reads (archived ones too: they are flagged)."""
        return cls.model._default_manager.select_related(*cls.select_related)


def register_search(cls):
    """Class decorator: make ``cls.model`` searchable."""
    if cls.model is None or not cls.fields:
        raise ValueError(f"{cls.__name__} needs a model and fields")
    for spec, weight in cls.fields:
        if not isinstance(weight, int) or weight <= 0:
            raise ValueError(f"{cls.__name__}: weight of {spec!r} must be a positive integer")
    REGISTRY[cls.label()] = cls
    return cls


def index_for(model):
    return REGISTRY.get(model._meta.label_lower)
