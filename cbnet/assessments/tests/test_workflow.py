"""The assessment workflow by service: answers, transitions, evidence, sharing, notifications."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cbnet.assessments.models import Answer, Assessment, AssessmentShare, Evidence, Question
from cbnet.assessments.services import workflow
from cbnet.assessments.testing import assessment_kit
from cbnet.core.models import StaleObjectError
from cbnet.core.models_events import Event
from cbnet.core.permissions import restrict
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db

DURING = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


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


@pytest.fixture
def people(net):
    """Uruguay's alternate NCP and head, plus people who must not be told."""
    return {
        "alternate": f.member("alt.uy", net.uruguay, "alternate_ncp"),
        "head": f.member("head.uy", net.uruguay, "head_of_administration"),
        "pmm": f.member("pmm.uy", net.uruguay, "ncp", domain="pmm"),
        "staff": f.member("staff.uy", net.uruguay, "staff"),
        "rocb_af": _other_rocb(),
    }


def _other_rocb():
    africa = f.region("AF", "Africa")
    office = f.organisation("ROCB Africa", kind="rocb", region=africa)
    return f.member("rocb.af", office, "rocb_officer")


def pdf(name="evidence.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def fresh(assessment):
    return Assessment.objects.get(pk=assessment.pk)


def events(assessment):
    return list(
        Event.objects.filter(object_id=assessment.pk, content_type__model="assessment")
        .order_by("occurred_at", "pk")
        .values_list("name", flat=True)
    )


def answer_all(kit, user, level=2):
    return workflow.save_answers(
        kit.uy, {q.code: {"level": level} for q in kit.questions}, user=user
    )


# --- save_answers -------------------------------------------------------------------------


def test_first_save_starts_the_assessment_and_records_the_event(net, kit):
    ncp = net.users["ncp_uy"]
    version = kit.uy.version
    workflow.save_answers(
        kit.uy, {"D1-01": {"level": 3, "comment": "ok"}}, user=ncp, version=version
    )
    kit.uy.refresh_from_db()
    assert kit.uy.status == "in_progress"
    assert kit.uy.version == version + 1
    answer = Answer.objects.get(assessment=kit.uy, question__code="D1-01")
    assert (answer.level, answer.comment) == (3, "ok")
    assert answer.history.first().history_user == ncp
    assert events(kit.uy) == ["assessment.started"]
    # A second save changes answers but records no second transition.
    workflow.save_answers(kit.uy, {"D1-01": {"level": 4}}, user=ncp)
    assert events(kit.uy) == ["assessment.started"]
    answer.refresh_from_db()
    assert (answer.level, answer.comment) == (4, "ok")  # partial: the comment stays


def test_head_and_alternate_fill_in_too_but_not_pmm_ncp_staff_rocb_or_secretariat(net, kit, people):
    workflow.save_answers(kit.uy, {"D1-01": {"level": 1}}, user=people["head"])
    workflow.save_answers(kit.uy, {"D1-02": {"level": 1}}, user=people["alternate"])
    for user in (
        people["pmm"],
        people["staff"],
        net.users["rocb"],
        net.users["secretariat"],
        net.users["ncp_br"],
        net.users["partner"],
        net.users["reader"],
        people["rocb_af"],
    ):
        with pytest.raises(PermissionDenied):
            workflow.save_answers(kit.uy, {"D1-01": {"level": 4}}, user=user)
    assert Answer.objects.get(assessment=kit.uy, question__code="D1-01").level == 1


@pytest.mark.parametrize(
    ("code", "given", "fragment"),
    [
        ("D1-01", {"level": 5}, "is not a level"),
        ("D1-01", {"level": -1}, "is not a level"),
        ("D1-01", {"level": "high"}, "whole number"),
        ("D1-01", {"level": True}, "whole number"),
        ("D1-01", {"level": 2, "not_applicable": True}, "not both"),
        ("D1-01", {"tfa_category": "A"}, "maturity question"),
        ("D1-01", {"indicative_date": "2027-01-01"}, "maturity question"),
        ("D1-01", {"colour": "red"}, "Unknown fields"),
        ("D1-01", "3", "set of fields"),
        ("D1-01", {"comment": "x" * 5001}, "longer than"),
        ("ZZ-99", {"level": 1}, "no question ZZ-99"),
    ],
)
def test_impossible_answers_are_refused_by_question_code(net, kit, code, given, fragment):
    with pytest.raises(ValidationError) as caught:
        workflow.save_answers(kit.uy, {code: given}, user=net.users["ncp_uy"])
    assert fragment in " ".join(caught.value.message_dict[code])
    assert fresh(kit.uy).status == "not_started"
    assert not Answer.objects.exists()


def test_not_applicable_only_where_allowed_and_a_level_clears_it(net, kit):
    ncp = net.users["ncp_uy"]
    Question.objects.filter(code="D1-02").update(not_applicable_allowed=False)
    with pytest.raises(ValidationError) as caught:
        workflow.save_answers(kit.uy, {"D1-02": {"not_applicable": True}}, user=ncp)
    assert "not allowed" in caught.value.message_dict["D1-02"][0]
    workflow.save_answers(kit.uy, {"D1-01": {"level": 2}}, user=ncp)
    workflow.save_answers(kit.uy, {"D1-01": {"not_applicable": True}}, user=ncp)
    answer = Answer.objects.get(question__code="D1-01")
    assert (answer.level, answer.not_applicable) == (None, True)
    workflow.save_answers(kit.uy, {"D1-01": {"level": 1}}, user=ncp)
    answer.refresh_from_db()
    assert (answer.level, answer.not_applicable) == (1, False)


def test_tfa_questions_take_a_category_dates_and_assistance_not_a_level(net, kit):
    question = Question.objects.create(
        questionnaire=kit.questionnaire,
        area=kit.questions[0].area,
        code="TFA-1.1",
        kind="tfa_category",
        text="Publication",
        position=99,
    )
    ncp = net.users["ncp_uy"]
    with pytest.raises(ValidationError) as caught:
        workflow.save_answers(kit.uy, {question.code: {"level": 2}}, user=ncp)
    assert "TFA question" in caught.value.message_dict["TFA-1.1"][0]
    with pytest.raises(ValidationError) as caught:
        workflow.save_answers(kit.uy, {question.code: {"tfa_category": "D"}}, user=ncp)
    assert "A, B or C" in caught.value.message_dict["TFA-1.1"][0]
    with pytest.raises(ValidationError) as caught:
        workflow.save_answers(kit.uy, {question.code: {"indicative_date": "31/12/2027"}}, user=ncp)
    assert "YYYY-MM-DD" in caught.value.message_dict["TFA-1.1"][0]
    workflow.save_answers(
        kit.uy,
        {
            question.code: {
                "tfa_category": "c",
                "indicative_date": "2027-12-31",
                "definitive_date": datetime.date(2028, 6, 30),
                "assistance_needed": True,
                "level": None,
                "not_applicable": False,
            }
        },
        user=ncp,
    )
    answer = Answer.objects.get(question=question)
    assert answer.tfa_category == "C"
    assert answer.indicative_date == datetime.date(2027, 12, 31)
    assert answer.definitive_date == datetime.date(2028, 6, 30)
    assert answer.assistance_needed is True


def test_one_bad_answer_writes_nothing_at_all(net, kit):
    with pytest.raises(ValidationError) as caught:
        workflow.save_answers(
            kit.uy, {"D1-01": {"level": 2}, "D1-02": {"level": 9}}, user=net.users["ncp_uy"]
        )
    assert set(caught.value.message_dict) == {"D1-02"}
    assert not Answer.objects.exists()
    assert fresh(kit.uy).status == "not_started"
    assert fresh(kit.uy).version == kit.uy.version
    assert events(kit.uy) == []


def test_answers_to_another_version_of_the_questionnaire_are_refused(net, kit):
    from cbnet.assessments.testing import questionnaire

    other = questionnaire(kit.framework, code="test-dsa", version=2, per_area=3)
    assert other.questions.filter(code="D1-03").exists()
    with pytest.raises(ValidationError) as caught:
        workflow.save_answers(kit.uy, {"D1-03": {"level": 2}}, user=net.users["ncp_uy"])
    assert "D1-03" in caught.value.message_dict


def test_a_second_form_based_on_the_same_version_is_refused_and_the_first_kept(net, kit):
    ncp, head = net.users["ncp_uy"], f.member("head.uy", net.uruguay, "head_of_administration")
    seen = kit.uy.version
    workflow.save_answers(kit.uy, {"D1-01": {"level": 3}}, user=ncp, version=seen)
    with pytest.raises(StaleObjectError) as caught:
        workflow.save_answers(
            Assessment.objects.get(pk=kit.uy.pk), {"D1-01": {"level": 1}}, user=head, version=seen
        )
    assert "Someone else changed this record" in caught.value.messages[0]
    assert Answer.objects.get(question__code="D1-01").level == 3


def test_edits_are_refused_once_submitted_or_validated(net, kit):
    ncp = net.users["ncp_uy"]
    answer_all(kit, ncp)
    workflow.submit(kit.uy, user=ncp)
    with pytest.raises(ValidationError, match="submitted"):
        workflow.save_answers(kit.uy, {"D1-01": {"level": 0}}, user=ncp)
    workflow.validate(kit.uy, user=net.users["rocb"])
    with pytest.raises(ValidationError, match="validated"):
        workflow.save_answers(kit.uy, {"D1-01": {"level": 0}}, user=ncp)
    with pytest.raises(ValidationError, match="validated"):
        workflow.add_evidence(kit.uy, pdf(), user=ncp)
    assert set(Answer.objects.values_list("level", flat=True)) == {2}


def test_the_round_closes_at_2359_on_its_due_date_in_its_time_zone(net, kit):
    ncp = net.users["ncp_uy"]
    # Montevideo is UTC-3: 31 March 23:59 there is 1 April 02:59 UTC.
    with time_machine.travel(datetime.datetime(2026, 4, 1, 2, 58, tzinfo=datetime.UTC)):
        workflow.save_answers(kit.uy, {"D1-01": {"level": 1}}, user=ncp)
    with time_machine.travel(datetime.datetime(2026, 4, 1, 3, 1, tzinfo=datetime.UTC)):
        with pytest.raises(ValidationError, match="closed"):
            workflow.save_answers(kit.uy, {"D1-01": {"level": 2}}, user=ncp)
        with pytest.raises(ValidationError, match="closed"):
            workflow.submit(kit.uy, user=ncp)
    with time_machine.travel(datetime.datetime(2026, 2, 20, tzinfo=datetime.UTC)):
        with pytest.raises(ValidationError, match="opens"):
            workflow.save_answers(kit.br, {"D1-01": {"level": 2}}, user=net.users["ncp_br"])
    assert Answer.objects.get(question__code="D1-01", assessment=kit.uy).level == 1


# --- transitions --------------------------------------------------------------------------


def test_the_whole_loop_records_each_transition(net, kit, people):
    ncp, rocb = net.users["ncp_uy"], net.users["rocb"]
    answer_all(kit, ncp)
    workflow.submit(kit.uy, user=ncp)
    kit.uy.refresh_from_db()
    assert kit.uy.status == "submitted"
    assert kit.uy.submitted_by == ncp and kit.uy.submitted_at == DURING

    workflow.return_assessment(kit.uy, user=rocb, comment="Explain D2-01, please.")
    kit.uy.refresh_from_db()
    assert (kit.uy.status, kit.uy.review_comment) == ("returned", "Explain D2-01, please.")

    workflow.save_answers(kit.uy, {"D2-01": {"comment": "Explained."}}, user=ncp)
    assert fresh(kit.uy).status == "in_progress"
    workflow.submit(kit.uy, user=ncp)
    workflow.validate(kit.uy, user=rocb)
    kit.uy.refresh_from_db()
    assert kit.uy.status == "validated" and kit.uy.validated_by == rocb
    assert events(kit.uy) == [
        "assessment.started",
        "assessment.submitted",
        "assessment.returned",
        "assessment.reopened",
        "assessment.submitted",
        "assessment.validated",
    ]
    event = Event.objects.get(name="assessment.returned")
    assert event.actor == rocb and event.organisation == net.uruguay
    assert event.old["status"] == "submitted" and event.new["status"] == "returned"


def test_refused_transitions(net, kit):
    ncp, rocb = net.users["ncp_uy"], net.users["rocb"]
    with pytest.raises(ValidationError, match="Not started"):
        workflow.submit(kit.uy, user=ncp)
    with pytest.raises(ValidationError):
        workflow.validate(kit.uy, user=rocb)
    with pytest.raises(ValidationError):
        workflow.return_assessment(kit.uy, user=rocb, comment="Why?")
    answer_all(kit, ncp)
    with pytest.raises(ValidationError):
        workflow.validate(kit.uy, user=rocb)  # in progress: not submitted yet
    workflow.submit(kit.uy, user=ncp)
    with pytest.raises(ValidationError):
        workflow.submit(kit.uy, user=ncp)
    with pytest.raises(ValidationError) as caught:
        workflow.return_assessment(kit.uy, user=rocb, comment="   ")
    assert "comment" in caught.value.message_dict
    # The administration cannot review itself; another region's ROCB cannot either.
    with pytest.raises(PermissionDenied):
        workflow.validate(kit.uy, user=ncp)
    with pytest.raises(PermissionDenied):
        workflow.validate(kit.uy, user=_other_rocb())
    with pytest.raises(PermissionDenied):
        workflow.submit(kit.br, user=ncp)
    workflow.validate(kit.uy, user=net.users["secretariat"])
    for attempt in (
        lambda: workflow.return_assessment(kit.uy, user=rocb, comment="Late"),
        lambda: workflow.validate(kit.uy, user=rocb),
        lambda: workflow.submit(kit.uy, user=ncp),
    ):
        with pytest.raises(ValidationError):
            attempt()
    assert fresh(kit.uy).status == "validated"
    assert events(kit.uy).count("assessment.validated") == 1


def test_a_failed_transition_leaves_no_event(net, kit):
    answer_all(kit, net.users["ncp_uy"])
    with pytest.raises(PermissionDenied):
        workflow.submit(kit.uy, user=net.users["rocb"])
    assert events(kit.uy) == ["assessment.started"]


def test_submit_requires_evidence_for_answered_questions_that_require_it(net, kit):
    ncp = net.users["ncp_uy"]
    Question.objects.filter(code__in=["D1-01", "D1-02"]).update(evidence_required=True)
    workflow.save_answers(kit.uy, {"D1-01": {"level": 2}, "D2-01": {"level": 1}}, user=ncp)
    # Unrelated evidence (on the whole assessment) does not count for D1-01.
    workflow.add_evidence(kit.uy, pdf(), user=ncp)
    with pytest.raises(ValidationError) as caught:
        workflow.submit(kit.uy, user=ncp)
    assert set(caught.value.message_dict) == {"D1-01"}  # D1-02 is unanswered
    assert fresh(kit.uy).status == "in_progress"
    question = Question.objects.get(code="D1-01", questionnaire=kit.questionnaire)
    workflow.add_evidence(kit.uy, pdf("law.pdf"), user=ncp, question=question)
    workflow.submit(kit.uy, user=ncp)
    assert fresh(kit.uy).status == "submitted"


# --- evidence -----------------------------------------------------------------------------


def test_evidence_is_stored_under_a_safe_name_and_removed_with_its_file(
    net, kit, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ncp = net.users["ncp_uy"]
    evidence = workflow.add_evidence(kit.uy, pdf("../../etc/passwd .PDF"), user=ncp)
    assert evidence.name == "passwd.pdf"
    stored = tmp_path / evidence.file.name
    assert stored.is_file() and stored.read_bytes() == PDF_BYTES
    assert str(stored.resolve()).startswith(str(tmp_path / "assessments" / str(kit.uy.pk)))
    assert fresh(kit.uy).status == "in_progress"  # attaching evidence is an edit
    workflow.remove_evidence(evidence, user=ncp)
    assert not Evidence.objects.exists()


def test_attaching_evidence_does_not_make_an_open_form_stale(net, kit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ncp = net.users["ncp_uy"]
    workflow.save_answers(kit.uy, {"D1-01": {"level": 1}}, user=ncp)
    seen = fresh(kit.uy).version
    evidence = workflow.add_evidence(kit.uy, pdf(), user=ncp)
    workflow.remove_evidence(evidence, user=ncp)
    workflow.save_answers(kit.uy, {"D1-01": {"level": 2}}, user=ncp, version=seen)
    assert Answer.objects.get(question__code="D1-01").level == 2


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("tool.exe", b"MZ\x90\x00", "PDF, images or office documents"),
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00", "does not match"),
        ("photo.png", PDF_BYTES, "does not match"),
        ("sheet.xlsx", b"PK\x03\x04not really a zip", "does not match"),
        ("empty.pdf", b"", "empty"),
        ("script.pdf.html", b"<script>alert(1)</script>", "PDF, images"),
    ],
)
def test_hostile_evidence_is_refused_and_nothing_written(
    net, kit, settings, tmp_path, name, content, fragment
):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError) as caught:
        workflow.add_evidence(kit.uy, pdf(name, content), user=net.users["ncp_uy"])
    assert fragment in caught.value.message_dict["file"][0]
    assert not Evidence.objects.exists()
    assert not any(tmp_path.rglob("*.*"))
    assert fresh(kit.uy).status == "not_started"


def test_evidence_over_the_size_limit_is_refused(net, kit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CBNET_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ValidationError, match="larger than"):
        workflow.add_evidence(
            kit.uy, pdf(content=PDF_BYTES + b"0" * 2048), user=net.users["ncp_uy"]
        )
    assert not Evidence.objects.exists()


def test_office_documents_and_images_are_accepted(net, kit, settings, tmp_path):
    import io

    from openpyxl import Workbook

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Workbook().save(buffer)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    for name, content in (("plan.xlsx", buffer.getvalue()), ("site.png", png)):
        workflow.add_evidence(kit.uy, pdf(name, content), user=net.users["ncp_uy"])
    assert Evidence.objects.count() == 2


# --- sharing ------------------------------------------------------------------------------


def _validated(net, kit):
    answer_all(kit, net.users["ncp_uy"])
    workflow.submit(kit.uy, user=net.users["ncp_uy"])
    workflow.validate(kit.uy, user=net.users["rocb"])
    return fresh(kit.uy)


def test_sharing_shows_the_assessment_to_the_partner_until_revoked(net, kit):
    partner = net.users["partner"]
    seen = lambda: set(restrict(Assessment.objects.all(), partner).values_list("pk", flat=True))  # noqa: E731
    assessment = _validated(net, kit)
    assert seen() == set()
    share = workflow.share(assessment, net.idb, user=net.users["ncp_uy"])
    assert seen() == {kit.uy.pk}
    with pytest.raises(ValidationError, match="already shared"):
        workflow.share(assessment, net.idb, user=net.users["ncp_uy"])
    workflow.revoke_share(share, user=net.users["ncp_uy"])
    assert seen() == set()
    with pytest.raises(ValidationError, match="already revoked"):
        workflow.revoke_share(share, user=net.users["ncp_uy"])
    # Shared again later: a new row, the old one stays revoked.
    workflow.share(assessment, net.idb, user=net.users["ncp_uy"])
    assert AssessmentShare.objects.filter(revoked_at__isnull=True).count() == 1
    assert events(kit.uy)[-3:] == [
        "assessment.shared",
        "assessment.share_revoked",
        "assessment.shared",
    ]


def test_sharing_is_refused_before_validation_to_non_partners_and_to_others(net, kit):
    ncp = net.users["ncp_uy"]
    answer_all(kit, ncp)
    with pytest.raises(ValidationError, match="validated"):
        workflow.share(kit.uy, net.idb, user=ncp)
    assessment = _validated(net, kit)
    with pytest.raises(ValidationError) as caught:
        workflow.share(assessment, net.brazil, user=ncp)
    assert "partner" in caught.value.message_dict
    for user in (net.users["rocb"], net.users["ncp_br"], net.users["partner"]):
        with pytest.raises(PermissionDenied):
            workflow.share(assessment, net.idb, user=user)
    assert not AssessmentShare.objects.exists()
