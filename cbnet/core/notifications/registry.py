"""The kinds of message the platform sends, and the periodic reminders that send some.

An app declares its kinds in its ``notifications.py`` (found at start-up)::

    register_kind(
        "ncp.handed_over",
        label=_("NCP handovers in your administration or region"),
        template="directory/emails/ncp_handed_over",   # _subject.txt and _body.txt
        default_mode=Mode.IMMEDIATE,
    )

and, for periodic work, a reminder function run by ``manage.py send_reminders``::

    @register_reminder
    def remind_stale_contacts(today):
        result = ReminderResult()
        for person, organisation in ...:
            result.add(notify_once, person, "contacts.reminder", period=str(today.year),
                       obj=organisation, context={...})
        return result
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", _("E-mail at once")
    DIGEST = "digest", _("Daily digest")
    OFF = "off", _("No e-mail (inbox only)")


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    template: str  # prefix: <template>_subject.txt and <template>_body.txt
    default_mode: str = Mode.IMMEDIATE
    # Mandatory kinds are e-mailed at once whatever the preferences say, carry no
    # unsubscribe link and are not on the preferences page (e.g. invitations: the person
    # has no account yet, so no preferences either).
    mandatory: bool = False


KINDS: dict[str, Kind] = {}
REMINDERS: list = []


class UnknownKindError(ValueError):
    pass


def register_kind(name, *, label, template, default_mode=Mode.IMMEDIATE, mandatory=False):
    """Declare a kind of message (apps call this at import time of their notifications.py)."""
    if default_mode not in Mode.values:
        raise ValueError(f"default_mode must be one of {Mode.values}")
    KINDS[name] = Kind(name, label, template, default_mode, mandatory)
    return KINDS[name]


def get_kind(name):
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKindError(
            f"unknown notification kind {name!r}; register it with register_kind()"
        ) from None


def optional_kinds():
    """Kinds a person may choose a mode for, in a stable order (the preferences page)."""
    return sorted((k for k in KINDS.values() if not k.mandatory), key=lambda k: k.name)


@dataclass
class ReminderResult:
    """What one reminder did: messages sent, skipped (already sent), failed (logged)."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0

    def add(self, send_once, *args, **kwargs):
        """Call ``send_once`` (``notify_once``) and count its outcome; a failure is counted,
        not raised, so the other recipients still get theirs (notify_once logs it)."""
        try:
            notification = send_once(*args, **kwargs)
        except Exception:
            self.failed += 1
            return None
        if notification is None:
            self.skipped += 1
        else:
            self.sent += 1
        return notification


def register_reminder(fn):
    """Add ``fn(today) -> ReminderResult`` to what ``send_reminders`` runs. Idempotent: a
    reminder run twice the same day must send nothing the second time (use notify_once)."""
    if fn not in REMINDERS:
        REMINDERS.append(fn)
    return fn
