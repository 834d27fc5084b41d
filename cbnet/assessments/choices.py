from django.db import models
from django.utils.translation import gettext_lazy as _


class QuestionKind(models.TextChoices):
    MATURITY = "maturity", _("Maturity level")
    TFA_CATEGORY = "tfa_category", _("TFA category")


class AssessmentStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for changes")
    VALIDATED = "validated", _("Validated")


# The workflow: which status may follow which (services.py enforces it).
ASSESSMENT_TRANSITIONS = {
    AssessmentStatus.NOT_STARTED: {AssessmentStatus.IN_PROGRESS},
    AssessmentStatus.IN_PROGRESS: {AssessmentStatus.SUBMITTED},
    AssessmentStatus.SUBMITTED: {AssessmentStatus.RETURNED, AssessmentStatus.VALIDATED},
    AssessmentStatus.RETURNED: {AssessmentStatus.IN_PROGRESS},
    AssessmentStatus.VALIDATED: set(),
}
# Statuses in which the administration may still change its answers.
EDITABLE_STATUSES = frozenset(
    {AssessmentStatus.NOT_STARTED, AssessmentStatus.IN_PROGRESS, AssessmentStatus.RETURNED}
)


class TfaCategory(models.TextChoices):
    A = "A", _("Category A (implemented on entry into force)")
    B = "B", _("Category B (after a transition period)")
    C = "C", _("Category C (after a transition period, with assistance)")


class Support(models.TextChoices):
    TRAINING = "training", _("Training")
    TECHNICAL_ASSISTANCE = "technical_assistance", _("Technical assistance")
    EXPERT_MISSION = "expert_mission", _("Expert mission")
    EQUIPMENT = "equipment", _("Equipment")
    FUNDING = "funding", _("Funding")


class NeedStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    MATCHED = "matched", _("Matched")
    IN_PROGRESS = "in_progress", _("In progress")
    MET = "met", _("Met")
    WITHDRAWN = "withdrawn", _("Withdrawn")


NEED_TRANSITIONS = {
    NeedStatus.DRAFT: {NeedStatus.PUBLISHED, NeedStatus.WITHDRAWN},
    NeedStatus.PUBLISHED: {NeedStatus.MATCHED, NeedStatus.WITHDRAWN},
    NeedStatus.MATCHED: {NeedStatus.IN_PROGRESS, NeedStatus.WITHDRAWN},
    NeedStatus.IN_PROGRESS: {NeedStatus.MET, NeedStatus.WITHDRAWN},
    NeedStatus.MET: set(),
    NeedStatus.WITHDRAWN: set(),
}
# Set by ROCB officers by hand in this version (later modules will drive them).
ROCB_NEED_STATUSES = frozenset({NeedStatus.MATCHED, NeedStatus.IN_PROGRESS, NeedStatus.MET})


class RegionalNeedStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    MET = "met", _("Met")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DELAYED = "delayed", _("Delayed")
    CANCELLED = "cancelled", _("Cancelled")
