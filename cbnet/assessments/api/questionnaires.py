"""The questionnaires API: ``/api/assessments/questionnaires/`` and ``.../questions/``.

Every signed-in user reads; the Secretariat writes (the default policy). A questionnaire's
detail nests its sections, questions and level descriptors (read-only: questions are written
through ``/api/assessments/questions/``). A version used by a round is frozen: a write to it
or to one of its questions answers 400 with the reason. ``version`` on a questionnaire is its
version number (new versions are made on the page "Create a new version").
"""

from django.db.models import Count, Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cbnet.assessments.models import LevelDescriptor, Question, Questionnaire, Section
from cbnet.assessments.questionnaires_filters import QuestionFilter, QuestionnaireFilter
from cbnet.core.api.multilingual import MultilingualTextSerializerField
from cbnet.core.api.serializers import BaseModelSerializer
from cbnet.core.api.viewsets import ModelViewSet, PrimaryModelViewSet

BASE_FIELDS = ("created", "updated")


def _frozen_message(questionnaire):
    return _(
        "Version %(version)s of this questionnaire is used by an assessment round, so it can "
        "no longer change. Create a new version and edit that instead."
    ) % {"version": questionnaire.version}


class QuestionnaireSerializer(BaseModelSerializer):
    title = MultilingualTextSerializerField()
    description = MultilingualTextSerializerField(required=False)
    is_frozen = serializers.SerializerMethodField()

    class Meta(BaseModelSerializer.Meta):
        model = Questionnaire
        fields = (
            *BaseModelSerializer.Meta.fields,
            "code",
            "title",
            "description",
            "framework",
            "scale",
            "previous",
            "is_frozen",
            "archived_at",
            *BASE_FIELDS,
        )
        read_only_fields = ("previous", "archived_at")

    @extend_schema_field(serializers.BooleanField)
    def get_is_frozen(self, obj):
        cached = getattr(obj, "round_count", None)
        return bool(cached) if cached is not None else obj.is_frozen

    def validate(self, attrs):
        if self.instance is not None:
            if self.instance.is_frozen:
                raise serializers.ValidationError({"detail": _frozen_message(self.instance)})
            for name in ("code", "framework"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    if name == "framework" and not self.instance.questions.exists():
                        continue
                    raise serializers.ValidationError(
                        {name: [_("This cannot change once the questionnaire exists.")]}
                    )
        elif Questionnaire.objects.filter(code=attrs.get("code")).exists():
            raise serializers.ValidationError(
                {
                    "code": [
                        _(
                            "A questionnaire with this code exists already: create a new "
                            "version of it, or choose another code."
                        )
                    ]
                }
            )
        return super().validate(attrs)


class DescriptorSerializer(serializers.ModelSerializer):
    text = MultilingualTextSerializerField(read_only=True)

    class Meta:
        model = LevelDescriptor
        fields = ("level", "text")


class QuestionSerializer(BaseModelSerializer):
    text = MultilingualTextSerializerField()
    guidance = MultilingualTextSerializerField(required=False)

    class Meta(BaseModelSerializer.Meta):
        model = Question
        fields = (
            *BaseModelSerializer.Meta.fields,
            "questionnaire",
            "section",
            "area",
            "code",
            "kind",
            "text",
            "guidance",
            "weight",
            "evidence_required",
            "not_applicable_allowed",
            "position",
            *BASE_FIELDS,
        )

    def validate(self, attrs):
        questionnaire = attrs.get("questionnaire") or getattr(self.instance, "questionnaire", None)
        if self.instance is not None:
            if "questionnaire" in attrs and attrs["questionnaire"] != self.instance.questionnaire:
                raise serializers.ValidationError(
                    {"questionnaire": [_("A question cannot move to another questionnaire.")]}
                )
            if self.instance.questionnaire.is_frozen:
                raise serializers.ValidationError(
                    {"detail": _frozen_message(self.instance.questionnaire)}
                )
        elif questionnaire is not None and questionnaire.is_frozen:
            raise serializers.ValidationError({"detail": _frozen_message(questionnaire)})
        code = attrs.get("code")
        if questionnaire is not None and code:
            same = Question.objects.filter(questionnaire=questionnaire, code=code)
            if self.instance is not None:
                same = same.exclude(pk=self.instance.pk)
            if same.exists():
                raise serializers.ValidationError(
                    {"code": [_("This code is already used in this version.")]}
                )
        return super().validate(attrs)


class NestedQuestionSerializer(serializers.ModelSerializer):
    text = MultilingualTextSerializerField(read_only=True)
    guidance = MultilingualTextSerializerField(read_only=True)
    area_code = serializers.CharField(source="area.code", read_only=True)
    descriptors = DescriptorSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = (
            "id",
            "code",
            "section",
            "area",
            "area_code",
            "kind",
            "text",
            "guidance",
            "weight",
            "evidence_required",
            "not_applicable_allowed",
            "position",
            "descriptors",
        )
        read_only_fields = fields


class NestedSectionSerializer(serializers.ModelSerializer):
    title = MultilingualTextSerializerField(read_only=True)

    class Meta:
        model = Section
        fields = ("id", "code", "title", "position")
        read_only_fields = fields


class QuestionnaireDetailSerializer(QuestionnaireSerializer):
    sections = NestedSectionSerializer(many=True, read_only=True)
    questions = NestedQuestionSerializer(many=True, read_only=True)

    class Meta(QuestionnaireSerializer.Meta):
        fields = (*QuestionnaireSerializer.Meta.fields, "sections", "questions")


class QuestionnaireViewSet(PrimaryModelViewSet):
    queryset = Questionnaire.objects.select_related("framework", "scale")
    serializer_class = QuestionnaireSerializer
    filterset_class = QuestionnaireFilter
    ordering_fields = ("code", "version", "created")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return QuestionnaireDetailSerializer
        return QuestionnaireSerializer

    def get_queryset(self):
        queryset = super().get_queryset().annotate(round_count=Count("rounds"))
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("sections", queryset=Section.objects.order_by("position", "code")),
                Prefetch(
                    "questions",
                    queryset=Question.objects.select_related("area")
                    .prefetch_related(
                        Prefetch("descriptors", queryset=LevelDescriptor.objects.order_by("level"))
                    )
                    .order_by("position", "code"),
                ),
            )
        return queryset


class QuestionViewSet(ModelViewSet):
    queryset = Question.objects.select_related("questionnaire")
    serializer_class = QuestionSerializer
    filterset_class = QuestionFilter
    ordering_fields = ("code", "position")
