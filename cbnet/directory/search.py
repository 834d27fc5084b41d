"""What the directory is found by (cbnet/core/search; lower weight = stronger match)."""

from cbnet.core.search import SearchIndex, register_search
from cbnet.directory.models import Organisation, Person, Region


@register_search
class RegionIndex(SearchIndex):
    model = Region
    fields = (("code", 100), ("name", 100), ("names", 110))


@register_search
class OrganisationIndex(SearchIndex):
    model = Organisation
    fields = (
        ("name", 100),
        ("acronym", 100),
        ("country_names", 150),  # in every interface language
        ("iati_ref", 200),
    )


@register_search
class PersonIndex(SearchIndex):
    model = Person
    fields = (
        ("family_name", 100),
        ("given_name", 100),
        ("email", 150),
        ("title", 300),
    )
