"""The assessment pages: list, fill-in by section, review, evidence, sharing, confidentiality."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cbnet.assessments.models import Answer, Assessment, AssessmentShare, Evidence, LevelDescriptor
from cbnet.assessments.services import workflow
from cbnet.assessments.testing import assessment_kit, questionnaire, round_
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db

DURING = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)
PDF_BYTES = b"%PDF-1.4\n%%EOF\n"


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


def login(client, net, who):
    client.force_login(net.users[who] if isinstance(who, str) else who)
    return client


def detail(assessment):
    return reverse("assessments:assessment_detail", args=[assessment.pk])


def url(name, assessment, *args):
    return reverse(f"assessments:assessment_{name}", args=[assessment.pk, *args])


def fresh(assessment):
    return Assessment.objects.get(pk=assessment.pk)


def answer_post(kit, assessment=None, version=None, **levels):
    """POST data for the (single) section: levels by question code."""
    assessment = assessment or kit.uy
    data = {"version": version or fresh(assessment).version, "section": "S1"}
    for question in kit.questions:
        if question.code in levels:
            data[f"q{question.pk}-level"] = str(levels[question.code])
        data[f"q{question.pk}-comment"] = ""
    return data


def validated(net, kit):
    workflow.save_answers(
        kit.uy, {q.code: {"level": 2} for q in kit.questions}, user=net.users["ncp_uy"]
    )
    workflow.submit(kit.uy, user=net.users["ncp_uy"])
    workflow.validate(kit.uy, user=net.users["rocb"])
    return fresh(kit.uy)


# --- who sees what ------------------------------------------------------------------------


def test_list_shows_each_user_only_what_they_may_see(client, net, kit):
    list_url = reverse("assessments:assessment_list")
    expected = {
        "ncp_uy": {"uy"},
        "ncp_br": {"br"},
        "rocb": {"uy", "br"},
        "secretariat": {"uy", "br"},
        "partner": set(),
        "reader": set(),
    }
    links = {"uy": detail(kit.uy), "br": detail(kit.br)}
    for who, names in expected.items():
        body = login(client, net, who).get(list_url).content.decode()
        shown = {name for name, link in links.items() if f'href="{link}"' in body}
        assert shown == names, who


def test_list_filters_and_export(client, net, kit):
    login(client, net, "rocb")
    workflow.save_answers(kit.uy, {"D1-01": {"level": 1}}, user=net.users["ncp_uy"])
    body = client.get(reverse("assessments:assessment_list"), {"status": "in_progress"})
    body = body.content.decode()
    assert f'href="{detail(kit.uy)}"' in body and f'href="{detail(kit.br)}"' not in body
    response = client.get(reverse("assessments:assessment_export"), {"format": "csv"})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "Uruguay" in text and "Brasil" in text
    assert "17" in text  # Uruguay: 1 of 6 questions answered


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("ncp_uy", 200),
        ("rocb", 200),
        ("secretariat", 200),
        ("ncp_br", 404),
        ("partner", 404),
        ("reader", 404),
    ],
)
def test_detail_and_history_of_uruguay(client, net, kit, who, status):
    login(client, net, who)
    assert client.get(detail(kit.uy)).status_code == status
    assert client.get(url("history", kit.uy)).status_code == status


def test_another_regions_rocb_sees_nothing(client, net, kit):
    africa = f.region("AF", "Africa")
    office = f.organisation("ROCB Africa", kind="rocb", region=africa)
    login(client, net, f.member("rocb.af", office, "rocb_officer"))
    assert client.get(detail(kit.uy)).status_code == 404
    assert detail(kit.uy) not in client.get(reverse("assessments:assessment_list")).content.decode()


def test_partner_sees_a_shared_assessment_until_revoked(client, net, kit):
    assessment = validated(net, kit)
    partner = login(client, net, "partner")
    assert partner.get(detail(assessment)).status_code == 404
    login(client, net, "ncp_uy")
    response = client.post(url("share", assessment), {"partner": net.idb.pk})
    assert response.status_code == 302
    share = AssessmentShare.objects.get()
    login(client, net, "partner")
    page = client.get(detail(assessment))
    assert page.status_code == 200
    assert b'id="save-draft"' not in page.content and b'id="share-button"' not in page.content
    login(client, net, "ncp_uy")
    client.post(url("revoke_share", assessment), {"share": share.pk})
    login(client, net, "partner")
    assert client.get(detail(assessment)).status_code == 404


def test_anonymous_is_sent_to_login(client, kit):
    response = client.get(detail(kit.uy))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- filling in ---------------------------------------------------------------------------


def test_fill_in_page_shows_levels_with_descriptors_in_the_readers_language(client, net, kit):
    question = kit.questions[0]
    LevelDescriptor.objects.create(
        question=question,
        level=2,
        text={"original": "en", "texts": {"en": "Own two", "es": "Propio dos"}},
    )
    login(client, net, "ncp_uy")
    body = client.get(detail(kit.uy)).content.decode()
    assert "Own two" in body  # the question's own descriptor
    assert "Descriptor 3" in body  # else the scale's
    assert f'name="q{question.pk}-na"' in body  # 'not applicable' allowed
    assert 'id="save-draft"' in body
    client.cookies["django_language"] = "es"
    body = client.get(detail(kit.uy), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Propio dos" in body


def test_saving_a_draft_keeps_answers_and_starts_the_assessment(client, net, kit):
    login(client, net, "ncp_uy")
    response = client.post(detail(kit.uy), answer_post(kit, **{"D1-01": 3, "D2-02": 0}))
    assert response.status_code == 302
    assert dict(Answer.objects.values_list("question__code", "level")) == {"D1-01": 3, "D2-02": 0}
    assert fresh(kit.uy).status == "in_progress"
    body = client.get(detail(kit.uy)).content.decode()
    assert "33 %" in body  # 2 of 6


def test_impossible_level_is_shown_by_the_question_and_nothing_saved(client, net, kit):
    login(client, net, "ncp_uy")
    data = answer_post(kit, **{"D1-01": 2, "D1-02": 7})
    response = client.post(detail(kit.uy), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "7 is not a level" in body
    assert not Answer.objects.exists()
    assert fresh(kit.uy).status == "not_started"


def test_a_second_form_on_the_same_version_is_refused_and_its_input_reshown(client, net, kit):
    head = f.member("head.uy", net.uruguay, "head_of_administration")
    seen = fresh(kit.uy).version
    login(client, net, "ncp_uy").post(
        detail(kit.uy), answer_post(kit, version=seen, **{"D1-01": 3})
    )
    login(client, net, head)
    response = client.post(
        detail(kit.uy), answer_post(kit, version=seen, **{"D1-01": 1, "D3-02": 4})
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this record" in body
    q = kit.questions[-1]
    assert f'id="q{q.pk}-level-4" value="4" checked' in body  # the user's input is kept
    assert dict(Answer.objects.values_list("question__code", "level")) == {"D1-01": 3}


def test_readers_in_scope_see_a_read_only_page(client, net, kit):
    login(client, net, "rocb")
    body = client.get(detail(kit.uy)).content.decode()
    assert 'id="save-draft"' not in body and " disabled" in body
    response = client.post(detail(kit.uy), answer_post(kit, **{"D1-01": 1}))
    assert response.status_code == 403
    assert not Answer.objects.exists()


def test_fill_in_page_query_count_does_not_grow_with_questions(client, net, kit):
    login(client, net, "ncp_uy")
    client.get(detail(kit.uy))  # warm caches (content types, sessions)

    def count(assessment):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail(assessment)).status_code == 200
        return len(queries)

    small = count(kit.uy)
    big = questionnaire(kit.framework, code="big", per_area=15)
    big_round = round_(big, net.ams, name="Big round")
    big_assessment = Assessment.objects.create(round=big_round, organisation=net.uruguay)
    workflow.save_answers(
        big_assessment,
        {q.code: {"level": 1} for q in big.questions.all()[:20]},
        user=net.users["ncp_uy"],
    )
    assert big.questions.count() == 45
    assert count(big_assessment) == small


# --- the workflow by page -----------------------------------------------------------------


def test_submit_return_resubmit_validate_by_page(client, net, kit):
    login(client, net, "ncp_uy")
    client.post(detail(kit.uy), answer_post(kit, **{q.code: 2 for q in kit.questions}))
    page = client.get(url("submit", kit.uy))
    assert b"100 %" in page.content
    client.post(url("submit", kit.uy))
    assert fresh(kit.uy).status == "submitted"
    body = client.get(detail(kit.uy)).content.decode()
    assert 'id="save-draft"' not in body and 'id="validate-button"' not in body

    login(client, net, "rocb")
    body = client.get(detail(kit.uy)).content.decode()
    assert 'id="validate-button"' in body and 'id="return-button"' in body
    response = client.post(url("return", kit.uy), {"comment": ""}, follow=True)
    assert "Say what should change" in response.content.decode()
    assert fresh(kit.uy).status == "submitted"
    client.post(url("return", kit.uy), {"comment": "D1-02 needs a source."})
    assert fresh(kit.uy).status == "returned"

    login(client, net, "ncp_uy")
    body = client.get(detail(kit.uy)).content.decode()
    assert "D1-02 needs a source." in body
    client.post(detail(kit.uy), answer_post(kit, **{q.code: 3 for q in kit.questions}))
    assert fresh(kit.uy).status == "in_progress"
    client.post(url("submit", kit.uy))
    # The NCP cannot validate their own assessment.
    response = client.post(url("validate", kit.uy), follow=True)
    assert "Only the region" in response.content.decode()
    login(client, net, "rocb").post(url("validate", kit.uy))
    assert fresh(kit.uy).status == "validated"
    history = login(client, net, "ncp_uy").get(url("history", kit.uy)).content.decode()
    assert "Assessment validated" in history and "Assessment returned for changes" in history


def test_out_of_scope_users_get_404_on_every_action(client, net, kit):
    login(client, net, "ncp_br")
    for name in ("submit", "return", "validate", "share", "revoke_share", "evidence_add"):
        assert client.post(url(name, kit.uy), {"comment": "x"}).status_code == 404, name
    assert client.post(detail(kit.uy), answer_post(kit, **{"D1-01": 1})).status_code == 404
    assert fresh(kit.uy).status == "not_started"


# --- evidence -----------------------------------------------------------------------------


def test_evidence_upload_download_as_attachment_and_remove(client, net, kit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    question = kit.questions[0]
    login(client, net, "ncp_uy")
    upload = SimpleUploadedFile("Ley 19.276.pdf", PDF_BYTES, content_type="application/pdf")
    response = client.post(url("evidence_add", kit.uy), {"file": upload, "question": question.pk})
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.question == question
    response = client.get(url("evidence", kit.uy, evidence.pk))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == PDF_BYTES
    # Out of scope: 404, also through another assessment's URL.
    login(client, net, "ncp_br")
    assert client.get(url("evidence", kit.uy, evidence.pk)).status_code == 404
    assert client.get(url("evidence", kit.br, evidence.pk)).status_code == 404
    login(client, net, "partner")
    assert client.get(url("evidence", kit.uy, evidence.pk)).status_code == 404
    login(client, net, "ncp_uy")
    client.post(url("evidence_remove", kit.uy, evidence.pk))
    assert not Evidence.objects.exists()


def test_hostile_evidence_by_page_is_refused_with_a_message(client, net, kit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    login(client, net, "ncp_uy")
    upload = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf")
    response = client.post(url("evidence_add", kit.uy), {"file": upload}, follow=True)
    assert "does not match its name" in response.content.decode()
    response = client.post(url("evidence_add", kit.uy), {}, follow=True)
    assert "Choose a file" in response.content.decode()
    assert not Evidence.objects.exists()


def test_list_query_count_does_not_grow_with_rows(client, net, kit):
    login(client, net, "rocb")
    list_url = reverse("assessments:assessment_list")
    client.get(list_url)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(list_url).status_code == 200
        return len(queries)

    few = count()
    for n in range(12):
        member = f.organisation(f"Administration {n}", region=net.ams, country="AR")
        Assessment.objects.create(round=kit.round, organisation=member)
    client.get(list_url)  # the administration filter's options are rebuilt once (new rows)
    assert count() == few
