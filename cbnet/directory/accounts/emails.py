"""E-mails about accounts, written from templates in the recipient's language.

The machinery lives in cbnet/core/notifications/emails.py (shared by every e-mail the
platform sends); these names stay for the account code and its tests.
"""

from cbnet.core.notifications.emails import build_message, language_for, render_message

EMAIL_TEMPLATES = "directory/emails/"

__all__ = ["EMAIL_TEMPLATES", "language_for", "render_email", "send_email"]


def render_email(name, context, language):
    """(subject, body) of ``directory/emails/<name>_subject.txt`` / ``<name>_body.txt``."""
    return render_message(f"{EMAIL_TEMPLATES}{name}", context, language)


def send_email(name, context, *, to, language):
    subject, body = render_email(name, context, language)
    message = build_message(subject, body, to=to, language=language)
    message.send()
    return message
