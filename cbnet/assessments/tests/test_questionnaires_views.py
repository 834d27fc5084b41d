"""Questionnaire pages: who reads and writes, frozen versions, versions and copies, bad input."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cbnet.assessments.models import LevelDescriptor, Question, Questionnaire
from cbnet.assessments.services import questionnaires as services
from cbnet.assessments.testing import framework, questionnaire, round_
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db

READ_ONLY = ("rocb", "ncp_uy", "partner", "reader")


@pytest.fixture
def net():
    return f.network()


@pytest.fixture
def q():
    return questionnaire()


def client_for(client, net, key):
    client.force_login(net.users[key])
    return client


def url(name, *args):
    return reverse(f"assessments:{name}", args=args)


def question_data(q, **changes):
    data = {
        "section": q.sections.first().pk,
        "area": q.framework.areas.get(code="D1").pk,
        "code": "D1-99",
        "kind": "maturity",
        "text__en__text": "Is there a plan?",
        "text__en__status": "original",
        "weight": "2",
        "position": "10",
        "not_applicable_allowed": "on",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("key", [*READ_ONLY, "secretariat"])
def test_everyone_signed_in_reads_list_detail_and_compare(client, net, q, key):
    client_for(client, net, key)
    assert client.get(url("questionnaire_list")).status_code == 200
    page = client.get(url("questionnaire_detail", q.pk))
    assert page.status_code == 200
    assert "D1-01" in page.content.decode()
    assert client.get(url("questionnaire_compare", q.pk)).status_code == 200


def test_anonymous_is_sent_to_the_login_page(client, q):
    for name, args in (("questionnaire_list", ()), ("questionnaire_detail", (q.pk,))):
        response = client.get(url(name, *args))
        assert response.status_code == 302
        assert "login" in response["Location"]


@pytest.mark.parametrize("key", READ_ONLY)
def test_only_the_secretariat_writes(client, net, q, key):
    client_for(client, net, key)
    page = client.get(url("questionnaire_detail", q.pk)).content.decode()
    assert 'id="new-version-button"' not in page
    assert 'id="add-question"' not in page
    assert client.get(url("questionnaire_add")).status_code == 403
    assert client.get(url("questionnaire_edit", q.pk)).status_code == 403
    assert client.get(url("question_add", q.pk)).status_code == 403
    assert client.post(url("questionnaire_new_version", q.pk)).status_code == 403
    assert client.post(url("questionnaire_copy", q.pk), {"code": "x"}).status_code == 403
    assert client.post(url("question_add", q.pk), question_data(q)).status_code == 403
    assert Questionnaire.objects.count() == 1
    assert not Question.objects.filter(code="D1-99").exists()


def test_secretariat_creates_a_questionnaire(client, net):
    fw = framework()
    client_for(client, net, "secretariat")
    response = client.post(
        url("questionnaire_add"),
        {
            "code": "new-dsa",
            "title__en__text": "New self-assessment",
            "title__en__status": "original",
            "framework": fw.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Questionnaire.objects.get(code="new-dsa")
    assert (created.version, str(created.title)) == (1, "New self-assessment")
    # The same code again: a clear field error, not a second "version 1".
    again = client.post(
        url("questionnaire_add"),
        {
            "code": "new-dsa",
            "title__en__text": "Again",
            "title__en__status": "original",
            "framework": fw.pk,
        },
    )
    assert again.status_code == 200
    assert "code" in again.context["form"].errors


def test_secretariat_edits_a_question_and_its_own_descriptors(client, net, q):
    client_for(client, net, "secretariat")
    question = q.questions.get(code="D1-01")
    data = question_data(
        q,
        code="D1-01",
        weight="3",
        descriptor_2__en__text="Our own level two",
        descriptor_2__en__status="original",
    )
    response = client.post(url("question_edit", q.pk, question.pk), data)
    assert response.status_code == 302, response.context["form"].errors
    question.refresh_from_db()
    assert question.weight == 3
    assert str(question.text) == "Is there a plan?"
    assert question.descriptors.get(level=2).text.display("en") == "Our own level two"
    assert question.history.first().history_user == net.users["secretariat"]
    page = client.get(url("questionnaire_detail", q.pk)).content.decode()
    assert "Our own level two" in page
    assert "Descriptor 3" in page  # the scale's, for levels without their own


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"weight": "-1"}, "weight"),
        ({"code": "D1-02"}, "code"),  # another question of the version has it
        ({"area": "__other__"}, "area"),
        ({"text__en__text": ""}, "text"),
    ],
)
def test_bad_question_input_gives_field_errors(client, net, q, changes, field):
    if changes.get("area") == "__other__":
        changes["area"] = framework(code="other-fw", areas=("X1",)).areas.get().pk
    client_for(client, net, "secretariat")
    before = Question.objects.count()
    response = client.post(url("question_add", q.pk), question_data(q, **changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Question.objects.count() == before


def test_a_frozen_version_offers_a_new_version_instead_of_editing(client, net, q):
    round_(q, net.ams)
    client_for(client, net, "secretariat")
    page = client.get(url("questionnaire_detail", q.pk)).content.decode()
    assert 'id="frozen-badge"' in page
    assert 'id="add-question"' not in page
    for target in (url("questionnaire_edit", q.pk), url("question_add", q.pk)):
        response = client.get(target)
        assert 'id="frozen-notice"' in response.content.decode()
    question = q.questions.get(code="D1-01")
    response = client.post(url("question_edit", q.pk, question.pk), question_data(q, code="D1-01"))
    assert response.status_code == 200
    assert "new version" in " ".join(response.context["form"].non_field_errors())
    question.refresh_from_db()
    assert str(question.text) == "Question 1 on D1"
    response = client.post(
        url("questionnaire_edit", q.pk),
        {"title__en__text": "Changed", "title__en__status": "original", "scale": q.scale_id},
    )
    assert "new version" in " ".join(response.context["form"].non_field_errors())
    # Deleting a question of a frozen version is refused too.
    client.post(url("question_edit", q.pk, question.pk), {"delete": "1"})
    assert Question.objects.filter(pk=question.pk).exists()

    response = client.post(url("questionnaire_new_version", q.pk))
    v2 = Questionnaire.objects.get(code=q.code, version=2)
    assert response["Location"] == v2.get_absolute_url()
    assert client.get(url("question_add", v2.pk)).status_code == 200


def test_copy_and_compare_pages(client, net, q):
    client_for(client, net, "secretariat")
    response = client.post(url("questionnaire_copy", q.pk), {"code": "copy-dsa"})
    copy = Questionnaire.objects.get(code="copy-dsa")
    assert response["Location"] == copy.get_absolute_url()
    duplicate = client.post(url("questionnaire_copy", q.pk), {"code": "copy-dsa"})
    assert "code" in duplicate.context["form"].errors

    v2 = services.new_version(q, net.users["secretariat"])
    Question.objects.filter(questionnaire=v2, code="D1-01").delete()
    page = client.get(url("questionnaire_compare", v2.pk) + f"?with={q.pk}")
    assert page.context["diff"]["removed"][0].code == "D1-01"
    assert client.get(url("questionnaire_compare", v2.pk) + "?with=999999").status_code == 404
    detail = client.get(url("questionnaire_detail", q.pk)).content.decode()
    assert url("questionnaire_detail", v2.pk) in detail  # the other version is linked


def test_list_filters_and_export(client, net, q):
    services.new_version(q, net.users["secretariat"])
    questionnaire(code="other", fw=framework(code="fw-2", areas=("A1",)))
    client_for(client, net, "reader")
    latest = client.get(url("questionnaire_list") + "?latest=yes")
    rows = sorted((r.code, r.version) for r in latest.context["table"].data)
    assert rows == sorted([("other", 1), (q.code, 2)])
    by_code = client.get(url("questionnaire_list") + f"?code={q.code}")
    assert {r.version for r in by_code.context["table"].data} == {1, 2}
    by_framework = client.get(url("questionnaire_list") + f"?framework={q.framework_id}")
    assert {r.code for r in by_framework.context["table"].data} == {q.code}
    export = client.get(url("questionnaire_export") + "?format=csv")
    assert export.status_code == 200
    assert q.code in export.content.decode()


def _queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx)


def test_query_counts_do_not_grow_with_questions(client, net):
    client_for(client, net, "reader")
    small = questionnaire(code="small", per_area=1)
    big = questionnaire(code="big", per_area=6)
    for question in big.questions.all()[:5]:
        LevelDescriptor.objects.create(question=question, level=1, text="Own")
    detail_small = _queries(client, url("questionnaire_detail", small.pk))
    detail_big = _queries(client, url("questionnaire_detail", big.pk))
    assert detail_big == detail_small
    list_before = _queries(client, url("questionnaire_list"))
    for n in range(4):
        questionnaire(code=f"more-{n}")
    assert _queries(client, url("questionnaire_list")) == list_before
