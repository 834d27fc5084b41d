"""Who the assessment workflow tells, and the due-date reminders (cbnet.core.notifications)."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

pytest.importorskip("cbnet.core.notifications.registry")

from cbnet.assessments.notifications import remind_assessments_due, reminder_stage  # noqa: E402
from cbnet.assessments.services import workflow  # noqa: E402
from cbnet.assessments.testing import assessment_kit  # noqa: E402
from cbnet.core.notifications.models import Notification  # noqa: E402
from cbnet.core.testing import factories as f  # noqa: E402

pytestmark = pytest.mark.django_db

DURING = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def during_round():
    with time_machine.travel(DURING, tick=False):
        yield


@pytest.fixture
def net():
    net = f.network()
    f.member("alt.uy", net.uruguay, "alternate_ncp")
    f.member("head.uy", net.uruguay, "head_of_administration")
    f.member("pmm.uy", net.uruguay, "ncp", domain="pmm")  # another domain: not concerned
    f.member("staff.uy", net.uruguay, "staff")
    ended = f.member("old.uy", net.uruguay, None)
    f.appointment(ended.person, net.uruguay, "ncp", end_date=datetime.date(2025, 1, 1))
    africa = f.region("AF", "Africa")
    f.member("rocb.af", f.organisation("ROCB Africa", kind="rocb", region=africa), "rocb_officer")
    return net


@pytest.fixture
def kit(net):
    return assessment_kit(net)


def told(kind):
    rows = Notification.objects.filter(kind=kind)
    return sorted(rows.values_list("recipient__user__username", flat=True))


def answer_all(kit, user):
    workflow.save_answers(kit.uy, {q.code: {"level": 2} for q in kit.questions}, user=user)


def test_each_transition_tells_exactly_the_people_concerned(net, kit):
    ncp, rocb = net.users["ncp_uy"], net.users["rocb"]
    answer_all(kit, ncp)
    assert not Notification.objects.exists()  # saving tells no one
    workflow.submit(kit.uy, user=ncp)
    assert told("assessment.submitted") == ["rocb.ams"]
    workflow.return_assessment(kit.uy, user=rocb, comment="Explain D2-01, please.")
    assert told("assessment.returned") == ["alt.uy", "head.uy", "ncp.uy"]
    note = Notification.objects.filter(kind="assessment.returned").first()
    assert note.context["comment"] == "Explain D2-01, please."
    assert note.context["object_path"] == kit.uy.get_absolute_url()
    assert note.actor == rocb
    workflow.save_answers(kit.uy, {"D2-01": {"comment": "Explained."}}, user=ncp)
    workflow.submit(kit.uy, user=ncp)
    workflow.validate(kit.uy, user=rocb)
    assert told("assessment.validated") == ["alt.uy", "head.uy", "ncp.uy"]
    assert told("assessment.submitted") == ["rocb.ams", "rocb.ams"]


def test_a_refused_operation_tells_no_one(net, kit):
    answer_all(kit, net.users["ncp_uy"])
    with pytest.raises(PermissionDenied):
        workflow.submit(kit.uy, user=net.users["rocb"])
    assert not Notification.objects.exists()


def test_the_emails_render_in_the_recipients_language(net, kit, django_capture_on_commit_callbacks):
    from django.core import mail

    net.people["ncp_uy"].languages = ["es"]
    net.people["ncp_uy"].save()
    answer_all(kit, net.users["ncp_uy"])
    workflow.submit(kit.uy, user=net.users["ncp_uy"])
    with django_capture_on_commit_callbacks(execute=True):
        workflow.return_assessment(kit.uy, user=net.users["rocb"], comment="Falta la ley.")
    to_ncp = [m for m in mail.outbox if net.users["ncp_uy"].email in m.to]
    assert len(to_ncp) == 1
    assert "Falta la ley." in to_ncp[0].body
    assert kit.uy.get_absolute_url() in to_ncp[0].body


@pytest.mark.parametrize(
    ("days_left", "stage"),
    [
        (8, None),
        (7, "due-in-7"),
        (2, "due-in-7"),
        (1, "due-in-1"),
        (0, "due-in-1"),
        (-1, "overdue"),
        (-7, "overdue"),
        (-8, None),
    ],
)
def test_reminder_stages(days_left, stage):
    assert reminder_stage(days_left) == stage


def test_reminders_7_and_1_days_before_and_1_day_after_each_sent_once(net, kit):
    answer_all(kit, net.users["ncp_uy"])
    workflow.submit(kit.uy, user=net.users["ncp_uy"])  # Uruguay is done: no reminders
    f.member("head.br", net.brazil, "head_of_administration")
    days = {
        datetime.date(2026, 3, 23): 0,  # 8 days before: nothing yet
        datetime.date(2026, 3, 24): 2,  # 7 days before: Brazil's NCP and head
        datetime.date(2026, 3, 25): 0,
        datetime.date(2026, 3, 30): 2,  # 1 day before
        datetime.date(2026, 3, 31): 0,
        datetime.date(2026, 4, 1): 2,  # 1 day after
        datetime.date(2026, 4, 2): 0,
    }
    for day, expected in days.items():
        assert remind_assessments_due(day).sent == expected, day
        assert remind_assessments_due(day).sent == 0, day  # run twice: nothing more
    assert told("assessment.reminder") == ["head.br"] * 3 + ["ncp.br"] * 3


def test_a_missed_day_still_sends_the_stage_once(net, kit):
    # The job did not run on the 24th: the 7-day reminder goes out on the 26th instead.
    # Uruguay: NCP, alternate, head; Brazil: NCP.
    assert remind_assessments_due(datetime.date(2026, 3, 26)).sent == 4
    assert remind_assessments_due(datetime.date(2026, 3, 27)).sent == 0


def stages_sent():
    rows = Notification.objects.filter(kind="assessment.reminder")
    return sorted({row.context["stage"] for row in rows})


def test_reminder_days_are_counted_in_the_rounds_time_zone(net, kit):
    # 1 April 01:00 UTC is still 31 March, the due day, in Montevideo (UTC-3): the round
    # is open there, so the cron run sends the last-day reminder, not "overdue".
    evening = datetime.datetime(2026, 4, 1, 1, 0, tzinfo=datetime.UTC)
    with time_machine.travel(evening, tick=False):
        assert remind_assessments_due(datetime.date(2026, 4, 1)).sent > 0
    assert stages_sent() == ["due-in-1"]
    # In Auckland (UTC+13) the same instant is already 1 April 14:00: overdue there.
    Notification.objects.all().delete()
    kit.round.time_zone = "Pacific/Auckland"
    kit.round.save()
    with time_machine.travel(evening, tick=False):
        remind_assessments_due(datetime.date(2026, 4, 1))
    assert stages_sent() == ["overdue"]


def test_extending_a_round_restarts_its_reminders(net, kit):
    assert remind_assessments_due(datetime.date(2026, 3, 30)).sent > 0  # 1 day before
    kit.round.due_on = datetime.date(2026, 4, 30)
    kit.round.save()
    Notification.objects.all().delete()
    assert remind_assessments_due(datetime.date(2026, 4, 29)).sent > 0  # 1 day before again
    assert stages_sent() == ["due-in-1"]
