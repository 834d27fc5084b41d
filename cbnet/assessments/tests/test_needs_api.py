"""The needs register API: generic API tests, status actions by role, bad input."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cbnet.assessments.choices import NeedStatus, RegionalNeedStatus
from cbnet.assessments.models import Answer, Need, RegionalNeed
from cbnet.assessments.services import needs as services
from cbnet.assessments.tests.test_needs_services import validated_kit
from cbnet.assessments.tests.test_needs_views import area, make_need
from cbnet.core.testing.api import APITests
from cbnet.core.testing.factories import network

pytestmark = pytest.mark.django_db


class TestNeedAPI(APITests):
    model = Need
    in_scope_user = "ncp_uy"
    out_of_scope_user = "ncp_br"

    def make_object(self, net):
        return make_need(net.uruguay)

    def create_data(self, net):
        return {
            "organisation": net.uruguay.pk,
            "area": area().pk,
            "title": {
                "original": "en",
                "texts": {"en": {"text": "Scanners", "status": "original"}},
            },
            "priority": 2,
            "support": ["equipment"],
        }

    def update_data(self, net, obj):
        return {"priority": 1}

    def filter_params(self, net, obj):
        return [
            ({"organisation": net.uruguay.pk}, True),
            ({"organisation": net.brazil.pk}, False),
            ({"support": "training"}, False),
            ({"status": "published"}, True),
        ]


class TestRegionalNeedAPI(APITests):
    model = RegionalNeed
    in_scope_user = "rocb"
    out_of_scope_user = "ncp_br"

    def make_object(self, net):
        regional = services.group_needs(
            net.ams,
            [make_need(net.uruguay), make_need(net.brazil)],
            title="Regional",
            area=area(),
            user=net.users["rocb"],
        )
        return services.publish_regional_need(regional, user=net.users["rocb"])

    def create_data(self, net):
        needs = [make_need(net.uruguay, title="c1").pk, make_need(net.brazil, title="c2").pk]
        return {
            "region": net.ams.pk,
            "area": area().pk,
            "title": {"original": "en", "texts": {"en": {"text": "Group", "status": "original"}}},
            "priority": 2,
            "needs": needs,
        }

    def update_data(self, net, obj):
        return {"priority": 1}


@pytest.fixture
def net():
    return network()


def client_for(user):
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def url(name, *args):
    return reverse(f"api:assessments-{name}", args=args)


def test_status_is_read_only_and_changes_through_actions_by_role(net):
    item = make_need(net.uruguay, status=NeedStatus.DRAFT)
    ncp, rocb, partner = (client_for(net.users[k]) for k in ("ncp_uy", "rocb", "partner"))
    response = ncp.patch(url("need-detail", item.pk), {"status": "met", "version": item.version})
    assert response.status_code == 200 and response.json()["status"] == "draft"
    assert partner.get(url("need-detail", item.pk)).status_code == 404  # a draft
    assert rocb.post(url("need-publish", item.pk)).status_code == 403
    response = ncp.post(url("need-publish", item.pk))
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert partner.get(url("need-detail", item.pk)).status_code == 200
    assert ncp.post(url("need-set-status", item.pk), {"status": "matched"}).status_code == 403
    assert partner.post(url("need-set-status", item.pk), {"status": "matched"}).status_code == 403
    response = rocb.post(url("need-set-status", item.pk), {"status": "met"})
    assert response.status_code == 400  # published -> met skips two steps
    assert rocb.post(url("need-set-status", item.pk), {"status": "published"}).status_code == 400
    response = rocb.post(url("need-set-status", item.pk), {"status": "matched", "version": 1})
    assert response.status_code == 409
    response = rocb.post(url("need-set-status", item.pk), {"status": "matched"})
    assert response.status_code == 200 and response.json()["status"] == "matched"
    # A matched need's content no longer changes.
    fresh = Need.objects.get(pk=item.pk)
    response = ncp.patch(url("need-detail", item.pk), {"priority": 1, "version": fresh.version})
    assert response.status_code == 400
    response = ncp.post(url("need-withdraw", item.pk))
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"


@pytest.mark.parametrize(
    "bad,field",
    [
        ({"priority": 0}, "priority"),
        ({"priority": 6}, "priority"),
        ({"support": ["bribes"]}, "support"),
        ({"support": "training"}, "support"),
        ({"tfa_category": "D"}, "tfa_category"),
    ],
)
def test_bad_input_is_a_field_error(net, bad, field):
    data = TestNeedAPI().create_data(net)
    data.update(bad)
    response = client_for(net.users["ncp_uy"]).post(url("need-list"), data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Need.objects.exists()


def test_answers_behind_a_need_must_come_from_its_assessment(net):
    kit = validated_kit(net)
    brazil_answer = Answer.objects.filter(assessment=kit.br).first()
    uy_answer = Answer.objects.filter(assessment=kit.uy).first()
    data = TestNeedAPI().create_data(net)
    data.update(assessment=kit.uy.pk, answers=[brazil_answer.pk])
    ncp = client_for(net.users["ncp_uy"])
    # Brazil's answers are not even visible to Uruguay's NCP.
    assert ncp.post(url("need-list"), data, format="json").status_code == 400
    data.update(answers=[uy_answer.pk])
    response = ncp.post(url("need-list"), data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["answers"] == [uy_answer.pk]


def test_regional_need_actions_and_grouping_rules(net):
    rocb, ncp = client_for(net.users["rocb"]), client_for(net.users["ncp_uy"])
    uy, br, draft = (
        make_need(net.uruguay),
        make_need(net.brazil),
        make_need(net.brazil, NeedStatus.DRAFT),
    )
    title = {"original": "en", "texts": {"en": {"text": "R", "status": "original"}}}
    data = {"region": net.ams.pk, "area": area().pk, "title": title, "priority": 2}
    assert ncp.post(url("regionalneed-list"), {**data, "needs": [uy.pk, br.pk]}).status_code == 403
    response = rocb.post(
        url("regionalneed-list"), {**data, "needs": [uy.pk, draft.pk]}, format="json"
    )
    assert response.status_code == 400 and "needs" in response.json()
    response = rocb.post(url("regionalneed-list"), {**data, "needs": [uy.pk, br.pk]}, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    partner = client_for(net.users["partner"])
    assert partner.get(url("regionalneed-detail", pk)).status_code == 404
    assert ncp.post(url("regionalneed-publish", pk)).status_code in (403, 404)
    response = rocb.post(url("regionalneed-publish", pk))
    assert response.status_code == 200 and response.json()["status"] == RegionalNeedStatus.PUBLISHED
    assert partner.get(url("regionalneed-detail", pk)).status_code == 200
    assert rocb.post(url("regionalneed-remove-need", pk), {"need": uy.pk}).status_code == 400
    other = make_need(net.uruguay, title="other")
    assert rocb.post(url("regionalneed-add-need", pk), {"need": other.pk}).status_code == 200
    assert rocb.post(url("regionalneed-add-need", pk), {"need": "x"}).status_code == 400
    response = rocb.post(url("regionalneed-remove-need", pk), {"need": other.pk})
    assert sorted(response.json()["needs"]) == sorted([uy.pk, br.pk])
