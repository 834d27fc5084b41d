"""Sending notifications: the inbox row, the e-mail in the recipient's language, digests.

::

    from cbnet.core.notifications.services import notify

    notify([outgoing, incoming, *officers], "ncp.handed_over", obj=organisation,
           context={"organisation": organisation, "on_date": on_date}, actor=user)

Each recipient (a ``directory.Person``) gets an inbox row. Whether they also get an e-mail
depends on their preference for the kind (``Preference``, else the kind's default):
``immediate`` — one e-mail each, sent after the surrounding transaction commits (a rolled-back
operation sends nothing); ``digest`` — in the daily digest (``send_digests``); ``off`` — inbox
only. docs/notifications.md explains the whole service.
"""

from __future__ import annotations

import datetime
import logging
import re

from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, Model, Q
from django.urls import reverse
from django.utils import timezone, translation

from cbnet.core.notifications.emails import (
    absolute_url,
    build_message,
    language_for,
    render_message,
    render_text,
)
from cbnet.core.notifications.models import Delivery, Notification, Preference
from cbnet.core.notifications.registry import KINDS, Mode, get_kind

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "cbnet.notifications.unsubscribe"
FOOTER_TEMPLATE = "notifications/email_footer.txt"
DIGEST_TEMPLATE = "notifications/digest"
DIGEST_KIND = "digest"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- context ------------------------------------------------------------------------------


def plain(value):
    """``value`` made JSON-ready for ``Notification.context``.

    Records become ``{"id", "model", "name", "path"}`` (their name at the time, and their
    page), so templates write ``{{ organisation.name }}``; dates are kept as ISO strings and
    come back as dates when rendered (``revive``).
    """
    if isinstance(value, Model):
        path = value.get_absolute_url() if hasattr(value, "get_absolute_url") else ""
        return {
            "id": value.pk,
            "model": value._meta.label_lower,
            "name": str(value),
            "path": path,
        }
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def revive(value):
    """The stored context for templates: ISO dates ("2026-11-23") back to dates."""
    if isinstance(value, dict):
        return {key: revive(item) for key, item in value.items()}
    if isinstance(value, list):
        return [revive(item) for item in value]
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def template_context(notification, extra=None):
    context = revive(notification.context or {})
    context.update(
        {
            "recipient": notification.recipient,
            "notification": notification,
            "object_url": absolute_url(context["object_path"])
            if context.get("object_path")
            else "",
        }
    )
    context.update(extra or {})
    return context


def subject_of(notification, language):
    """The notification's one-line title (its e-mail subject) in ``language``."""
    kind = KINDS.get(notification.kind)
    if kind is None:
        return notification.kind
    subject, _body = render_message(kind.template, template_context(notification), language)
    return subject


# --- preferences --------------------------------------------------------------------------


def preference_stamp(preference):
    """When the preference last changed (µs since the epoch; 0 without a row): what an
    unsubscribe link is checked against."""
    return int(preference.changed.timestamp() * 1_000_000) if preference else 0


def preferences_for(people, kind_name):
    """{person_id: (mode, stamp)} for ``kind_name``: one query for all ``people``."""
    kind = get_kind(kind_name)
    ids = [person.pk for person in people]
    rows = {
        row.person_id: row for row in Preference.objects.filter(person_id__in=ids, kind=kind_name)
    }
    result = {}
    for pk in ids:
        row = rows.get(pk)
        if kind.mandatory:
            result[pk] = (Mode.IMMEDIATE, 0)
        else:
            result[pk] = (row.mode if row else kind.default_mode, preference_stamp(row))
    return result


def mode_for(person, kind_name):
    return preferences_for([person], kind_name)[person.pk][0]


@transaction.atomic
def set_preference(person, kind_name, mode):
    """Set ``person``'s mode for a kind; returns True if it changed. Changing it (including
    through an unsubscribe link) makes older unsubscribe links read as used."""
    kind = get_kind(kind_name)
    if kind.mandatory:
        raise ValueError(f"{kind_name} is mandatory: it has no preference")
    if mode not in Mode.values:
        raise ValueError(f"unknown mode {mode!r}")
    row = Preference.objects.select_for_update().filter(person=person, kind=kind_name).first()
    current = row.mode if row else kind.default_mode
    if row is not None and row.mode == mode:
        return False
    if row is None and mode == current:
        return False
    if row is None:
        Preference.objects.create(person=person, kind=kind_name, mode=mode)
    else:
        row.mode = mode
        row.changed = timezone.now()
        row.save(update_fields=["mode", "changed"])
    return True


# --- unsubscribe links --------------------------------------------------------------------


def unsubscribe_token(person_id, kind_name, stamp):
    return signing.dumps({"p": person_id, "k": kind_name, "s": stamp}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token):
    """(person_id, kind, stamp) or None when the token is not one of ours (tampered, cut)."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(data["p"]), str(data["k"]), int(data["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_path(person_id, kind_name, stamp):
    return reverse(
        "notifications:unsubscribe", args=[unsubscribe_token(person_id, kind_name, stamp)]
    )


def unsubscribe(token):
    """Use an unsubscribe link: ("done" | "used" | "invalid", person or None, kind or None).

    A link is good once: using it changes the preference, which changes the stamp that
    later uses of the same link (or of older links of the same kind) are checked against.
    """
    from cbnet.directory.models import Person

    data = read_unsubscribe_token(token)
    if data is None:
        return "invalid", None, None
    person_id, kind_name, stamp = data
    kind = KINDS.get(kind_name)
    person = Person.objects.filter(pk=person_id).first()
    if kind is None or kind.mandatory or person is None:
        return "invalid", None, None
    with transaction.atomic():
        row = Preference.objects.select_for_update().filter(person=person, kind=kind_name).first()
        if preference_stamp(row) != stamp:
            return "used", person, kind
        if row is None:
            Preference.objects.create(person=person, kind=kind_name, mode=Mode.OFF)
        else:
            row.mode = Mode.OFF
            row.changed = timezone.now()
            row.save(update_fields=["mode", "changed"])
    logger.info("notifications: person %s unsubscribed from %s", person_id, kind_name)
    return "done", person, kind


# --- sending ------------------------------------------------------------------------------


def email_address(person):
    if person.email:
        return person.email
    user = person.user if person.user_id else None
    return getattr(user, "email", "") or ""


def _compose(notification, language, *, stamp, extra=None):
    """The EmailMessage for one notification (or None without an address)."""
    to = email_address(notification.recipient)
    if not to:
        return None
    kind = get_kind(notification.kind)
    context = template_context(notification, extra)
    subject, body = render_message(kind.template, context, language)
    headers = {}
    if not kind.mandatory:
        link = absolute_url(unsubscribe_path(notification.recipient_id, kind.name, stamp))
        footer_context = {
            "kind": kind,
            "unsubscribe_url": link,
            "preferences_url": absolute_url(reverse("notifications:preferences")),
        }
        body = body.rstrip() + "\n\n" + _render_footer(footer_context, language)
        headers = {
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return build_message(subject, body, to=to, language=language, headers=headers)


def _render_footer(context, language):
    with translation.override(language):
        return render_text(FOOTER_TEMPLATE, context)


def _email_now(notification, language, stamp, extra=None):
    """Send one notification's e-mail; raise if the server refuses it."""
    message = _compose(notification, language, stamp=stamp, extra=extra)
    if message is None:
        return False
    message.send()
    notification.emailed_at = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(emailed_at=notification.emailed_at)
    return True


def _email_after_commit(jobs):
    """Send each (notification, language, stamp, extra); a failure is logged, not raised:
    the operation has committed and the notification stays in the inbox."""
    for notification, language, stamp, extra in jobs:
        try:
            _email_now(notification, language, stamp, extra)
        except Exception:
            logger.exception(
                "notifications: e-mail %s to person %s failed",
                notification.kind,
                notification.recipient_id,
            )


def notify(
    recipients,
    kind,
    *,
    obj=None,
    context=None,
    actor=None,
    email_context=None,
    language=None,
    send_now=False,
):
    """Tell each of ``recipients`` (people) about ``kind``; returns their Notification rows.

    ``context`` is stored with each row (JSON, see ``plain``) and rendered by the kind's
    templates for the inbox and the e-mail; ``email_context`` is for the e-mail only and never
    stored (links with secrets). ``language`` forces the e-mail's language; otherwise each
    recipient gets theirs (``language_for``). Duplicates, ``None`` and archived people are
    skipped.

    E-mails go to immediate-mode recipients who have an address, after the surrounding
    transaction commits; a failure then is logged and the row stays in the inbox. With
    ``send_now`` the e-mails are sent at once and a failure raises, so the caller's
    transaction rolls back (invitations and periodic sends use it).
    """
    kind_def = get_kind(kind)
    people, seen = [], set()
    for person in recipients:
        if person is None or person.pk in seen or person.archived_at is not None:
            continue
        seen.add(person.pk)
        people.append(person)
    if not people:
        return []
    prefs = preferences_for(people, kind)
    stored = plain(dict(context or {}))
    if obj is not None and hasattr(obj, "get_absolute_url"):
        stored.setdefault("object_path", obj.get_absolute_url())
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True) if obj else None
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    now = timezone.now()
    rows = [
        Notification(
            recipient=person,
            kind=kind_def.name,
            content_type=content_type,
            object_id=obj.pk if obj is not None else None,
            context=stored,
            actor=actor,
            mode=prefs[person.pk][0],
            created=now,
        )
        for person in people
    ]
    rows = Notification.objects.bulk_create(rows)
    jobs = [
        (row, language_for(row.recipient, language), prefs[row.recipient_id][1], email_context)
        for row in rows
        if row.mode == Mode.IMMEDIATE and email_address(row.recipient)
    ]
    if send_now:
        for job in jobs:
            _email_now(*job)
    elif jobs:
        transaction.on_commit(lambda: _email_after_commit(jobs))
    return rows


def object_key(obj):
    return f"{obj._meta.label_lower}:{obj.pk}" if obj is not None else ""


def notify_once(person, kind, *, period, obj=None, context=None, actor=None):
    """``notify`` ``person`` unless this (kind, person, obj, period) was already sent.

    For periodic work: the ``Delivery`` row is written first and its unique constraint
    refuses a second one, so two runs (even at the same time) send once. The row, the inbox
    entry and an immediate e-mail are one transaction: if the e-mail fails, nothing is kept
    and the next run tries again. Returns the Notification, or None if already sent.
    """
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    Delivery.objects.create(
                        kind=kind, person=person, object_key=object_key(obj), period=period
                    )
            except IntegrityError:
                return None
            rows = notify([person], kind, obj=obj, context=context, actor=actor, send_now=True)
            return rows[0] if rows else None
    except Exception:
        logger.exception("notifications: %s to person %s failed", kind, person.pk)
        raise


# --- digests ------------------------------------------------------------------------------


def pending_digest():
    """Digest-mode notifications not yet sent, read or e-mailed (the digests' content)."""
    return Notification.objects.filter(
        mode=Mode.DIGEST,
        digest_sent_at__isnull=True,
        emailed_at__isnull=True,
        read_at__isnull=True,
    )


def send_digest(person, today):
    """E-mail ``person`` today's digest; returns the number of notifications in it (0 when
    there is nothing, no address, or it was already sent today). One transaction: if the
    e-mail fails nothing is marked and the next run tries again."""
    to = email_address(person)
    if not to:
        return 0
    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = Delivery.objects.create(
                    kind=DIGEST_KIND, person=person, object_key="", period=today.isoformat()
                )
        except IntegrityError:
            return 0
        items = list(
            pending_digest().filter(recipient=person).select_for_update().order_by("created", "id")
        )
        if not items:
            transaction.set_rollback(True)
            return 0
        language = language_for(person)
        lines = []
        for item in items:
            item.recipient = person
            context = template_context(item)
            lines.append(
                {
                    "notification": item,
                    "subject": subject_of(item, language),
                    "url": context["object_url"],
                }
            )
        subject, body = render_message(
            DIGEST_TEMPLATE,
            {
                "recipient": person,
                "items": lines,
                "today": today,
                "inbox_url": absolute_url(reverse("notifications:inbox")),
                "preferences_url": absolute_url(reverse("notifications:preferences")),
            },
            language,
        )
        message = build_message(subject, body, to=to, language=language)
        message.send()
        now = timezone.now()
        Notification.objects.filter(pk__in=[item.pk for item in items]).update(digest_sent_at=now)
        delivery.count = len(items)
        delivery.save(update_fields=["count"])
    return len(items)


def send_digests(today=None):
    """Send every digest due today; returns ([(person, count)] sent, [person] failed)."""
    from cbnet.directory.models import Person

    today = today or timezone.localdate()
    person_ids = pending_digest().order_by().values_list("recipient_id", flat=True).distinct()
    sent, failed = [], []
    for person in Person.objects.filter(pk__in=list(person_ids)).select_related("user"):
        try:
            count = send_digest(person, today)
        except Exception:
            logger.exception("notifications: digest for person %s failed", person.pk)
            failed.append(person)
            continue
        if count:
            sent.append((person, count))
    return sent, failed


def run_reminders(today=None):
    """Run every registered reminder; returns [(reminder name, ReminderResult)]."""
    from cbnet.core.notifications.registry import REMINDERS

    today = today or timezone.localdate()
    return [(getattr(fn, "__name__", str(fn)), fn(today)) for fn in REMINDERS]


# --- inbox --------------------------------------------------------------------------------


def inbox_of(user):
    """The signed-in user's notifications (those of ``user.person``), unread first, then
    newest first."""
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return Notification.objects.filter(recipient__user_id=user.pk).order_by(
        unread.desc(), "-created", "-id"
    )


def unread_count(user):
    """One COUNT query."""
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient__user_id=user.pk, read_at__isnull=True).count()


def mark_read(user, pk):
    """Mark the user's own notification ``pk`` read; returns it (raises DoesNotExist for
    anyone else's, which the view answers with 404)."""
    notification = inbox_of(user).get(pk=pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(user):
    return inbox_of(user).filter(read_at__isnull=True).update(read_at=timezone.now())


__all__ = [
    "mark_all_read",
    "mark_read",
    "notify",
    "notify_once",
    "send_digests",
    "set_preference",
    "unsubscribe",
]
