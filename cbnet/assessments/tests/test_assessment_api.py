"""The assessments API: scopes, answers with versions, workflow actions and their errors."""

import datetime

import pytest
import time_machine
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cbnet.assessments.models import Answer, Assessment
from cbnet.assessments.services import workflow
from cbnet.assessments.testing import assessment_kit
from cbnet.core.models_events import Event
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db

DURING = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)
BASE = "/api/assessments/assessments/"


@pytest.fixture(autouse=True)
def during_round():
    with time_machine.travel(DURING, tick=False):
        yield


@pytest.fixture
def net():
    return f.network()


@pytest.fixture
def kit(net):
    return assessment_kit(net)


def api(user=None, **headers):
    client = APIClient(**headers)
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def as_(net, who):
    return api(net.users[who] if isinstance(who, str) else who)


def fresh(assessment):
    return Assessment.objects.get(pk=assessment.pk)


def put_answers(client, assessment, answers, **extra):
    return client.put(
        f"{BASE}{assessment.pk}/answers/", {"answers": answers, **extra}, format="json"
    )


def post(client, assessment, name, body=None):
    return client.post(f"{BASE}{assessment.pk}/{name}/", body or {}, format="json")


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("ncp_uy", {"uy"}),
        ("ncp_br", {"br"}),
        ("rocb", {"uy", "br"}),
        ("secretariat", {"uy", "br"}),
        ("partner", set()),
        ("reader", set()),
    ],
)
def test_list_and_detail_scopes(net, kit, who, expected):
    names = {kit.uy.pk: "uy", kit.br.pk: "br"}
    response = as_(net, who).get(BASE)
    assert response.status_code == 200
    assert {names[row["id"]] for row in response.json()["results"]} == expected
    status = 200 if "uy" in expected else 404
    assert as_(net, who).get(f"{BASE}{kit.uy.pk}/").status_code == status


def test_anonymous_gets_401(kit):
    assert api().get(BASE).status_code == 401
    assert put_answers(api(), kit.uy, {"D1-01": {"level": 1}}, version=1).status_code == 401


def test_filters_and_unknown_parameters(net, kit):
    workflow.save_answers(kit.uy, {"D1-01": {"level": 1}}, user=net.users["ncp_uy"])
    client = as_(net, "rocb")
    rows = client.get(BASE, {"status": "in_progress"}).json()["results"]
    assert [row["id"] for row in rows] == [kit.uy.pk]
    rows = client.get(BASE, {"organisation": net.brazil.pk}).json()["results"]
    assert [row["id"] for row in rows] == [kit.br.pk]
    assert client.get(BASE, {"round": kit.round.pk}).json()["count"] == 2
    assert client.get(BASE, {"status__ne": "x"}).status_code == 400
    assert client.get(BASE, {"status": "nonsense"}).status_code == 400


def test_answers_are_written_with_a_version_and_read_back_by_code(net, kit):
    client = as_(net, "ncp_uy")
    read = client.get(f"{BASE}{kit.uy.pk}/")
    etag = read["ETag"]
    response = put_answers(
        client,
        kit.uy,
        {"D1-01": {"level": 3, "comment": "Law 19.276"}},
        version=read.json()["version"],
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "in_progress"
    assert body["answers"] == [
        {
            "question": "D1-01",
            "level": 3,
            "not_applicable": False,
            "tfa_category": "",
            "indicative_date": None,
            "definitive_date": None,
            "assistance_needed": None,
            "comment": "Law 19.276",
            "updated": body["answers"][0]["updated"],
        }
    ]
    assert response["ETag"] != etag
    # The same old version again: 409 by body, 412 by If-Match; without either: 428.
    stale = put_answers(client, kit.uy, {"D1-01": {"level": 1}}, version=read.json()["version"])
    assert stale.status_code == 409
    assert "Someone else changed" in stale.json()["detail"]
    stale = client.put(
        f"{BASE}{kit.uy.pk}/answers/",
        {"answers": {"D1-01": {"level": 1}}},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert stale.status_code == 412
    assert put_answers(client, kit.uy, {"D1-01": {"level": 1}}).status_code == 428
    ok = client.put(
        f"{BASE}{kit.uy.pk}/answers/",
        {"answers": {"D1-01": {"level": 1}}},
        format="json",
        HTTP_IF_MATCH=response["ETag"],
    )
    assert ok.status_code == 200
    assert Answer.objects.get(question__code="D1-01").level == 1


@pytest.mark.parametrize(
    "answers",
    [
        {"D1-01": {"level": 9}},
        {"D1-01": {"level": "x"}},
        {"NOPE": {"level": 1}},
        {"D1-01": {"tfa_category": "A"}},
        {"D1-01": {"level": 1}, "D1-02": {"level": 2, "not_applicable": True}},
    ],
)
def test_bad_answers_are_400_by_question_code_and_nothing_written(net, kit, answers):
    response = put_answers(as_(net, "ncp_uy"), kit.uy, answers, version=kit.uy.version)
    assert response.status_code == 400
    assert set(response.json()) <= set(answers)
    assert not Answer.objects.exists()
    assert fresh(kit.uy).status == "not_started"


def test_malformed_bodies_are_400(net, kit):
    client = as_(net, "ncp_uy")
    assert put_answers(client, kit.uy, "levels", version=1).status_code == 400
    assert put_answers(client, kit.uy, {"D1-01": {"level": 1}}, version="one").status_code == 400
    response = client.put(
        f"{BASE}{kit.uy.pk}/answers/", "not json", content_type="application/json"
    )
    assert response.status_code == 400


def test_who_may_write_answers(net, kit):
    answers = {"D1-01": {"level": 1}}
    assert put_answers(as_(net, "ncp_br"), kit.uy, answers, version=1).status_code == 404
    assert put_answers(as_(net, "partner"), kit.uy, answers, version=1).status_code == 404
    assert put_answers(as_(net, "rocb"), kit.uy, answers, version=1).status_code == 403
    assert not Answer.objects.exists()


def test_the_workflow_by_api_with_the_right_errors(net, kit):
    ncp, rocb = as_(net, "ncp_uy"), as_(net, "rocb")
    assert post(ncp, kit.uy, "submit").status_code == 400  # not started
    put_answers(ncp, kit.uy, {q.code: {"level": 2} for q in kit.questions}, version=1)
    assert post(rocb, kit.uy, "submit").status_code == 403
    assert post(ncp, kit.uy, "submit", {"version": 1}).status_code == 409  # stale
    response = post(ncp, kit.uy, "submit")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    assert (
        put_answers(ncp, kit.uy, {"D1-01": {"level": 0}}, version=fresh(kit.uy).version).status_code
        == 400
    )
    assert post(ncp, kit.uy, "validate").status_code == 403
    assert post(rocb, kit.uy, "return").status_code == 400  # a comment is required
    response = post(rocb, kit.uy, "return", {"comment": "Sources for D1?"})
    assert response.json()["status"] == "returned"
    assert response.json()["review_comment"] == "Sources for D1?"
    put_answers(ncp, kit.uy, {"D1-01": {"comment": "Decree 2020"}}, version=fresh(kit.uy).version)
    post(ncp, kit.uy, "submit")
    response = post(rocb, kit.uy, "validate")
    assert response.status_code == 200 and response.json()["status"] == "validated"
    assert post(rocb, kit.uy, "validate").status_code == 400  # final
    assert post(rocb, kit.uy, "return", {"comment": "late"}).status_code == 400
    assert post(as_(net, "ncp_br"), kit.uy, "validate").status_code == 404
    names = list(
        Event.objects.filter(object_id=kit.uy.pk, content_type__model="assessment")
        .order_by("pk")
        .values_list("name", flat=True)
    )
    assert names[-1] == "assessment.validated" and names.count("assessment.submitted") == 2


def test_sharing_by_api_in_every_direction(net, kit):
    ncp, partner = as_(net, "ncp_uy"), as_(net, "partner")
    assert post(ncp, kit.uy, "share", {"partner": net.idb.pk}).status_code == 400  # not validated
    workflow.save_answers(
        kit.uy, {q.code: {"level": 2} for q in kit.questions}, user=net.users["ncp_uy"]
    )
    workflow.submit(kit.uy, user=net.users["ncp_uy"])
    workflow.validate(kit.uy, user=net.users["rocb"])
    assert post(ncp, kit.uy, "share", {"partner": net.brazil.pk}).status_code == 400
    assert post(ncp, kit.uy, "share", {"partner": "idb"}).status_code == 400
    assert post(as_(net, "rocb"), kit.uy, "share", {"partner": net.idb.pk}).status_code == 403
    assert partner.get(f"{BASE}{kit.uy.pk}/").status_code == 404
    response = post(ncp, kit.uy, "share", {"partner": net.idb.pk})
    assert response.status_code == 200 and response.json()["shared_with"] == [net.idb.pk]
    seen = partner.get(f"{BASE}{kit.uy.pk}/")
    assert seen.status_code == 200 and len(seen.json()["answers"]) == len(kit.questions)
    assert [row["id"] for row in partner.get(BASE).json()["results"]] == [kit.uy.pk]
    # The partner reads but cannot act.
    assert post(partner, kit.uy, "revoke-share", {"partner": net.idb.pk}).status_code == 403
    response = post(ncp, kit.uy, "revoke-share", {"partner": net.idb.pk})
    assert response.status_code == 200 and response.json()["shared_with"] == []
    assert partner.get(f"{BASE}{kit.uy.pk}/").status_code == 404
    assert post(ncp, kit.uy, "revoke-share", {"partner": net.idb.pk}).status_code == 400
