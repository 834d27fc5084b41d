"""E-mails written from templates in the recipient's language.

Every e-mail the platform sends goes through here: the notifications (``services.notify``),
the digests, and the account e-mails of cbnet/directory/accounts.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template
from django.utils import translation


def language_for(person=None, language=None):
    """The language to write to ``person`` in.

    An explicit ``language`` wins; then the first of the person's languages that the
    platform speaks (``EN``, ``es-419`` and ``pt_BR`` count as en, es and pt); then the
    active language (the sender's interface language, or LANGUAGE_CODE in a command).
    """
    available = {code for code, _name in settings.LANGUAGES}
    if language in available:
        return language
    for code in getattr(person, "languages", None) or []:
        code = str(code).lower()[:2]
        if code in available:
            return code
    active = translation.get_language()
    return active if active in available else settings.LANGUAGE_CODE


def render_text(name, context):
    """A plain-text template rendered without HTML escaping (an apostrophe stays one)."""
    return get_template(name).template.render(Context(context, autoescape=False))


def render_message(template, context, language):
    """(subject, body) of ``<template>_subject.txt`` and ``<template>_body.txt``."""
    with translation.override(language):
        subject = render_text(f"{template}_subject.txt", context)
        body = render_text(f"{template}_body.txt", context)
    # A header cannot span lines.
    return " ".join(subject.split()), body


def build_message(subject, body, *, to, language, headers=None):
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    message.extra_headers["Content-Language"] = language
    message.extra_headers.update(headers or {})
    return message


def absolute_url(path):
    return settings.CBNET_BASE_URL.rstrip("/") + path
