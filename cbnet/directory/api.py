"""The directory's REST API: ``{Model}Serializer`` and ``{Model}ViewSet`` per model."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cbnet.core.api.serializers import BaseModelSerializer, LanguageCodesField, TranslationsField
from cbnet.core.api.viewsets import PrimaryModelViewSet
from cbnet.core.permissions import NCP_ROLES
from cbnet.directory.filters import (
    AppointmentFilter,
    OrganisationFilter,
    PersonFilter,
    RegionFilter,
)
from cbnet.directory.models import Appointment, Organisation, Person, Region

PRIMARY_FIELDS = ("created", "updated", "archived_at")


class RegionSerializer(BaseModelSerializer):
    names = TranslationsField(required=False)

    class Meta(BaseModelSerializer.Meta):
        model = Region
        fields = (
            *BaseModelSerializer.Meta.fields,
            "code",
            "name",
            "names",
            "parent",
            *PRIMARY_FIELDS,
        )


class CurrentNCPSerializer(serializers.Serializer):
    """An administration's current NCP or alternate, derived from its appointments."""

    appointment = serializers.IntegerField(source="pk")
    person = serializers.IntegerField(source="person_id")
    name = serializers.CharField(source="person.full_name")
    email = serializers.EmailField(source="person.email")
    role = serializers.CharField()
    domain = serializers.CharField()
    start_date = serializers.DateField()


class OrganisationSerializer(BaseModelSerializer):
    languages = LanguageCodesField(required=False)
    current_ncps = serializers.SerializerMethodField()

    class Meta(BaseModelSerializer.Meta):
        model = Organisation
        fields = (
            *BaseModelSerializer.Meta.fields,
            "name",
            "acronym",
            "kind",
            "country",
            "region",
            "subregion",
            "iati_ref",
            "time_zone",
            "languages",
            "website",
            "parent",
            "contacts_confirmed_on",
            "contacts_confirmed_by",
            "is_demo",
            "current_ncps",
            *PRIMARY_FIELDS,
        )

    @extend_schema_field(CurrentNCPSerializer(many=True))
    def get_current_ncps(self, obj):
        appointments = getattr(obj, "current_ncp_appointments", None)
        if appointments is None:  # not prefetched (a single row outside the viewset)
            appointments = current_ncp_appointments().filter(organisation=obj)
        return CurrentNCPSerializer(appointments, many=True).data


def current_ncp_appointments():
    return (
        Appointment.objects.current()
        .filter(role__in=NCP_ROLES, archived_at__isnull=True)
        .select_related("person")
        .order_by("role", "domain", "start_date")
    )


class PersonSerializer(BaseModelSerializer):
    languages = LanguageCodesField(required=False)

    class Meta(BaseModelSerializer.Meta):
        model = Person
        fields = (
            *BaseModelSerializer.Meta.fields,
            "given_name",
            "family_name",
            "title",
            "organisation",
            "email",
            "phone",
            "mobile",
            "languages",
            "expertise",
            "user",
            *PRIMARY_FIELDS,
        )
        # Linking an account changes whose rights the person's appointments give: that is
        # done by invitation (cbnet.directory.accounts), never through this API.
        read_only_fields = ("user",)


class AppointmentSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = Appointment
        fields = (
            *BaseModelSerializer.Meta.fields,
            "person",
            "organisation",
            "role",
            "domain",
            "start_date",
            "end_date",
            "note",
            *PRIMARY_FIELDS,
        )


class RegionViewSet(PrimaryModelViewSet):
    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    ordering_fields = ("code", "name", "updated")


class OrganisationViewSet(PrimaryModelViewSet):
    queryset = Organisation.objects.all()
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    ordering_fields = ("name", "acronym", "kind", "country", "contacts_confirmed_on", "updated")

    def get_queryset(self):
        # "Current" is today's: build the prefetch per request, not at import time.
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch(
                    "appointments",
                    queryset=current_ncp_appointments(),
                    to_attr="current_ncp_appointments",
                )
            )
        )


class PersonViewSet(PrimaryModelViewSet):
    queryset = Person.objects.prefetch_related("expertise")
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    ordering_fields = ("family_name", "given_name", "email", "updated")


class AppointmentViewSet(PrimaryModelViewSet):
    queryset = Appointment.objects.all()
    serializer_class = AppointmentSerializer
    filterset_class = AppointmentFilter
    ordering_fields = ("start_date", "end_date", "role", "updated")
