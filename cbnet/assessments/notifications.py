"""The assessments app's kinds of message and its due-date reminder (found by the
notifications app at start-up; see docs/notifications.md and docs/assessments.md).

- ``assessment.submitted``: to the region's ROCB officers, when an administration submits.
- ``assessment.returned`` / ``assessment.validated``: to the administration's
  capacity-building NCP, alternate NCP and head of administration.
- ``assessment.reminder``: to the same people, 7 days and 1 day before the round's due date
  and 1 day after it, while their assessment is not submitted; each sent once.
"""

from django.utils.translation import gettext_lazy as _

# Imported at start-up (this module is autodiscovered): registers the workflow's event names,
# so that pages and tests that never call the workflow still know their labels.
from cbnet.assessments.services import workflow  # noqa: F401
from cbnet.core.notifications.registry import (
    Mode,
    ReminderResult,
    register_kind,
    register_reminder,
)

SUBMITTED = "assessment.submitted"
RETURNED = "assessment.returned"
VALIDATED = "assessment.validated"
REMINDER = "assessment.reminder"

register_kind(
    SUBMITTED,
    label=_("Assessments submitted for your review"),
    template="assessments/emails/assessment_submitted",
    default_mode=Mode.IMMEDIATE,
)
register_kind(
    RETURNED,
    label=_("Your administration's assessment returned for changes"),
    template="assessments/emails/assessment_returned",
    default_mode=Mode.IMMEDIATE,
)
register_kind(
    VALIDATED,
    label=_("Your administration's assessment validated"),
    template="assessments/emails/assessment_validated",
    default_mode=Mode.IMMEDIATE,
)
register_kind(
    REMINDER,
    label=_("Reminders before and after an assessment's due date"),
    template="assessments/emails/assessment_reminder",
    default_mode=Mode.IMMEDIATE,
)

# Reminder stages: (name, first day, last day) counted as days until the due date. A stage
# is sent on the first run inside its window (so a missed day does not lose it), once.
REMINDER_STAGES = (("due-in-7", 2, 7), ("due-in-1", 0, 1), ("overdue", -7, -1))


def reminder_stage(days_left):
    for name, first, last in REMINDER_STAGES:
        if first <= days_left <= last:
            return name
    return None


@register_reminder
def remind_assessments_due(today):
    """Remind the people who fill in an assessment that is not submitted yet: 7 days and
    1 day before its round's due date, and 1 day after it (each once per person)."""
    import datetime

    from cbnet.assessments.choices import EDITABLE_STATUSES
    from cbnet.assessments.models import Assessment
    from cbnet.core.notifications.services import notify_once

    assessments = (
        Assessment.objects.filter(
            status__in=list(EDITABLE_STATUSES),
            archived_at__isnull=True,
            round__archived_at__isnull=True,
            round__opens_on__lte=today,
            round__due_on__gte=today - datetime.timedelta(days=7),
            round__due_on__lte=today + datetime.timedelta(days=7),
        )
        .select_related("round", "organisation")
        .order_by("round_id", "organisation_id")
    )
    result = ReminderResult()
    for assessment in assessments:
        days_left = (assessment.round.due_on - today).days
        stage = reminder_stage(days_left)
        if stage is None:
            continue
        for person in workflow.assessment_contacts(assessment.organisation, on=today):
            result.add(
                notify_once,
                person,
                REMINDER,
                period=f"{assessment.round_id}:{stage}",
                obj=assessment,
                context={
                    "assessment": assessment,
                    "organisation": assessment.organisation,
                    "round": {"id": assessment.round_id, "name": assessment.round.name},
                    "due_on": assessment.round.due_on,
                    "stage": stage,
                    "days_left": days_left,
                },
            )
    return result
