"""Opening, extending and adding to assessment rounds (cbnet.assessments.services.rounds)."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from cbnet.assessments.models import Assessment, Round
from cbnet.assessments.services import rounds, workflow
from cbnet.assessments.testing import questionnaire
from cbnet.core.models_events import Event
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)
OPENS = datetime.date(2026, 3, 1)
DUE = datetime.date(2026, 3, 31)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def net():
    net = f.network()
    # A Caribbean member (AMS, no sub-region), an archived member, another region's member.
    net.jamaica = f.organisation("Jamaica Customs Agency", country="JM", region=net.ams)
    net.gone = f.organisation("Former Customs", country="AR", region=net.ams, subregion=net.sam)
    net.gone.archived_at = NOW
    net.gone.save()
    net.africa = f.region("AF", "Africa")
    net.kenya = f.organisation("Kenya Revenue Authority", country="KE", region=net.africa)
    net.rocb_af_org = f.organisation("ROCB Africa", kind="rocb", region=net.africa)
    net.users["rocb_af"] = f.member("rocb.af", net.rocb_af_org, "rocb_officer")
    return net


@pytest.fixture
def dsa():
    return questionnaire()


def open_(net, dsa, user="rocb", **kwargs):
    values = {
        "name": "AMS 2026",
        "questionnaire": dsa,
        "region": net.ams,
        "opens_on": OPENS,
        "due_on": DUE,
        "user": net.users[user] if isinstance(user, str) else user,
    }
    values.update(kwargs)
    return rounds.open_round(**values)


def members_of(round_):
    return sorted(round_.assessments.values_list("organisation__name", flat=True))


# --- who takes part ---------------------------------------------------------------------


def test_a_region_round_asks_every_current_member_of_the_region(net, dsa):
    round_ = open_(net, dsa)
    assert members_of(round_) == sorted(
        [net.uruguay.name, net.brazil.name, net.jamaica.name]
    )  # not the archived member, not Kenya, not the ROCB or the IDB
    assert set(round_.assessments.values_list("status", flat=True)) == {"not_started"}


def test_a_subregion_round_asks_only_the_subregions_members(net, dsa):
    round_ = open_(net, dsa, subregion=net.sam)
    assert members_of(round_) == sorted([net.uruguay.name, net.brazil.name])
    assert round_.subregion == net.sam


def test_an_explicit_list_is_taken_as_given(net, dsa):
    round_ = open_(net, dsa, organisations=[net.jamaica, net.uruguay, net.uruguay])
    assert members_of(round_) == sorted([net.jamaica.name, net.uruguay.name])


@pytest.mark.parametrize("who", ["kenya", "idb", "rocb_org", "gone"])
def test_organisations_outside_the_region_or_not_members_are_refused(net, dsa, who):
    with pytest.raises(ValidationError) as caught:
        open_(net, dsa, organisations=[net.uruguay, getattr(net, who)])
    assert "organisations" in caught.value.message_dict
    assert getattr(net, who).name in caught.value.message_dict["organisations"][0]
    assert not Round.objects.exists() and not Assessment.objects.exists()


def test_a_subregion_round_refuses_a_member_outside_the_subregion(net, dsa):
    with pytest.raises(ValidationError) as caught:
        open_(net, dsa, subregion=net.sam, organisations=[net.jamaica])
    assert "organisations" in caught.value.message_dict
    assert not Round.objects.exists()


def test_a_subregion_of_another_region_is_refused(net, dsa):
    west = f.region("AF-W", "West Africa", parent=net.africa)
    with pytest.raises(ValidationError) as caught:
        open_(net, dsa, user="secretariat", subregion=west)
    assert "subregion" in caught.value.message_dict


def test_a_subregion_given_as_the_region_is_refused(net, dsa):
    with pytest.raises(ValidationError) as caught:
        open_(net, dsa, user="secretariat", region=net.sam)
    assert "region" in caught.value.message_dict


# --- dates and time zones ---------------------------------------------------------------


def test_the_time_zone_defaults_to_the_rocbs(net, dsa):
    net.rocb_org.time_zone = "America/Port_of_Spain"
    net.rocb_org.save()
    assert open_(net, dsa).time_zone == "America/Port_of_Spain"
    given = open_(net, dsa, name="Given zone", time_zone="America/Montevideo")
    assert given.time_zone == "America/Montevideo"


def test_without_an_rocb_time_zone_the_sites_is_used(net, dsa, settings):
    assert net.rocb_org.time_zone == ""
    assert open_(net, dsa).time_zone == settings.TIME_ZONE


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"due_on": OPENS - datetime.timedelta(days=1)}, "due_on"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"name": "   "}, "name"),
        ({"due_on": datetime.date(9999, 12, 31)}, "due_on"),
        ({"opens_on": datetime.date(1, 1, 1)}, "opens_on"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(net, dsa, changes, field):
    with pytest.raises(ValidationError) as caught:
        open_(net, dsa, **changes)
    assert field in caught.value.message_dict
    assert not Round.objects.exists() and not Assessment.objects.exists()
    assert not Event.objects.exists()


def test_a_questionnaire_without_questions_is_refused(net, dsa):
    empty = questionnaire(code="empty", per_area=0)
    with pytest.raises(ValidationError) as caught:
        open_(net, dsa, questionnaire=empty)
    assert "questionnaire" in caught.value.message_dict


def test_closes_at_is_2359_on_the_due_date_in_the_rounds_zone(net, dsa):
    round_ = open_(net, dsa, time_zone="America/Montevideo")  # UTC-3
    assert round_.closes_at.astimezone(datetime.UTC) == datetime.datetime(
        2026, 4, 1, 2, 59, 59, tzinfo=datetime.UTC
    )


def test_a_save_at_2358_local_is_accepted_and_at_0001_refused(net, dsa):
    round_ = open_(net, dsa, time_zone="America/Montevideo")
    uy = round_.assessments.get(organisation=net.uruguay)
    ncp = net.users["ncp_uy"]
    code = dsa.questions.order_by("position").first().code
    # 23:58 on 31 March in Montevideo is 02:58 UTC on 1 April.
    with time_machine.travel(datetime.datetime(2026, 4, 1, 2, 58, tzinfo=datetime.UTC)):
        workflow.save_answers(uy, {code: {"level": 2}}, user=ncp)
    with time_machine.travel(datetime.datetime(2026, 4, 1, 3, 1, tzinfo=datetime.UTC)):
        with pytest.raises(ValidationError):
            workflow.save_answers(uy, {code: {"level": 3}}, user=ncp)
    assert uy.answers.get().level == 2


def test_the_same_instant_is_after_the_deadline_in_auckland_and_before_it_in_montevideo(net, dsa):
    auckland = open_(net, dsa, name="NZ", time_zone="Pacific/Auckland")  # UTC+13 in March
    montevideo = open_(net, dsa, name="UY", time_zone="America/Montevideo")  # UTC-3
    # 31 March 12:00 UTC: already 1 April 01:00 in Auckland, still 31 March 09:00 in Montevideo.
    instant = datetime.datetime(2026, 3, 31, 12, 0, tzinfo=datetime.UTC)
    assert rounds.round_status(auckland, instant) == rounds.CLOSED
    assert rounds.round_status(montevideo, instant) == rounds.OPEN
    assert rounds.local_date("Pacific/Auckland", instant) == datetime.date(2026, 4, 1)
    assert rounds.local_date("America/Montevideo", instant) == datetime.date(2026, 3, 31)
    with time_machine.travel(instant):
        open_now = Round.objects.filter(rounds.status_q(rounds.OPEN))
        closed_now = Round.objects.filter(rounds.status_q(rounds.CLOSED))
        assert list(open_now) == [montevideo]
        assert list(closed_now) == [auckland]
    # Before the opening day in the round's zone it is upcoming.
    before = datetime.datetime(2026, 2, 28, 11, 30, tzinfo=datetime.UTC)  # 1 March 00:30 in NZ
    assert rounds.round_status(auckland, before) == rounds.OPEN
    assert rounds.round_status(montevideo, before) == rounds.UPCOMING


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["ncp_uy", "partner", "reader", "rocb_af"])
def test_only_the_regions_rocb_and_the_secretariat_open_rounds(net, dsa, who):
    with pytest.raises(PermissionDenied):
        open_(net, dsa, user=who)
    assert not Round.objects.exists()


def test_the_secretariat_opens_a_round_in_any_region(net, dsa):
    round_ = open_(net, dsa, user="secretariat", region=net.africa)
    assert members_of(round_) == [net.kenya.name]


def test_opening_freezes_the_questionnaire_and_records_the_event(net, dsa):
    assert not dsa.is_frozen
    round_ = open_(net, dsa)
    assert dsa.is_frozen
    event = Event.objects.get(name="round.opened")
    assert event.object_id == round_.pk and event.actor == net.users["rocb"]
    assert event.new["administrations"] == 3
    assert event.new["due_on"] == "2026-03-31"


def test_opening_tells_each_administrations_ncps_and_head(net, dsa):
    pytest.importorskip("cbnet.core.notifications.models")
    from cbnet.core.notifications.models import Notification

    f.member("alt.uy", net.uruguay, "alternate_ncp")
    f.member("head.uy", net.uruguay, "head_of_administration")
    f.member("pmm.uy", net.uruguay, "ncp", domain="pmm")  # another domain: not concerned
    f.member("staff.uy", net.uruguay, "staff")
    round_ = open_(net, dsa, subregion=net.sam)
    told = sorted(
        Notification.objects.filter(kind="round.opened").values_list(
            "recipient__user__username", flat=True
        )
    )
    assert told == ["alt.uy", "head.uy", "ncp.br", "ncp.uy"]
    note = Notification.objects.get(kind="round.opened", recipient__user__username="ncp.uy")
    assert (
        note.context["object_path"]
        == round_.assessments.get(organisation=net.uruguay).get_absolute_url()
    )


def test_the_round_opened_email_renders(net, dsa, django_capture_on_commit_callbacks):
    pytest.importorskip("cbnet.core.notifications.models")
    from django.core import mail

    net.people["ncp_uy"].languages = ["es"]
    net.people["ncp_uy"].save()
    with django_capture_on_commit_callbacks(execute=True):
        open_(net, dsa, subregion=net.sam, time_zone="America/Montevideo")
    to_uy = [m for m in mail.outbox if net.users["ncp_uy"].email in m.to]
    assert len(to_uy) == 1
    assert "AMS 2026" in to_uy[0].subject
    assert "America/Montevideo" in to_uy[0].body


# --- extending and adding ---------------------------------------------------------------


def test_extend_moves_the_due_date_later_and_reopens_a_closed_round(net, dsa):
    round_ = open_(net, dsa, time_zone="America/Montevideo")
    uy = round_.assessments.get(organisation=net.uruguay)
    code = dsa.questions.order_by("position").first().code
    after = datetime.datetime(2026, 4, 3, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(after):
        with pytest.raises(ValidationError):
            workflow.save_answers(uy, {code: {"level": 1}}, user=net.users["ncp_uy"])
        rounds.extend_round(round_, datetime.date(2026, 4, 15), user=net.users["rocb"])
        assert round_.due_on == datetime.date(2026, 4, 15)
        workflow.save_answers(uy, {code: {"level": 1}}, user=net.users["ncp_uy"])
    event = Event.objects.get(name="round.extended")
    assert event.old == {"due_on": "2026-03-31"} and event.new == {"due_on": "2026-04-15"}


def test_extend_refuses_an_earlier_date_a_stale_version_and_other_people(net, dsa):
    from cbnet.core.models import StaleObjectError

    round_ = open_(net, dsa)
    with pytest.raises(ValidationError) as caught:
        rounds.extend_round(round_, DUE, user=net.users["rocb"])
    assert "due_on" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        rounds.extend_round(round_, datetime.date(9999, 12, 31), user=net.users["rocb"])
    assert "due_on" in caught.value.message_dict
    with pytest.raises(StaleObjectError):
        rounds.extend_round(
            round_, DUE + datetime.timedelta(days=1), user=net.users["rocb"], version=99
        )
    for who in ("ncp_uy", "rocb_af", "partner"):
        with pytest.raises(PermissionDenied):
            rounds.extend_round(round_, DUE + datetime.timedelta(days=9), user=net.users[who])
    assert Round.objects.get().due_on == DUE


def test_extending_tells_only_administrations_not_done(net, dsa):
    pytest.importorskip("cbnet.core.notifications.models")
    from cbnet.core.notifications.models import Notification

    round_ = open_(net, dsa, subregion=net.sam)
    uy = round_.assessments.get(organisation=net.uruguay)
    uy.status = "submitted"
    uy.save()
    rounds.extend_round(round_, DUE + datetime.timedelta(days=7), user=net.users["rocb"])
    told = list(
        Notification.objects.filter(kind="round.extended").values_list(
            "recipient__user__username", flat=True
        )
    )
    assert told == ["ncp.br"]


def test_add_administrations(net, dsa):
    round_ = open_(net, dsa, organisations=[net.uruguay])
    created = rounds.add_administrations(round_, [net.brazil], user=net.users["rocb"])
    assert [a.organisation for a in created] == [net.brazil]
    assert members_of(round_) == sorted([net.uruguay.name, net.brazil.name])
    with pytest.raises(ValidationError) as caught:
        rounds.add_administrations(round_, [net.brazil, net.jamaica], user=net.users["rocb"])
    assert net.brazil.name in caught.value.message_dict["organisations"][0]
    with pytest.raises(ValidationError):
        rounds.add_administrations(round_, [net.kenya], user=net.users["rocb"])
    with pytest.raises(PermissionDenied):
        rounds.add_administrations(round_, [net.jamaica], user=net.users["ncp_uy"])
    assert round_.assessments.count() == 2
    assert Event.objects.filter(name="round.administrations_added").count() == 1


def test_a_closed_round_takes_no_new_administrations(net, dsa):
    round_ = open_(net, dsa, organisations=[net.uruguay])
    with time_machine.travel(datetime.datetime(2026, 4, 5, tzinfo=datetime.UTC)):
        with pytest.raises(ValidationError):
            rounds.add_administrations(round_, [net.brazil], user=net.users["rocb"])
    assert round_.assessments.count() == 1
