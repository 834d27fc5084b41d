"""What capability frameworks and areas are found by (cbnet/core/search)."""

from cbnet.capabilities.models import Area, Framework
from cbnet.core.search import SearchIndex, register_search, texts_of


def all_names(obj):
    """Every text of the record's name in every language, whatever its shape (an English
    ``name`` plus ``names`` by language, or one multilingual value)."""
    return texts_of([getattr(obj, attr, None) for attr in ("name", "names")])


@register_search
class FrameworkIndex(SearchIndex):
    model = Framework
    fields = (("code", 100), (all_names, 100), ("source", 400))


@register_search
class AreaIndex(SearchIndex):
    model = Area
    fields = (("code", 100), (all_names, 100))
    select_related = ("framework",)
