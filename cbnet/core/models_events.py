"""Workflow events: named things that happened to a record, written by services.

The second audit stream beside the automatic row history (django-simple-history): a row's
history says *which fields* changed; an event says *what happened* ("appointment ended",
"NCP handed over") with who did it, when, to which object and the values before and after.
Services write events with ``cbnet.core.events.record_event``; pages read them with
``cbnet.core.events.events_visible_to``. Events are never edited. docs/events.md explains.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    name = models.CharField(_("event"), max_length=100)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Who did it; empty for commands and background tasks."),
    )
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("kind of record"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("record id"))
    object_repr = models.CharField(_("record"), max_length=300)
    old = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    new = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)
    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The organisation the event concerns."),
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="core_event_object_idx"),
            models.Index(fields=["occurred_at"], name="core_event_occurred_idx"),
            models.Index(fields=["name"], name="core_event_name_idx"),
        ]

    def __str__(self):
        return f"{self.name} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("Events are never changed once recorded."), code="immutable")
        return super().save(*args, **kwargs)

    @property
    def label(self):
        from cbnet.core.events import event_label

        return event_label(self.name)
