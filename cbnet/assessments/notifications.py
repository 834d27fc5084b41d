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


def _run_instant(today):
    """The instant the reminder run stands for: now when ``today`` is the server's date (the
    cron run), else noon of the given day (an explicit or catch-up run, and tests)."""
    import datetime

    from django.utils import timezone

    now = timezone.now()
    if today == timezone.localdate(now):
        return now
    return datetime.datetime.combine(
        today, datetime.time(12), tzinfo=timezone.get_current_timezone()
    )


@register_reminder
def remind_assessments_due(today):
    """Remind the people who fill in an assessment that is not submitted yet: 7 days and
    1 day before its round's due date, and 1 day after it (each once per person).

    Days are counted in the round's own time zone (a round closes at 23:59 there), and the
    due date is part of what makes a reminder "already sent", so extending a round restarts
    its reminders for the new date.
    """
    import datetime

    from cbnet.assessments.choices import EDITABLE_STATUSES
    from cbnet.assessments.models import Assessment
    from cbnet.assessments.services.rounds import local_date
    from cbnet.core.notifications.services import notify_once

    instant = _run_instant(today)
    # One day wider than the stages on each side: a round's local date may differ by one.
    assessments = (
        Assessment.objects.filter(
            status__in=list(EDITABLE_STATUSES),
            archived_at__isnull=True,
            round__archived_at__isnull=True,
            round__opens_on__lte=today + datetime.timedelta(days=1),
            round__due_on__gte=today - datetime.timedelta(days=8),
            round__due_on__lte=today + datetime.timedelta(days=8),
        )
        .select_related("round", "organisation")
        .order_by("round_id", "organisation_id")
    )
    result = ReminderResult()
    for assessment in assessments:
        round_ = assessment.round
        round_today = local_date(round_.time_zone, instant)
        if round_today < round_.opens_on:
            continue
        days_left = (round_.due_on - round_today).days
        stage = reminder_stage(days_left)
        if stage is None:
            continue
        for person in workflow.assessment_contacts(assessment.organisation, on=round_today):
            result.add(
                notify_once,
                person,
                REMINDER,
                period=f"{round_.pk}:{round_.due_on.isoformat()}:{stage}",
                obj=assessment,
                context={
                    "assessment": assessment,
                    "organisation": assessment.organisation,
                    "round": {"id": round_.pk, "name": round_.name},
                    "due_on": round_.due_on,
                    "stage": stage,
                    "days_left": days_left,
                },
            )
    return result
