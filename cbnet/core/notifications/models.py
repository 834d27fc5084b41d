"""Notifications: a person's inbox, their e-mail preferences, and the record of periodic sends.

The recipient is a ``directory.Person``, not a user account: preferences and languages belong
to the person, reminders go to people by their appointments, and an invitation goes to a
person who has no account yet. A signed-in user reads the inbox of ``user.person``.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cbnet.core.notifications.registry import KINDS, Mode


class Notification(models.Model):
    recipient = models.ForeignKey(
        "directory.Person",
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=100)
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("kind of record"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    object_id = models.PositiveBigIntegerField(_("record id"), null=True, blank=True)
    context = models.JSONField(
        _("context"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )  # what the kind's templates render; plain JSON, never secrets
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mode = models.CharField(
        _("delivery"),
        max_length=16,
        choices=Mode.choices,
        help_text=_("The recipient's preference for this kind when it was created."),
    )
    created = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    digest_sent_at = models.DateTimeField(_("sent in a digest at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created"], name="notif_inbox_idx"),
            models.Index(fields=["mode", "digest_sent_at"], name="notif_digest_idx"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}"

    @property
    def label(self):
        kind = KINDS.get(self.kind)
        return kind.label if kind is not None else self.kind

    @property
    def is_read(self):
        return self.read_at is not None


class Preference(models.Model):
    """A person's choice for one kind of message; no row means the kind's default mode."""

    person = models.ForeignKey(
        "directory.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=100)
    mode = models.CharField(_("delivery"), max_length=16, choices=Mode.choices)
    changed = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["person", "kind"], name="notif_pref_unique")]

    def __str__(self):
        return f"{self.person_id} {self.kind}: {self.mode}"


class Delivery(models.Model):
    """One periodic send (a reminder, a digest) to one person, recorded before it is sent.

    The unique constraint is what makes ``send_reminders`` and ``send_digests`` idempotent,
    even when two runs overlap: the second insert of the same (kind, person, object, period)
    fails, so the second run sends nothing. ``object_key`` is "app.model:pk" or "".
    """

    kind = models.CharField(_("kind"), max_length=100)
    person = models.ForeignKey(
        "directory.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    object_key = models.CharField(_("record"), max_length=120, blank=True)
    period = models.CharField(_("period"), max_length=32)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    count = models.PositiveIntegerField(_("messages"), default=1)

    class Meta:
        verbose_name = _("periodic delivery")
        verbose_name_plural = _("periodic deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "person", "object_key", "period"], name="notif_delivery_once"
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.person_id} {self.object_key} {self.period}"
