"""The questionnaires API: reads for every signed-in user, Secretariat writes, frozen versions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cbnet.assessments.models import LevelDescriptor, Question, Questionnaire
from cbnet.assessments.testing import framework, questionnaire, round_
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db

QUESTIONNAIRES = "/api/assessments/questionnaires/"
QUESTIONS = "/api/assessments/questions/"


@pytest.fixture
def net():
    return f.network()


@pytest.fixture
def q():
    return questionnaire()


def api(net, key=None):
    client = APIClient()
    if key:
        token, _ = Token.objects.get_or_create(user=net.users[key])
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def new_question(q, **changes):
    data = {
        "questionnaire": q.pk,
        "area": q.framework.areas.get(code="D2").pk,
        "code": "D2-99",
        "kind": "maturity",
        "text": {"original": "en", "texts": {"en": {"text": "New?", "status": "original"}}},
        "weight": "1.50",
    }
    data.update(changes)
    return data


def test_anonymous_gets_401(net, q):
    assert api(net).get(QUESTIONNAIRES).status_code == 401
    assert api(net).get(QUESTIONS).status_code == 401


@pytest.mark.parametrize("key", ["reader", "ncp_uy", "rocb", "partner", "secretariat"])
def test_signed_in_users_read_with_nested_detail(net, q, key):
    client = api(net, key)
    listing = client.get(QUESTIONNAIRES).json()
    assert [row["code"] for row in listing["results"]] == [q.code]
    assert listing["results"][0]["is_frozen"] is False
    LevelDescriptor.objects.create(question=q.questions.first(), level=0, text="Own zero")
    detail = client.get(f"{QUESTIONNAIRES}{q.pk}/").json()
    assert [s["code"] for s in detail["sections"]] == ["S1"]
    assert len(detail["questions"]) == q.questions.count()
    first = detail["questions"][0]
    assert first["area_code"] == "D1"
    assert first["descriptors"][0]["text"]["texts"]["en"]["text"] == "Own zero"


@pytest.mark.parametrize("key", ["reader", "ncp_uy", "rocb", "partner"])
def test_only_the_secretariat_writes(net, q, key):
    client = api(net, key)
    question = q.questions.first()
    assert client.post(QUESTIONS, new_question(q), format="json").status_code == 403
    patch = client.patch(
        f"{QUESTIONS}{question.pk}/", {"weight": "4", "version": question.version}, format="json"
    )
    assert patch.status_code == 403
    patch = client.patch(
        f"{QUESTIONNAIRES}{q.pk}/", {"title": "X", "version": q.version}, format="json"
    )
    assert patch.status_code == 403
    assert not Question.objects.filter(code="D2-99").exists()


def test_secretariat_adds_and_changes_questions(net, q):
    client = api(net, "secretariat")
    created = client.post(QUESTIONS, new_question(q), format="json")
    assert created.status_code == 201, created.json()
    question = Question.objects.get(code="D2-99")
    response = client.patch(
        f"{QUESTIONS}{question.pk}/", {"weight": "4", "version": question.version}, format="json"
    )
    assert response.status_code == 200, response.json()
    question.refresh_from_db()
    assert question.weight == 4


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"weight": "-1"}, "weight"),
        ({"code": "D1-01"}, "code"),
        ({"kind": "essay"}, "kind"),
        ({"area": "__other__"}, "area"),
    ],
)
def test_bad_questions_are_400_with_the_field(net, q, changes, field):
    if changes.get("area") == "__other__":
        changes["area"] = framework(code="other-fw", areas=("X1",)).areas.get().pk
    response = api(net, "secretariat").post(QUESTIONS, new_question(q, **changes), format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_frozen_version_refuses_writes_with_a_clear_400(net, q):
    round_(q, net.ams)
    client = api(net, "secretariat")
    assert client.get(QUESTIONNAIRES).json()["results"][0]["is_frozen"] is True
    response = client.post(QUESTIONS, new_question(q), format="json")
    assert response.status_code == 400
    assert "new version" in str(response.json())
    question = q.questions.first()
    response = client.patch(
        f"{QUESTIONS}{question.pk}/", {"weight": "4", "version": question.version}, format="json"
    )
    assert response.status_code == 400
    assert "new version" in str(response.json())
    response = client.patch(
        f"{QUESTIONNAIRES}{q.pk}/",
        {"title": {"original": "en", "texts": {"en": {"text": "New title"}}}, "version": 1},
        format="json",
    )
    assert response.status_code == 400
    q.refresh_from_db()
    assert str(q.title) == "Test self-assessment"


def test_editing_a_questionnaire_keeps_its_version_number(net, q):
    client = api(net, "secretariat")
    response = client.patch(
        f"{QUESTIONNAIRES}{q.pk}/",
        {"title": {"original": "en", "texts": {"en": {"text": "New title"}}}, "version": 1},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 1
    duplicate = client.post(
        QUESTIONNAIRES,
        {
            "code": q.code,
            "title": {"original": "en", "texts": {"en": {"text": "Again"}}},
            "framework": q.framework_id,
        },
        format="json",
    )
    assert duplicate.status_code == 400
    assert "code" in duplicate.json()


def test_question_filters(net, q):
    other = questionnaire(code="other")
    client = api(net, "reader")
    d1 = q.framework.areas.get(code="D1")
    rows = client.get(QUESTIONS, {"questionnaire": q.pk, "area": d1.pk}).json()["results"]
    assert sorted(r["code"] for r in rows) == ["D1-01", "D1-02"]
    rows = client.get(QUESTIONS, {"code": "D1-01"}).json()["results"]
    assert sorted(r["questionnaire"] for r in rows) == sorted([q.pk, other.pk])
    assert client.get(QUESTIONS, {"kind": "tfa_category"}).json()["results"] == []
    assert client.get(QUESTIONS, {"nonsense": "1"}).status_code == 400


def test_detail_query_count_does_not_grow_with_questions(net):
    client = api(net, "reader")
    small = questionnaire(code="small", per_area=1)
    big = questionnaire(code="big", per_area=5)

    def count(path):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx)

    assert count(f"{QUESTIONNAIRES}{big.pk}/") == count(f"{QUESTIONNAIRES}{small.pk}/")
    before = count(QUESTIONNAIRES)
    questionnaire(code="more")
    assert count(QUESTIONNAIRES) == before
    assert Questionnaire.objects.count() == 3
