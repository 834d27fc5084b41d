"""Workflow events over the API: ``/api/core/events/``, read-only.

The same rows as the activity feed: ``events_visible_to(user)`` decides, so an event is
readable exactly when its record is. Events are never written through the API; services
record them as a side effect of the operations they describe.
"""

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from cbnet.core import events
from cbnet.core.api.filters import StrictFilterBackend, StrictOrderingFilter
from cbnet.core.models_events import Event


class EventSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField(help_text=_("The event's name in your language."))
    model = serializers.SerializerMethodField(
        help_text=_("Kind of record, as app_label.model (e.g. directory.appointment).")
    )
    actor = serializers.SerializerMethodField(help_text=_("Who acted; null for commands."))

    class Meta:
        model = Event
        fields = [
            "id",
            "name",
            "label",
            "occurred_at",
            "actor",
            "model",
            "object_id",
            "object_repr",
            "organisation",
            "old",
            "new",
        ]
        read_only_fields = fields

    def get_label(self, event) -> str:
        return str(event.label)

    def get_model(self, event) -> str:
        content_type = ContentType.objects.get_for_id(event.content_type_id)
        return f"{content_type.app_label}.{content_type.model}"

    @extend_schema_field({"type": "string", "nullable": True})
    def get_actor(self, event):
        return event.actor.get_username() if event.actor_id else None


class EventFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(help_text=_("Event name, e.g. appointment.ended."))
    organisation = django_filters.NumberFilter(field_name="organisation_id")
    model = django_filters.CharFilter(
        method="filter_model", help_text=_("Kind of record, as app_label.model.")
    )
    object_id = django_filters.NumberFilter()
    since = django_filters.DateFilter(field_name="occurred_at__date", lookup_expr="gte")
    until = django_filters.DateFilter(field_name="occurred_at__date", lookup_expr="lte")

    class Meta:
        model = Event
        fields = []

    def filter_model(self, queryset, name, value):
        app_label, _dot, model = value.lower().partition(".")
        try:
            content_type = ContentType.objects.get_by_natural_key(app_label, model)
        except ContentType.DoesNotExist:
            return queryset.none()
        return queryset.filter(content_type=content_type)


class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """Workflow events whose record you may view, newest first."""

    queryset = Event.objects.all()
    serializer_class = EventSerializer
    filterset_class = EventFilter
    filter_backends = [StrictFilterBackend, StrictOrderingFilter]
    ordering_fields = ("occurred_at", "name")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Event.objects.none()
        return events.events_visible_to(self.request.user).select_related("actor")
