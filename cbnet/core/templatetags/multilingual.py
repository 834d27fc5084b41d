"""Showing multilingual text: ``{% load multilingual %}``.

- ``{{ area.name|ml }}`` (or ``{% ml area.name %}``): the text in the reader's language in a
  ``<span lang="...">``; when that language has no text, the original is shown with a small
  badge "original in Spanish", and the span's ``lang`` is the original's, so screen readers
  and the browser (hyphenation, spelling) treat it as what it is.
- ``{{ area.name|ml_text }}``: the same text without markup (titles, attributes).
"""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from cbnet.core.multilingual import MultilingualText, language_name

register = template.Library()


def render(value, language=None):
    try:
        value = MultilingualText.coerce(value)
    except Exception:  # a template never fails on bad data
        return ""
    shown = value.resolve(language)
    if not shown.text:
        return ""
    if not shown.fallback:
        return format_html('<span lang="{}">{}</span>', shown.language, shown.text)
    return format_html(
        '<span lang="{}">{}</span> <span class="badge text-bg-light border ml-fallback">{}</span>',
        shown.language,
        shown.text,
        _("original in %(language)s") % {"language": language_name(shown.language)},
    )


@register.filter(name="ml")
def ml_filter(value, language=None):
    return render(value, language)


@register.simple_tag(name="ml")
def ml_tag(value, language=None):
    return render(value, language)


@register.filter
def ml_text(value, language=None):
    try:
        return MultilingualText.coerce(value).display(language)
    except Exception:
        return ""
