"""The assessments API: list and read assessments, write answers, and the workflow actions.

``/api/assessments/assessments/`` (filters ``round``, ``organisation``, ``status``, ``q``,
``archived``; ordering ``updated``, ``status``, ``submitted_at``, ``validated_at``):

- ``GET .../<id>/``: the assessment with its answers (by question code) and ETag.
- ``PUT .../<id>/answers/``: ``{"version": 3, "answers": {"D1-01": {"level": 2}}}`` (or
  ``If-Match: "3"``) calls ``workflow.save_answers``: 400 with errors by question code,
  409 when the version is stale, 412 when If-Match does not match, 428 without either.
- ``POST .../<id>/submit/``, ``return/`` (``{"comment": ...}``), ``validate/``,
  ``share/`` (``{"partner": <organisation id>}``), ``revoke-share/`` (``{"partner": <id>}``):
  optional ``version`` in the body (409 when stale); 400 for a refused transition, 403 for
  someone whose role does not allow it, 404 for an assessment out of view.

Every row comes through ``restrict(user, "view")``; the rules are the services'.
"""

from collections.abc import Mapping

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from cbnet.assessments.assessments_filters import AssessmentFilter
from cbnet.assessments.models import Answer, Assessment, AssessmentShare
from cbnet.assessments.services import workflow
from cbnet.core.api.exceptions import PreconditionFailed, PreconditionRequired
from cbnet.core.api.filters import StrictFilterBackend, StrictOrderingFilter
from cbnet.core.api.viewsets import etag, if_match_versions
from cbnet.directory.models import Organisation


class AnswerSerializer(serializers.ModelSerializer):
    question = serializers.CharField(source="question.code", read_only=True)

    class Meta:
        model = Answer
        fields = (
            "question",
            "level",
            "not_applicable",
            "tfa_category",
            "indicative_date",
            "definitive_date",
            "assistance_needed",
            "comment",
            "updated",
        )
        read_only_fields = fields


class AssessmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    display = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = (
            "id",
            "url",
            "display",
            "version",
            "round",
            "organisation",
            "status",
            "submitted_at",
            "submitted_by",
            "validated_at",
            "validated_by",
            "review_comment",
            "created",
            "updated",
            "archived_at",
        )
        read_only_fields = fields

    def get_url(self, obj) -> str:
        request = self.context.get("request")
        path = f"/api/assessments/assessments/{obj.pk}/"
        return request.build_absolute_uri(path) if request is not None else path

    def get_display(self, obj) -> str:
        return str(obj)


class AssessmentDetailSerializer(AssessmentSerializer):
    answers = AnswerSerializer(many=True, read_only=True)
    shared_with = serializers.SerializerMethodField()

    class Meta(AssessmentSerializer.Meta):
        fields = (*AssessmentSerializer.Meta.fields, "answers", "shared_with")
        read_only_fields = fields

    def get_shared_with(self, obj) -> list[int]:
        return [share.partner_id for share in obj.active_shares]


class AnswersWriteSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1)
    answers = serializers.DictField(
        child=serializers.DictField(),
        help_text="Answers by question code; each with any of level, not_applicable, "
        "tfa_category, indicative_date, definitive_date, assistance_needed, comment.",
    )


VERSION = serializers.IntegerField(required=False, min_value=1)
ACTION_BODIES = {
    "submit": inline_serializer("AssessmentSubmit", {"version": VERSION}),
    "return": inline_serializer(
        "AssessmentReturn", {"version": VERSION, "comment": serializers.CharField()}
    ),
    "validate": inline_serializer("AssessmentValidate", {"version": VERSION}),
    "share": inline_serializer("AssessmentShareRequest", {"partner": serializers.IntegerField()}),
    "revoke": inline_serializer("AssessmentRevokeShare", {"partner": serializers.IntegerField()}),
}


class AssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Assessments: read, answer, submit, return, validate, share (see the module docs)."""

    queryset = Assessment.objects.select_related("organisation", "round")
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter
    filter_backends = [StrictFilterBackend, StrictOrderingFilter]
    ordering_fields = ("updated", "status", "submitted_at", "validated_at")
    parser_classes = [JSONParser]

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        queryset = queryset.restrict(self.request.user, "view")
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch(
                    "answers",
                    queryset=Answer.objects.select_related("question").order_by(
                        "question__position", "question__code"
                    ),
                ),
                Prefetch(
                    "shares",
                    queryset=AssessmentShare.objects.filter(revoked_at__isnull=True),
                    to_attr="active_shares",
                ),
            )
        return queryset

    def get_serializer_class(self):
        if self.action == "list":
            return AssessmentSerializer
        return AssessmentDetailSerializer

    def respond(self, instance):
        instance = self.get_queryset().get(pk=instance.pk)
        response = Response(
            AssessmentDetailSerializer(instance, context=self.get_serializer_context()).data
        )
        response["ETag"] = etag(instance)
        return response

    def retrieve(self, request, *args, **kwargs):
        return self.respond(self.get_object())

    def _version(self, request):
        value = request.data.get("version") if isinstance(request.data, Mapping) else None
        if value in (None, ""):
            return None
        if isinstance(value, bool) or not str(value).strip().isdigit():
            raise serializers.ValidationError({"version": [_("A whole number is required.")]})
        return int(str(value).strip())

    @extend_schema(request=AnswersWriteSerializer, responses={200: AssessmentDetailSerializer})
    @action(detail=True, methods=["put"])
    def answers(self, request, *args, **kwargs):
        """Save answers (all or nothing), like the fill-in page's "Save draft"."""
        instance = self.get_object()
        header = request.headers.get("If-Match")
        version = self._version(request)
        if header is None and version is None:
            raise PreconditionRequired()
        if header is not None:
            versions = if_match_versions(header)
            if versions is not None and instance.version not in versions:
                raise PreconditionFailed()
            if versions and version is None:
                version = instance.version
        body = AnswersWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        workflow.save_answers(
            instance, body.validated_data["answers"], user=request.user, version=version
        )
        return self.respond(instance)

    @extend_schema(request=ACTION_BODIES["submit"], responses={200: AssessmentDetailSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        """Submit to the ROCB (in progress -> submitted)."""
        instance = self.get_object()
        workflow.submit(instance, user=request.user, version=self._version(request))
        return self.respond(instance)

    @extend_schema(request=ACTION_BODIES["return"], responses={200: AssessmentDetailSerializer})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, *args, **kwargs):
        """Return for changes with the reviewer's comment (submitted -> returned)."""
        instance = self.get_object()
        comment = request.data.get("comment", "") if isinstance(request.data, Mapping) else ""
        if not isinstance(comment, str):
            raise serializers.ValidationError({"comment": [_("Text is required.")]})
        workflow.return_assessment(
            instance, user=request.user, comment=comment, version=self._version(request)
        )
        return self.respond(instance)

    @extend_schema(request=ACTION_BODIES["validate"], responses={200: AssessmentDetailSerializer})
    @action(detail=True, methods=["post"])
    def validate(self, request, *args, **kwargs):
        """Validate (submitted -> validated, final)."""
        instance = self.get_object()
        workflow.validate(instance, user=request.user, version=self._version(request))
        return self.respond(instance)

    def _partner(self, request):
        value = request.data.get("partner") if isinstance(request.data, Mapping) else None
        if isinstance(value, bool) or not str(value or "").strip().isdigit():
            raise serializers.ValidationError({"partner": [_("An organisation id is required.")]})
        partner = Organisation.objects.filter(pk=int(str(value).strip())).first()
        if partner is None:
            raise serializers.ValidationError({"partner": [_("No such organisation.")]})
        return partner

    @extend_schema(request=ACTION_BODIES["share"], responses={200: AssessmentDetailSerializer})
    @action(detail=True, methods=["post"])
    def share(self, request, *args, **kwargs):
        """Share a validated assessment with a development partner."""
        instance = self.get_object()
        workflow.share(instance, self._partner(request), user=request.user)
        return self.respond(instance)

    @extend_schema(request=ACTION_BODIES["revoke"], responses={200: AssessmentDetailSerializer})
    @action(detail=True, methods=["post"], url_path="revoke-share", url_name="revoke-share")
    def revoke_share(self, request, *args, **kwargs):
        """End the active share with a partner."""
        instance = self.get_object()
        partner = self._partner(request)
        row = AssessmentShare.objects.filter(
            assessment=instance, partner=partner, revoked_at__isnull=True
        ).first()
        if row is None:
            raise serializers.ValidationError(
                {"partner": [_("The assessment is not shared with this partner.")]}
            )
        workflow.revoke_share(row, user=request.user)
        return self.respond(instance)
