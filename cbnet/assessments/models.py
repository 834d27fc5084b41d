"""Needs assessment: questionnaires (versioned), rounds, assessments and answers, needs, plans.

- A ``Questionnaire`` is one version of a questionnaire ``code``; its ``Question``s keep their
  ``code`` across versions so results compare like with like. A version used by a round is
  frozen (``is_frozen``): editing it means copying it into a new version (services.py).
- A ``Round`` asks a set of administrations of a region to fill in one questionnaire version
  between two dates; each administration's answers form one ``Assessment``.
- A ``Need`` is what an administration asks support for (from a validated assessment's gaps,
  or entered directly); a ``RegionalNeed`` groups members' needs; a ``Plan`` is an
  administration's capacity-building workplan over its needs.

Who sees what is decided in ``cbnet/assessments/policies.py`` (registered with the
permission module); the workflow and scoring live in ``services.py`` and ``scoring.py``.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.choices import (
    AssessmentStatus,
    MilestoneStatus,
    NeedStatus,
    QuestionKind,
    RegionalNeedStatus,
    Support,
    TfaCategory,
)
from cbnet.core.countries import TIME_ZONE_CHOICES
from cbnet.core.models import BaseModel, PrimaryModel
from cbnet.core.multilingual import MultilingualTextField

PRIORITY_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class Questionnaire(PrimaryModel):
    code = models.SlugField(
        _("code"), max_length=40, help_text=_("The same for every version of the questionnaire.")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    title = MultilingualTextField(_("title"))
    description = MultilingualTextField(_("description"), blank=True)
    framework = models.ForeignKey(
        "capabilities.Framework",
        verbose_name=_("capability framework"),
        on_delete=models.PROTECT,
        related_name="questionnaires",
    )
    scale = models.ForeignKey(
        "capabilities.MaturityScale",
        verbose_name=_("maturity scale"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="questionnaires",
        help_text=_("The scale maturity questions are answered on."),
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_versions",
    )

    search_fields = ("code", "title")

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"], name="assessments_questionnaire_unique_version"
            )
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"

    def get_absolute_url(self):
        return reverse("assessments:questionnaire_detail", args=[self.pk])

    @property
    def is_frozen(self):
        """A version some round uses can no longer change; edit a new version instead."""
        return self.pk is not None and self.rounds.exists()

    def save(self, *args, **kwargs):
        """Save without BaseModel's stale-save counter: here ``version`` is the questionnaire's
        version number (unique with ``code``), which an edit must not bump. Versions are made
        by ``services.questionnaires.new_version``; edits are Secretariat-only."""
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text", "updated"}
        return models.Model.save(self, *args, **kwargs)


class Section(BaseModel):
    questionnaire = models.ForeignKey(
        Questionnaire,
        verbose_name=_("questionnaire"),
        on_delete=models.CASCADE,
        related_name="sections",
    )
    code = models.CharField(_("code"), max_length=40)
    title = MultilingualTextField(_("title"))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["questionnaire", "position", "code"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "code"], name="assessments_section_unique_code"
            )
        ]

    def __str__(self):
        return str(self.title)


class Question(BaseModel):
    questionnaire = models.ForeignKey(
        Questionnaire,
        verbose_name=_("questionnaire"),
        on_delete=models.CASCADE,
        related_name="questions",
    )
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="questions",
    )
    area = models.ForeignKey(
        "capabilities.Area",
        verbose_name=_("capability area"),
        on_delete=models.PROTECT,
        related_name="questions",
    )
    code = models.CharField(
        _("code"), max_length=40, help_text=_("Stable across versions: results compare by it.")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=QuestionKind.choices)
    text = MultilingualTextField(_("question"))
    guidance = MultilingualTextField(_("guidance"), blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=5,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
        help_text=_("Maturity questions: the weight of the answer in its area's score."),
    )
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    not_applicable_allowed = models.BooleanField(_("'not applicable' allowed"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["questionnaire", "position", "code"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "code"], name="assessments_question_unique_code"
            )
        ]

    def __str__(self):
        return f"{self.code} {self.text}"

    def clean(self):
        if self.section_id and self.section.questionnaire_id != self.questionnaire_id:
            raise ValidationError({"section": _("The section must be in the same questionnaire.")})
        if self.area_id and self.area.framework_id != self.questionnaire.framework_id:
            raise ValidationError(
                {"area": _("The area must be in the questionnaire's capability framework.")}
            )


class LevelDescriptor(BaseModel):
    """What a level of the maturity scale looks like for one question (else the scale's)."""

    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="descriptors"
    )
    level = models.PositiveSmallIntegerField(_("level"))
    text = MultilingualTextField(_("descriptor"))

    class Meta:
        ordering = ["question", "level"]
        verbose_name = _("level descriptor")
        verbose_name_plural = _("level descriptors")
        constraints = [
            models.UniqueConstraint(
                fields=["question", "level"], name="assessments_descriptor_unique_level"
            )
        ]

    def __str__(self):
        return f"{self.question.code} {self.level}"


class Round(PrimaryModel):
    name = models.CharField(_("name"), max_length=200)
    questionnaire = models.ForeignKey(
        Questionnaire,
        verbose_name=_("questionnaire"),
        on_delete=models.PROTECT,
        related_name="rounds",
    )
    region = models.ForeignKey(
        "directory.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="assessment_rounds",
        limit_choices_to={"parent__isnull": True},
    )
    subregion = models.ForeignKey(
        "directory.Region",
        verbose_name=_("sub-region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subregion_assessment_rounds",
        limit_choices_to={"parent__isnull": False},
    )
    opens_on = models.DateField(_("opens on"))
    due_on = models.DateField(_("due on"))
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        choices=TIME_ZONE_CHOICES,
        help_text=_("The round closes at 23:59 on its due date in this time zone."),
    )
    instructions = models.TextField(_("instructions"), blank=True)

    search_fields = ("name",)

    class Meta:
        ordering = ["-opens_on", "name"]
        verbose_name = _("assessment round")
        verbose_name_plural = _("assessment rounds")
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("opens_on")),
                name="assessments_round_due_after_opening",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("assessments:round_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.opens_on and self.due_on and self.due_on < self.opens_on:
            errors["due_on"] = _("The due date cannot be before the opening date.")
        if self.subregion_id and self.region_id and self.subregion.parent_id != self.region_id:
            errors["subregion"] = _("The sub-region must belong to the round's region.")
        if errors:
            raise ValidationError(errors)

    @property
    def closes_at(self):
        """23:59:59 on the due date in the round's time zone, as an aware datetime."""
        zone = zoneinfo.ZoneInfo(self.time_zone or settings.TIME_ZONE)
        return datetime.datetime.combine(self.due_on, datetime.time(23, 59, 59), tzinfo=zone)

    @property
    def opens_at(self):
        zone = zoneinfo.ZoneInfo(self.time_zone or settings.TIME_ZONE)
        return datetime.datetime.combine(self.opens_on, datetime.time(0, 0), tzinfo=zone)

    def is_open(self, now=None):
        now = now or timezone.now()
        return self.opens_at <= now <= self.closes_at


class Assessment(PrimaryModel):
    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.PROTECT, related_name="assessments"
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("administration"),
        on_delete=models.PROTECT,
        related_name="assessments",
        limit_choices_to={"kind": "member_administration"},
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.NOT_STARTED,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("validated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_comment = models.TextField(
        _("reviewer's comments"), blank=True, help_text=_("Why the assessment was returned.")
    )

    search_fields = ("organisation_name",)

    class Meta:
        ordering = ["round", "organisation__name"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organisation"], name="assessments_assessment_unique_member"
            )
        ]
        indexes = [models.Index(fields=["organisation", "status"], name="assess_org_status_idx")]

    def __str__(self):
        return f"{self.organisation} — {self.round}"

    def get_absolute_url(self):
        return reverse("assessments:assessment_detail", args=[self.pk])

    @property
    def organisation_name(self):
        return self.organisation.name if self.organisation_id else ""


class Answer(BaseModel):
    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.PROTECT, related_name="answers"
    )
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    not_applicable = models.BooleanField(_("not applicable"), default=False)
    tfa_category = models.CharField(
        _("TFA category"), max_length=1, blank=True, choices=TfaCategory.choices
    )
    indicative_date = models.DateField(_("indicative date"), null=True, blank=True)
    definitive_date = models.DateField(_("definitive date"), null=True, blank=True)
    assistance_needed = models.BooleanField(_("technical assistance needed"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["assessment", "question__position", "question__code"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question"], name="assessments_answer_unique_question"
            ),
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(not_applicable=False),
                name="assessments_answer_level_or_na",
            ),
        ]

    def __str__(self):
        return f"{self.assessment_id}/{self.question.code}"

    @property
    def is_answered(self):
        """Counts towards completeness: a level, 'not applicable', or a TFA category."""
        return self.level is not None or self.not_applicable or bool(self.tfa_category)


def evidence_path(instance, filename):
    return f"assessments/{instance.assessment_id}/evidence/{filename}"


class Evidence(BaseModel):
    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="evidence"
    )
    question = models.ForeignKey(
        Question,
        verbose_name=_("question"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["assessment", "created"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self):
        return self.name


class AssessmentShare(BaseModel):
    """A validated assessment shared with a development partner (until revoked)."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="shares"
    )
    partner = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="shared_assessments",
        limit_choices_to={"kind": "development_partner"},
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["assessment", "created"]
        verbose_name = _("assessment share")
        verbose_name_plural = _("assessment shares")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "partner"],
                condition=Q(revoked_at__isnull=True),
                name="assessments_share_one_active",
            )
        ]

    def __str__(self):
        return f"{self.assessment} → {self.partner}"


class AreaTarget(BaseModel):
    """The level an administration aims for in a capability area; gap = target − score."""

    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("administration"),
        on_delete=models.CASCADE,
        related_name="area_targets",
    )
    area = models.ForeignKey(
        "capabilities.Area",
        verbose_name=_("capability area"),
        on_delete=models.PROTECT,
        related_name="targets",
    )
    level = models.DecimalField(
        _("target level"), max_digits=4, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["organisation", "area"]
        verbose_name = _("target level")
        verbose_name_plural = _("target levels")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "area"], name="assessments_target_unique_area"
            )
        ]

    def __str__(self):
        return f"{self.organisation} {self.area.code}: {self.level}"


class Need(PrimaryModel):
    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("administration"),
        on_delete=models.PROTECT,
        related_name="needs",
        limit_choices_to={"kind": "member_administration"},
    )
    area = models.ForeignKey(
        "capabilities.Area",
        verbose_name=_("capability area"),
        on_delete=models.PROTECT,
        related_name="needs",
    )
    title = MultilingualTextField(_("title"))
    description = MultilingualTextField(_("description"), blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=3, validators=PRIORITY_VALIDATORS, help_text=_("1 is the highest.")
    )
    support = models.JSONField(
        _("support wanted"),
        default=list,
        blank=True,
        help_text=_("Training, technical assistance, expert mission, equipment, funding."),
    )
    tfa_category = models.CharField(
        _("TFA category"), max_length=1, blank=True, choices=TfaCategory.choices
    )
    status = models.CharField(
        _("status"), max_length=20, choices=NeedStatus.choices, default=NeedStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("assessment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="needs",
        help_text=_("The validated assessment the need comes from, if any."),
    )
    answers = models.ManyToManyField(
        Answer, verbose_name=_("answers behind it"), blank=True, related_name="needs"
    )

    search_fields = ("title", "description", "organisation_name")

    class Meta:
        ordering = ["organisation", "priority", "-created"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        indexes = [models.Index(fields=["status", "priority"], name="assess_need_status_idx")]

    def __str__(self):
        return str(self.title)

    def get_absolute_url(self):
        return reverse("assessments:need_detail", args=[self.pk])

    @property
    def organisation_name(self):
        return self.organisation.name if self.organisation_id else ""

    def clean(self):
        unknown = sorted(set(self.support or []) - set(Support.values))
        if unknown:
            message = _("Unknown kinds of support: %(kinds)s.") % {"kinds": ", ".join(unknown)}
            raise ValidationError({"support": message})


class RegionalNeed(PrimaryModel):
    """A need shared by several members, standing for their needs in the region's plan."""

    region = models.ForeignKey(
        "directory.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="regional_needs",
    )
    area = models.ForeignKey(
        "capabilities.Area",
        verbose_name=_("capability area"),
        on_delete=models.PROTECT,
        related_name="regional_needs",
    )
    title = MultilingualTextField(_("title"))
    description = MultilingualTextField(_("description"), blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=3, validators=PRIORITY_VALIDATORS, help_text=_("1 is the highest.")
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RegionalNeedStatus.choices,
        default=RegionalNeedStatus.DRAFT,
    )
    needs = models.ManyToManyField(
        Need, verbose_name=_("member needs"), blank=True, related_name="regional_needs"
    )

    search_fields = ("title", "description")

    class Meta:
        ordering = ["region", "priority", "-created"]
        verbose_name = _("regional need")
        verbose_name_plural = _("regional needs")

    def __str__(self):
        return str(self.title)

    def get_absolute_url(self):
        return reverse("assessments:regionalneed_detail", args=[self.pk])


class Plan(PrimaryModel):
    """An administration's national capacity-building plan over its needs."""

    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("administration"),
        on_delete=models.PROTECT,
        related_name="capacity_plans",
        limit_choices_to={"kind": "member_administration"},
    )
    title = models.CharField(_("title"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    summary = models.TextField(_("summary"), blank=True)

    search_fields = ("title", "organisation_name")

    class Meta:
        ordering = ["organisation", "-starts_on"]
        verbose_name = _("capacity-building plan")
        verbose_name_plural = _("capacity-building plans")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("assessments:plan_detail", args=[self.pk])

    @property
    def organisation_name(self):
        return self.organisation.name if self.organisation_id else ""

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The plan cannot end before it starts.")})


class Milestone(BaseModel):
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="milestones"
    )
    need = models.ForeignKey(
        Need,
        verbose_name=_("need"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="milestones",
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        "directory.Person",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=20, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["plan", "due_on", "position"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self):
        return self.title

    def clean(self):
        if self.need_id and self.plan_id and self.need.organisation_id != self.plan.organisation_id:
            raise ValidationError({"need": _("The need must be the plan's administration's.")})
