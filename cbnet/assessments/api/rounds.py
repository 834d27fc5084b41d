"""The rounds API: ``/api/assessments/rounds/``.

- ``GET``: list (filters ``q``, ``region``, ``questionnaire``, ``status`` = ``upcoming`` |
  ``open`` | ``closed`` in each round's time zone, ``archived``; ordering ``opens_on``,
  ``due_on``, ``name``, ``updated``) and detail, each with ``status``, ``closes_at`` (ISO 8601
  with the round's offset) and ``administrations`` (how many take part). Rounds are not
  confidential; their assessments are (``/api/assessments/assessments/?round=<id>``).
- ``POST``: open a round (``services.rounds.open_round``): ``name``, ``questionnaire``,
  ``region``, optional ``subregion``, ``organisations`` (ids; empty or absent = every member
  of the region or sub-region), ``opens_on``, ``due_on``, optional ``time_zone`` (default the
  ROCB's) and ``instructions``. 201 with the round; 400 by field; 403 unless ROCB officer of
  the region or Secretariat.
- ``POST .../<id>/extend/`` ``{"due_on": "2027-05-15", "version": 3}``; ``POST
  .../<id>/add-administrations/`` ``{"organisations": [12, 13]}``.
"""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from cbnet.assessments.models import Questionnaire, Round
from cbnet.assessments.rounds_filters import RoundFilter
from cbnet.assessments.services import rounds as services
from cbnet.core import permissions
from cbnet.core.api.filters import StrictFilterBackend, StrictOrderingFilter
from cbnet.core.api.viewsets import etag
from cbnet.core.countries import TIME_ZONE_CHOICES
from cbnet.directory.models import Organisation, Region


class RoundSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    display = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    closes_at = serializers.SerializerMethodField()
    administrations = serializers.IntegerField(source="assessment_count", read_only=True)

    class Meta:
        model = Round
        fields = (
            "id",
            "url",
            "display",
            "version",
            "name",
            "questionnaire",
            "region",
            "subregion",
            "opens_on",
            "due_on",
            "time_zone",
            "closes_at",
            "status",
            "administrations",
            "instructions",
            "created",
            "updated",
            "archived_at",
        )
        read_only_fields = fields

    def get_url(self, obj) -> str:
        request = self.context.get("request")
        path = f"/api/assessments/rounds/{obj.pk}/"
        return request.build_absolute_uri(path) if request is not None else path

    def get_display(self, obj) -> str:
        return str(obj)

    def get_status(self, obj) -> str:
        return services.round_status(obj)

    def get_closes_at(self, obj) -> str:
        return obj.closes_at.isoformat()


class RoundOpenSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    questionnaire = serializers.PrimaryKeyRelatedField(queryset=Questionnaire.objects.all())
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all())
    subregion = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.all(), required=False, allow_null=True
    )
    organisations = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), many=True, required=False
    )
    opens_on = serializers.DateField()
    due_on = serializers.DateField()
    time_zone = serializers.ChoiceField(choices=TIME_ZONE_CHOICES, required=False, allow_blank=True)
    instructions = serializers.CharField(required=False, allow_blank=True, default="")


class RoundExtendSerializer(serializers.Serializer):
    due_on = serializers.DateField()
    version = serializers.IntegerField(required=False, min_value=1)


class RoundAddSerializer(serializers.Serializer):
    organisations = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), many=True, allow_empty=False
    )


class RoundViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, GenericViewSet
):
    """Assessment rounds: read; open (ROCB officers of the region, the Secretariat), extend,
    add administrations (see the module docs)."""

    queryset = Round.objects.select_related("questionnaire", "region", "subregion")
    serializer_class = RoundSerializer
    filterset_class = RoundFilter
    filter_backends = [StrictFilterBackend, StrictOrderingFilter]
    ordering_fields = ("opens_on", "due_on", "name", "updated")
    parser_classes = [JSONParser]

    def get_queryset(self):
        from django.db.models import Count

        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return queryset.restrict(self.request.user, "view").annotate(
            assessment_count=Count("assessments")
        )

    def respond(self, instance, status_code=status.HTTP_200_OK):
        instance = self.get_queryset().get(pk=instance.pk)
        response = Response(
            RoundSerializer(instance, context=self.get_serializer_context()).data,
            status=status_code,
        )
        response["ETag"] = etag(instance)
        return response

    def retrieve(self, request, *args, **kwargs):
        return self.respond(self.get_object())

    def changeable_object(self):
        """The round (404 if not viewable), 403 unless the user may change it."""
        instance = self.get_object()
        if not permissions.can(self.request.user, "change", instance):
            raise PermissionDenied(
                _("Only the region's ROCB officers change its assessment rounds.")
            )
        return instance

    @extend_schema(request=RoundOpenSerializer, responses={201: RoundSerializer})
    def create(self, request, *args, **kwargs):
        body = RoundOpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        round_ = services.open_round(
            name=data["name"],
            questionnaire=data["questionnaire"],
            region=data["region"],
            subregion=data.get("subregion"),
            organisations=data.get("organisations") or None,
            opens_on=data["opens_on"],
            due_on=data["due_on"],
            time_zone=data.get("time_zone") or None,
            instructions=data.get("instructions", ""),
            user=request.user,
        )
        return self.respond(round_, status.HTTP_201_CREATED)

    @extend_schema(request=RoundExtendSerializer, responses={200: RoundSerializer})
    @action(detail=True, methods=["post"])
    def extend(self, request, *args, **kwargs):
        """Move the due date later (409 when ``version`` is stale)."""
        instance = self.changeable_object()
        body = RoundExtendSerializer(data=request.data if isinstance(request.data, Mapping) else {})
        body.is_valid(raise_exception=True)
        services.extend_round(
            instance,
            body.validated_data["due_on"],
            user=request.user,
            version=body.validated_data.get("version"),
        )
        return self.respond(instance)

    @extend_schema(request=RoundAddSerializer, responses={200: RoundSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="add-administrations",
        url_name="add-administrations",
    )
    def add_administrations(self, request, *args, **kwargs):
        """Add member administrations of the round's region (sub-region)."""
        instance = self.changeable_object()
        body = RoundAddSerializer(data=request.data if isinstance(request.data, Mapping) else {})
        body.is_valid(raise_exception=True)
        services.add_administrations(
            instance, body.validated_data["organisations"], user=request.user
        )
        return self.respond(instance)
