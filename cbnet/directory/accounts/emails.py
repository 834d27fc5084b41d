"""E-mails about accounts, written from templates in the recipient's language."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

EMAIL_TEMPLATES = "directory/emails/"


def language_for(person=None, language=None):
    """The language to write to ``person`` in.

    An explicit ``language`` wins; then the first of the person's languages that the
    platform speaks; then the active language (the sender's interface language).
    """
    available = {code for code, _name in settings.LANGUAGES}
    if language in available:
        return language
    for code in getattr(person, "languages", None) or []:
        code = str(code).lower()[:2]
        if code in available:
            return code
    return translation.get_language() or settings.LANGUAGE_CODE


def render_email(name, context, language):
    """(subject, body) of ``directory/emails/<name>_subject.txt`` / ``<name>_body.txt``."""
    with translation.override(language):
        subject = render_to_string(f"{EMAIL_TEMPLATES}{name}_subject.txt", context)
        body = render_to_string(f"{EMAIL_TEMPLATES}{name}_body.txt", context)
    # A header cannot span lines.
    return " ".join(subject.split()), body


def send_email(name, context, *, to, language):
    subject, body = render_email(name, context, language)
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    message.extra_headers["Content-Language"] = language
    message.send()
    return message
