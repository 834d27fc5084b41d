"""ISO 3166-1 countries and IANA time zones, with names in the reader's language (pycountry)."""

import gettext
import zoneinfo
from functools import cache

import pycountry
from django.utils.translation import get_language

from cbnet.core.text import normalize


@cache
def _translation(language):
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return gettext.NullTranslations()


def country_name(code, language=None):
    language = (language or get_language() or "en").split("-")[0]
    return _country_names(language).get(code, code or "")


@cache
def _country_names(language):
    """{alpha-2: name} in ``language``, built once per language."""
    names = {}
    for country in pycountry.countries:
        if language == "en":
            names[country.alpha_2] = getattr(country, "common_name", None) or country.name
        else:
            names[country.alpha_2] = _translation(language).gettext(country.name)
    return names


@cache
def _country_choices_in(language):
    # Computed once per language: a list page asks for them on every row.
    return tuple(
        sorted(
            ((c.alpha_2, country_name(c.alpha_2, language)) for c in pycountry.countries),
            key=lambda choice: normalize(choice[1]),
        )
    )


def country_choices():
    """Choices for a country field, in the reader's language (Django calls it when needed)."""
    return list(_country_choices_in((get_language() or "en").split("-")[0]))


_country_choices = country_choices  # the name the first migrations recorded
COUNTRY_CODES = frozenset(c.alpha_2 for c in pycountry.countries)


def country_by_name_or_code(value):
    """ISO alpha-2 code for an import cell holding a code, an alpha-3 code or an English name."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return pycountry.countries.lookup(value).alpha_2
    except LookupError:
        return None


TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]

# ISO 639-1 codes offered for "languages" fields: the network's working languages first.
LANGUAGE_CODES = ["en", "es", "fr", "pt", "nl", "zh", "ar", "ru", "ht"]


def language_name(code):
    language = pycountry.languages.get(alpha_2=code)
    return language.name if language else code
