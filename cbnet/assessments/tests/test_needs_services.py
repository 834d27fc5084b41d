"""The needs register by service: gaps into needs, statuses by role, regional needs."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from cbnet.assessments.choices import AssessmentStatus, NeedStatus, RegionalNeedStatus
from cbnet.assessments.models import Answer, AreaTarget, Need
from cbnet.assessments.services import needs as services
from cbnet.assessments.testing import assessment_kit
from cbnet.core.models import StaleObjectError
from cbnet.core.models_events import Event
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 5, 10, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def net():
    return f.network()


def validated_kit(net):
    """Uruguay's assessment validated with gaps: D1 score 5/3 (target 3, gap 4/3), D2 score 4
    (target 3: no gap), D3 unanswered (no target)."""
    kit = assessment_kit(net)
    q = {question.code: question for question in kit.questions}
    for code, level in (("D1-01", 1), ("D1-02", 2), ("D2-01", 4), ("D2-02", 4)):
        Answer.objects.create(assessment=kit.uy, question=q[code], level=level)
    for code, level in (("D1-01", 0), ("D1-02", 0)):
        Answer.objects.create(assessment=kit.br, question=q[code], level=level)
    areas = {a.code: a for a in kit.framework.areas.all()}
    for org in (net.uruguay, net.brazil):
        AreaTarget.objects.create(organisation=org, area=areas["D1"], level=3)
        AreaTarget.objects.create(organisation=org, area=areas["D2"], level=3)
    for assessment in (kit.uy, kit.br):
        assessment.status = AssessmentStatus.VALIDATED
        assessment.save()
    kit.areas = areas
    kit.q = q
    return kit


def need(net, org=None, status=NeedStatus.DRAFT, area=None, **kwargs):
    area = area or f_area()
    return Need.objects.create(
        organisation=org or net.uruguay,
        area=area,
        title=kwargs.pop("title", "Risk analysts"),
        status=status,
        **kwargs,
    )


def f_area():
    from cbnet.assessments.testing import framework

    return framework().areas.order_by("position").first()


# --- proposals and needs from an assessment ----------------------------------------------


def test_proposals_are_the_areas_with_a_positive_gap_with_the_answers_below_target(net):
    kit = validated_kit(net)
    proposals = services.propose_needs(kit.uy, user=net.users["ncp_uy"])
    assert [p["area"].code for p in proposals] == ["D1"]
    (d1,) = proposals
    assert d1["score"] == Decimal("1.67") and d1["target"] == Decimal("3.00")
    assert d1["gap"] == Decimal("1.33")
    assert d1["priority"] == 3
    assert {a.question.code for a in d1["answers"]} == {"D1-01", "D1-02"}


def test_needs_from_assessment_creates_drafts_with_the_answers_behind_them(net):
    kit = validated_kit(net)
    user = net.users["ncp_uy"]
    (created,) = services.needs_from_assessment(
        kit.uy,
        [
            {
                "area": kit.areas["D1"],
                "title": "Risk management training",
                "priority": 1,
                "support": ["training", "expert_mission"],
            }
        ],
        user=user,
    )
    created.refresh_from_db()
    assert created.status == NeedStatus.DRAFT and created.priority == 1
    assert created.organisation == net.uruguay and created.assessment == kit.uy
    assert created.support == ["training", "expert_mission"]
    assert {a.question.code for a in created.answers.all()} == {"D1-01", "D1-02"}
    assert created.history.first().history_user == user
    assert Event.objects.filter(name=services.NEEDS_FROM_ASSESSMENT, object_id=created.pk).exists()
    # The same area twice from the same assessment is refused.
    with pytest.raises(ValidationError) as error:
        services.needs_from_assessment(kit.uy, [{"area": kit.areas["D1"]}], user=user)
    assert "D1" in error.value.message_dict


def test_needs_only_from_validated_assessments(net):
    kit = validated_kit(net)
    kit.uy.status = AssessmentStatus.SUBMITTED
    kit.uy.save()
    with pytest.raises(ValidationError):
        services.needs_from_assessment(
            kit.uy, [{"area": kit.areas["D1"]}], user=net.users["ncp_uy"]
        )
    assert not Need.objects.exists()


@pytest.mark.parametrize("who", ["ncp_br", "rocb", "partner", "reader"])
def test_needs_from_assessment_only_by_the_administrations_people(net, who):
    kit = validated_kit(net)
    with pytest.raises(PermissionDenied):
        services.needs_from_assessment(kit.uy, [{"area": kit.areas["D1"]}], user=net.users[who])
    assert not Need.objects.exists()


def test_needs_from_assessment_is_all_or_nothing(net):
    kit = validated_kit(net)
    user = net.users["ncp_uy"]
    with pytest.raises(ValidationError) as error:
        services.needs_from_assessment(
            kit.uy,
            [
                {"area": kit.areas["D1"], "title": "Fine"},
                {"area": kit.areas["D2"], "title": "No gap here"},
            ],
            user=user,
        )
    assert str(kit.areas["D2"].pk) in error.value.message_dict
    assert not Need.objects.exists()
    for bad in ({"priority": 0}, {"priority": 6}, {"support": ["bribes"]}):
        with pytest.raises(ValidationError):
            services.needs_from_assessment(kit.uy, [{"area": kit.areas["D1"], **bad}], user=user)
    other = Answer.objects.get(assessment=kit.br, question=kit.q["D1-01"])
    with pytest.raises(ValidationError):
        services.needs_from_assessment(
            kit.uy, [{"area": kit.areas["D1"], "answers": [other.pk]}], user=user
        )
    assert not Need.objects.exists()


def test_create_need_directly_checks_support_and_scope(net):
    area = f_area()
    user = net.users["ncp_uy"]
    created = services.create_need(
        organisation=net.uruguay, area=area, title="Scanners", support=["equipment"], user=user
    )
    assert created.status == NeedStatus.DRAFT
    with pytest.raises(ValidationError) as error:
        services.create_need(
            organisation=net.uruguay, area=area, title="X", support=["bribes"], user=user
        )
    assert "support" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.create_need(organisation=net.brazil, area=area, title="X", user=user)
    with pytest.raises(PermissionDenied):
        services.create_need(
            organisation=net.uruguay, area=area, title="X", user=net.users["partner"]
        )


# --- statuses ---------------------------------------------------------------------------


def test_publish_then_rocb_statuses_to_met(net):
    item = need(net)
    services.publish(item, user=net.users["ncp_uy"])
    assert item.status == NeedStatus.PUBLISHED and item.published_at == NOW
    assert Event.objects.filter(name="need.published", object_id=item.pk).exists()
    for status in (NeedStatus.MATCHED, NeedStatus.IN_PROGRESS, NeedStatus.MET):
        services.set_need_status(item, status, user=net.users["rocb"])
        assert Need.objects.get(pk=item.pk).status == status
    with pytest.raises(ValidationError):
        services.withdraw(item, user=net.users["ncp_uy"])  # met is final


@pytest.mark.parametrize("who", ["ncp_uy", "ncp_br", "partner", "reader"])
def test_only_rocb_or_secretariat_set_matched(net, who):
    item = need(net, status=NeedStatus.PUBLISHED)
    with pytest.raises(PermissionDenied):
        services.set_need_status(item, NeedStatus.MATCHED, user=net.users[who])
    assert Need.objects.get(pk=item.pk).status == NeedStatus.PUBLISHED


def test_secretariat_sets_matched_but_rocb_of_another_region_cannot(net):
    item = need(net, status=NeedStatus.PUBLISHED)
    africa = f.region("AF", "Africa")
    office = f.organisation("ROCB Africa", kind="rocb", region=africa)
    other = f.member("rocb.af", office, "rocb_officer")
    with pytest.raises(PermissionDenied):
        services.set_need_status(item, NeedStatus.MATCHED, user=other)
    services.set_need_status(item, NeedStatus.MATCHED, user=net.users["secretariat"])
    assert Need.objects.get(pk=item.pk).status == NeedStatus.MATCHED


def test_refused_transitions(net):
    item = need(net)
    with pytest.raises(ValidationError):  # draft -> matched skips publishing
        services.set_need_status(item, NeedStatus.MATCHED, user=net.users["rocb"])
    with pytest.raises(ValidationError):  # not a ROCB status
        services.set_need_status(item, NeedStatus.PUBLISHED, user=net.users["rocb"])
    with pytest.raises(PermissionDenied):  # the ROCB does not publish for the member
        services.publish(item, user=net.users["rocb"])
    with pytest.raises(PermissionDenied):
        services.publish(item, user=net.users["ncp_br"])
    services.withdraw(item, user=net.users["ncp_uy"])
    with pytest.raises(ValidationError):
        services.publish(item, user=net.users["ncp_uy"])
    assert Need.objects.get(pk=item.pk).status == NeedStatus.WITHDRAWN


def test_stale_version_is_refused(net):
    item = need(net)
    seen = item.version
    Need.objects.get(pk=item.pk).save()
    with pytest.raises(StaleObjectError):
        services.publish(item, user=net.users["ncp_uy"], version=seen)
    assert Need.objects.get(pk=item.pk).status == NeedStatus.DRAFT


# --- regional needs -----------------------------------------------------------------------


def test_group_needs_of_several_members_and_publish(net):
    uy = need(net, status=NeedStatus.PUBLISHED)
    br = need(net, org=net.brazil, status=NeedStatus.PUBLISHED)
    regional = services.group_needs(
        net.ams,
        [uy, br],
        title="Regional risk training",
        area=uy.area,
        priority=2,
        user=net.users["rocb"],
    )
    assert set(regional.needs.all()) == {uy, br}
    assert regional.status == RegionalNeedStatus.DRAFT
    services.publish_regional_need(regional, user=net.users["rocb"])
    assert list(services.region_plan(net.ams, net.users["partner"])) == [regional]
    with pytest.raises(ValidationError):  # not below two members
        services.remove_from_regional_need(regional, uy, user=net.users["rocb"])
    third = need(net, org=net.uruguay, status=NeedStatus.PUBLISHED, title="Other")
    services.add_to_regional_need(regional, third, user=net.users["rocb"])
    services.remove_from_regional_need(regional, third, user=net.users["rocb"])
    assert set(regional.needs.all()) == {uy, br}


def test_grouping_refuses_drafts_other_regions_single_member_and_non_rocb(net):
    uy = need(net, status=NeedStatus.PUBLISHED)
    br = need(net, org=net.brazil, status=NeedStatus.PUBLISHED)
    draft = need(net, org=net.brazil)
    africa = f.region("AF", "Africa")
    kenya = f.organisation("Kenya Revenue Authority", country="KE", region=africa)
    ke = need(net, org=kenya, status=NeedStatus.PUBLISHED)
    rocb = net.users["rocb"]
    kwargs = {"title": "R", "area": uy.area}
    with pytest.raises(ValidationError):
        services.group_needs(net.ams, [uy, draft], user=rocb, **kwargs)
    with pytest.raises(ValidationError):
        services.group_needs(net.ams, [uy, ke], user=rocb, **kwargs)
    with pytest.raises(ValidationError):
        services.group_needs(net.ams, [uy], user=rocb, **kwargs)
    with pytest.raises(PermissionDenied):
        services.group_needs(africa, [ke, uy], user=rocb, **kwargs)
    for who in ("ncp_uy", "partner"):
        with pytest.raises(PermissionDenied):
            services.group_needs(net.ams, [uy, br], user=net.users[who], **kwargs)
    from cbnet.assessments.models import RegionalNeed

    assert not RegionalNeed.objects.exists()
