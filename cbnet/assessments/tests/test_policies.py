"""Who sees and changes assessment records: every direction of the confidentiality rules."""

import pytest
from django.utils import timezone

from cbnet.assessments.models import (
    Answer,
    Assessment,
    AssessmentShare,
    Milestone,
    Need,
    Plan,
    RegionalNeed,
    Round,
)
from cbnet.assessments.testing import assessment_kit
from cbnet.core.permissions import can, get_actor, restrict
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def net():
    return f.network()


@pytest.fixture
def kit(net):
    return assessment_kit(net)


def visible(model, user, action="view"):
    return set(restrict(model.objects.all(), user, action).values_list("pk", flat=True))


def test_capacity_building_ncp_and_head_answer_for_their_administration(net):
    head = f.member("head.uy", net.uruguay, "head_of_administration")
    pmm_ncp = f.member("pmm.uy", net.uruguay, "ncp", domain="pmm")
    assert get_actor(net.users["ncp_uy"]).assessment_org_ids == {net.uruguay.pk}
    assert get_actor(head).assessment_org_ids == {net.uruguay.pk}
    # An NCP for another domain (PMM) keeps their directory rights but not the assessment.
    assert get_actor(pmm_ncp).assessment_org_ids == frozenset()
    assert get_actor(pmm_ncp).ncp_org_ids == {net.uruguay.pk}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("ncp_uy", {"uy"}),
        ("ncp_br", {"br"}),
        ("rocb", {"uy", "br"}),
        ("secretariat", {"uy", "br"}),
        ("partner", set()),
        ("reader", set()),
    ],
)
def test_who_sees_which_assessment(net, kit, key, expected):
    names = {kit.uy.pk: "uy", kit.br.pk: "br"}
    seen = {names[pk] for pk in visible(Assessment, net.users[key])}
    assert seen == expected


def test_another_regions_rocb_sees_nothing(net, kit):
    other = f.region("EUR", "Europe")
    rocb_eur = f.organisation("ROCB Europe", kind="rocb", region=other)
    officer = f.member("rocb.eur", rocb_eur, "rocb_officer")
    assert visible(Assessment, officer) == set()
    assert visible(Answer, officer) == set()


def test_a_share_shows_a_validated_assessment_to_the_partner_until_revoked(net, kit):
    partner = net.users["partner"]
    share = AssessmentShare.objects.create(assessment=kit.uy, partner=net.idb)
    assert visible(Assessment, partner) == set()  # not validated yet
    kit.uy.status = "validated"
    kit.uy.save()
    assert visible(Assessment, partner) == {kit.uy.pk}
    answer = Answer.objects.create(assessment=kit.uy, question=kit.questions[0], level=2)
    assert visible(Answer, partner) == {answer.pk}
    assert not can(partner, "change", kit.uy)
    assert not can(partner, "change", answer)
    share.revoked_at = timezone.now()
    share.save()
    assert visible(Assessment, partner) == set()
    assert visible(Answer, partner) == set()


def test_a_share_with_another_partner_shows_nothing(net, kit):
    other = f.organisation("World Bank", kind="development_partner")
    AssessmentShare.objects.create(assessment=kit.uy, partner=other)
    kit.uy.status = "validated"
    kit.uy.save()
    assert visible(Assessment, net.users["partner"]) == set()


def test_answers_follow_their_assessment(net, kit):
    uy = Answer.objects.create(assessment=kit.uy, question=kit.questions[0], level=1)
    br = Answer.objects.create(assessment=kit.br, question=kit.questions[0], level=3)
    assert visible(Answer, net.users["ncp_uy"]) == {uy.pk}
    assert visible(Answer, net.users["ncp_uy"], "change") == {uy.pk}
    assert visible(Answer, net.users["rocb"]) == {uy.pk, br.pk}
    assert visible(Answer, net.users["reader"]) == set()


def test_needs_drafts_are_confidential_published_needs_are_not(net, kit):
    draft = Need.objects.create(organisation=net.uruguay, area=kit.questions[0].area, title="D")
    published = Need.objects.create(
        organisation=net.uruguay, area=kit.questions[0].area, title="P", status="published"
    )
    for key in ("ncp_br", "partner", "reader"):
        assert visible(Need, net.users[key]) == {published.pk}, key
    for key in ("ncp_uy", "rocb", "secretariat"):
        assert visible(Need, net.users[key]) == {draft.pk, published.pk}, key
    assert visible(Need, net.users["ncp_br"], "change") == set()
    assert visible(Need, net.users["ncp_uy"], "change") == {draft.pk, published.pk}


def test_plans_and_milestones_are_the_administrations(net, kit):
    plan = Plan.objects.create(
        organisation=net.uruguay, title="Plan", starts_on="2026-01-01", ends_on="2026-12-31"
    )
    milestone = Milestone.objects.create(plan=plan, title="M", due_on="2026-06-30")
    assert visible(Plan, net.users["ncp_uy"]) == {plan.pk}
    assert visible(Milestone, net.users["ncp_uy"], "change") == {milestone.pk}
    for key in ("ncp_br", "partner", "reader"):
        assert visible(Plan, net.users[key]) == set(), key
        assert visible(Milestone, net.users[key]) == set(), key


def test_rounds_are_read_by_all_and_changed_by_the_regions_rocb(net, kit):
    assert visible(Round, net.users["reader"]) == {kit.round.pk}
    assert visible(Round, net.users["rocb"], "change") == {kit.round.pk}
    assert visible(Round, net.users["ncp_uy"], "change") == set()
    assert can(net.users["rocb"], "add", Round)
    assert not can(net.users["ncp_uy"], "add", Round)


def test_regional_needs_drafts_stay_with_the_rocb(net, kit):
    draft = RegionalNeed.objects.create(region=net.ams, area=kit.questions[0].area, title="R")
    assert visible(RegionalNeed, net.users["ncp_uy"]) == set()
    assert visible(RegionalNeed, net.users["rocb"], "change") == {draft.pk}
    draft.status = "published"
    draft.save()
    assert visible(RegionalNeed, net.users["ncp_uy"]) == {draft.pk}
    assert visible(RegionalNeed, net.users["ncp_uy"], "change") == set()
