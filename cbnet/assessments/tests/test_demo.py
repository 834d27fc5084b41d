"""The assessments demo: two rounds relative to today, idempotent, and seen only by the right
people (page and permission door)."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cbnet.assessments import scoring
from cbnet.assessments.demo import FINISHED, UNDER_WAY, load_assessments_demo, read_profiles
from cbnet.assessments.models import (
    Answer,
    AreaTarget,
    Assessment,
    AssessmentShare,
    Milestone,
    Need,
    Plan,
    RegionalNeed,
    Round,
)
from cbnet.core.events import Event
from cbnet.directory.demo import load_demo

PROFILES = read_profiles()
MODELS = (Round, Assessment, Answer, AreaTarget, Need, RegionalNeed, Plan, Milestone)


@pytest.fixture(scope="module")
def demo_db(django_db_setup, django_db_blocker):
    """The demo loaded once for the module, rolled back at its end (tests get savepoints)."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            load_demo()
            yield
            transaction.set_rollback(True)


@pytest.fixture
def demo(demo_db, db):
    return None


def user(username):
    return get_user_model().objects.get(username=username)


def round_of(part):
    return Round.objects.get(name=PROFILES["rounds"][part]["name"])


def counts():
    result = {model.__name__: model.objects.count() for model in MODELS}
    result["shares"] = AssessmentShare.objects.count()
    result["events"] = Event.objects.count()
    result["answer history"] = Answer.history.count()
    result["need history"] = Need.history.count()
    return result


def test_a_second_load_writes_nothing(demo):
    before = counts()
    assert before["Round"] == 2
    assert load_assessments_demo() == {"created": 0}
    assert load_demo()["created"] == 0
    assert counts() == before


def test_an_edit_in_the_demo_survives_the_next_load(demo):
    need = Need.objects.filter(organisation__country="UY", status="draft").first()
    Need.objects.filter(pk=need.pk).update(priority=5)
    load_assessments_demo()
    need.refresh_from_db()
    assert need.priority == 5


def test_the_rounds_are_dated_relative_to_today(demo):
    today = timezone.localdate()
    finished, under_way = round_of(FINISHED), round_of(UNDER_WAY)
    days = datetime.timedelta
    assert finished.opens_on == today + days(PROFILES["rounds"][FINISHED]["opens_in_days"])
    assert finished.due_on == today + days(PROFILES["rounds"][FINISHED]["due_in_days"])
    assert under_way.opens_on == today - days(25)
    assert under_way.due_on == today + days(35)
    assert not finished.is_open()
    assert under_way.is_open()
    assert finished.questionnaire == under_way.questionnaire
    assert finished.questionnaire.is_frozen


def test_the_finished_round_is_validated_and_scored(demo):
    finished = round_of(FINISHED)
    assessments = list(finished.assessments.select_related("organisation"))
    assert len(assessments) == len(PROFILES["administrations"]) == 31
    assert {a.status for a in assessments} == {"validated"}
    assert all(a.validated_at and a.submitted_at < a.validated_at for a in assessments)
    assert all(a.validated_at < timezone.now() - datetime.timedelta(days=300) for a in assessments)
    scores = scoring.score_assessments([a.pk for a in assessments])
    for assessment in assessments:
        score = scores[assessment.pk]
        assert score.completeness == 1
        assert score.framework_score is not None
        assert not score.unscored_areas
    # The answers are the profile's.
    argentina = next(a for a in assessments if a.organisation.country == "AR")
    levels = dict(argentina.answers.values_list("question__code", "level"))
    assert (
        levels["DSA-D2-02"]
        == PROFILES["administrations"]["AR"]["rounds"][FINISHED]["levels"]["DSA-D2-02"]
    )
    # Each step left its event (the directly written ones too), at its own date.
    names = set(
        Event.objects.filter(object_id=argentina.pk, content_type__model="assessment").values_list(
            "name", flat=True
        )
    )
    assert {"assessment.started", "assessment.submitted", "assessment.validated"} <= names


def test_targets_needs_regional_need_and_plan(demo):
    uruguay_targets = dict(
        AreaTarget.objects.filter(organisation__country="UY").values_list("area__code", "level")
    )
    assert {code: int(level) for code, level in uruguay_targets.items()} == (
        PROFILES["administrations"]["UY"]["targets"]
    )
    wanted = sum(len(p["needs"]) for p in PROFILES["administrations"].values())
    assert Need.objects.count() == wanted
    matched = Need.objects.get(organisation__country="UY", status="matched")
    assert matched.area.code == "D2"
    assert matched.published_at is not None
    assert set(matched.answers.values_list("question__code", flat=True)) == {
        *next(n for n in PROFILES["administrations"]["UY"]["needs"] if n["key"] == "tna")["answers"]
    }
    regional = RegionalNeed.objects.get()
    assert regional.status == "published"
    members = {n.organisation.country for n in regional.needs.select_related("organisation")}
    assert len(members) >= 2
    plan = Plan.objects.get(organisation__country="UY")
    milestones = list(plan.milestones.select_related("need", "owner"))
    assert len(milestones) == 6
    assert all(m.owner and m.owner.organisation_id == plan.organisation_id for m in milestones)
    assert {m.status for m in milestones} >= {"done", "in_progress", "planned", "delayed"}


def test_the_round_under_way_has_every_status(demo):
    under_way = round_of(UNDER_WAY)
    statuses = dict(under_way.assessments.values_list("organisation__country", "status"))
    wanted = {
        iso2: profile["rounds"][UNDER_WAY]["status"]
        for iso2, profile in PROFILES["administrations"].items()
    }
    assert statuses == wanted
    assert statuses["UY"] == "in_progress"
    assert statuses["BR"] == "submitted"
    assert set(statuses.values()) == {
        "not_started",
        "in_progress",
        "submitted",
        "returned",
        "validated",
    }
    colombia = under_way.assessments.get(organisation__country="CO")
    assert (
        colombia.review_comment
        == (PROFILES["administrations"]["CO"]["rounds"][UNDER_WAY]["review_comment"])
    )
    not_started = under_way.assessments.filter(status="not_started")
    assert not Answer.objects.filter(assessment__in=not_started).exists()
    # Uruguay's answers were saved by ncp.uy through the workflow service.
    uruguay = under_way.assessments.get(organisation__country="UY")
    assert uruguay.answers.count() == len(
        PROFILES["administrations"]["UY"]["rounds"][UNDER_WAY]["levels"]
    )
    assert uruguay.history.filter(history_user__username="ncp.uy").exists()


def test_ncp_uy_sees_only_uruguay_assessments(demo, client):
    ncp = user("ncp.uy")
    visible = Assessment.objects.restrict(ncp, "view")
    assert set(visible.values_list("organisation__country", flat=True)) == {"UY"}
    assert visible.count() == 2
    client.force_login(ncp)
    brazil = Assessment.objects.filter(organisation__country="BR").first()
    uruguay = Assessment.objects.get(organisation__country="UY", round=round_of(UNDER_WAY))
    assert client.get(reverse("assessments:assessment_detail", args=[uruguay.pk])).status_code == (
        200
    )
    assert client.get(reverse("assessments:assessment_detail", args=[brazil.pk])).status_code == (
        404
    )
    # The list links to Uruguay's two assessments and to no other.
    page = client.get(reverse("assessments:assessment_list")).content.decode()
    for assessment in Assessment.objects.all():
        link = f'href="{reverse("assessments:assessment_detail", args=[assessment.pk])}"'
        assert (link in page) == (assessment.organisation.country == "UY"), assessment


def test_partner_idb_sees_the_shared_assessment_only(demo, client):
    partner = user("partner.idb")
    shared = AssessmentShare.objects.select_related("assessment__organisation", "partner").get()
    assert shared.partner.acronym == "IDB"
    assert shared.assessment.organisation.country == "UY"
    assert shared.assessment.round == round_of(FINISHED)
    visible = Assessment.objects.restrict(partner, "view")
    assert list(visible) == [shared.assessment]
    client.force_login(partner)
    detail = "assessments:assessment_detail"
    assert client.get(reverse(detail, args=[shared.assessment.pk])).status_code == 200
    current = Assessment.objects.get(organisation__country="UY", round=round_of(UNDER_WAY))
    assert client.get(reverse(detail, args=[current.pk])).status_code == 404
    # Published needs are the partner's to see; drafts are not.
    needs = Need.objects.restrict(partner, "view")
    assert needs.exists()
    assert not needs.filter(status="draft").exists()
    assert needs.count() == Need.objects.exclude(status="draft").count()


def test_the_people_concerned_have_the_notifications_in_their_inbox(demo):
    from cbnet.core.notifications.models import Notification

    returned = Assessment.objects.filter(round=round_of(UNDER_WAY), status="returned")
    notified = Notification.objects.filter(
        kind="assessment.returned",
        content_type__model="assessment",
        object_id__in=list(returned.values_list("pk", flat=True)),
    )
    assert set(notified.values_list("recipient__organisation__country", flat=True)) == {
        "CO",
        "GT",
    }
