"""The offline workbook: download, fill in with openpyxl, upload, preview, apply; refusals."""

import datetime
import io
import zipfile

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from cbnet.assessments import workbook
from cbnet.assessments.models import Answer, Assessment, Question
from cbnet.assessments.services import workflow
from cbnet.assessments.testing import assessment_kit
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db

DURING = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)


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


def download_url(assessment):
    return reverse("assessments:assessment_workbook", args=[assessment.pk])


def upload_url(assessment):
    return reverse("assessments:assessment_workbook_upload", args=[assessment.pk])


def fresh(assessment):
    return Assessment.objects.get(pk=assessment.pk)


def download(client, net, assessment, who="ncp_uy"):
    client.force_login(net.users[who])
    response = client.get(download_url(assessment))
    assert response.status_code == 200, response.status_code
    return response.content


def open_book(data):
    return load_workbook(io.BytesIO(data))


def header_columns(sheet):
    return {
        sheet.cell(row=workbook.HEADER_ROW, column=c).value: c
        for c in range(1, sheet.max_column + 1)
    }


def question_row(sheet, code):
    for row in range(workbook.FIRST_ROW, sheet.max_row + 1):
        if sheet.cell(row=row, column=1).value == code:
            return row
    raise AssertionError(code)


def fill(data, values, comments=None):
    """Set answers by question code (the Level column) and comments; returns new bytes."""
    book = open_book(data)
    sheet = book.worksheets[0]
    columns = header_columns(sheet)
    for code, value in values.items():
        sheet.cell(row=question_row(sheet, code), column=columns["Your level"]).value = value
    for code, value in (comments or {}).items():
        sheet.cell(row=question_row(sheet, code), column=columns["Comment"], value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def post_file(client, assessment, data, name="filled.xlsx", **extra):
    upload = SimpleUploadedFile(name, data, content_type=workbook.CONTENT_TYPE)
    return client.post(upload_url(assessment), {"step": "preview", "file": upload, **extra})


def token_of(response):
    return response.context["token"]


def apply(client, assessment, token, **extra):
    return client.post(upload_url(assessment), {"step": "apply", "token": token, **extra})


def page_errors(response):
    return " ".join(str(e) for e in response.context.get("errors", []))


# --- round trip ---------------------------------------------------------------------------


def test_round_trip_download_fill_preview_apply(client, net, kit):
    data = download(client, net, kit.uy)
    filled = fill(
        data, {"D1-01": "3 – Level 3", "D2-02": "N/A", "D3-01": 0}, {"D1-01": "Since 2019"}
    )
    response = post_file(client, kit.uy, filled)
    assert response.status_code == 200
    check = response.context["check"]
    assert check.ok
    statuses = {item.code: item.status for item in check.items}
    assert statuses == {
        "D1-01": "changed",
        "D1-02": "unchanged",
        "D2-01": "unchanged",
        "D2-02": "changed",
        "D3-01": "changed",
        "D3-02": "unchanged",
    }
    body = response.content.decode()
    assert "Since 2019" in body and "3 – Level 3" in body
    assert not Answer.objects.exists()  # the preview writes nothing
    assert fresh(kit.uy).status == "not_started"
    response = apply(client, kit.uy, token_of(response))
    assert response.status_code == 302
    saved = {a.question.code: (a.level, a.not_applicable, a.comment) for a in Answer.objects.all()}
    assert saved == {
        "D1-01": (3, False, "Since 2019"),
        "D2-02": (None, True, ""),
        "D3-01": (0, False, ""),
    }
    assert fresh(kit.uy).status == "in_progress"


def test_download_is_prefilled_protected_and_stamped(client, net, kit):
    workflow.save_answers(
        kit.uy, {"D1-02": {"level": 4, "comment": "=HYPERLINK(1)"}}, user=net.users["ncp_uy"]
    )
    response_data = download(client, net, kit.uy)
    book = open_book(response_data)
    sheet = book.worksheets[0]
    columns = header_columns(sheet)
    row = question_row(sheet, "D1-02")
    assert sheet.cell(row=row, column=columns["Your level"]).value == "4 – Level 4"
    comment = sheet.cell(row=row, column=columns["Comment"])
    assert comment.value == "=HYPERLINK(1)" and comment.data_type == "s"  # text, not a formula
    assert sheet.protection.sheet
    assert not sheet.cell(row=row, column=columns["Your level"]).protection.locked
    assert sheet.cell(row=row, column=columns["Question"]).protection.locked
    assert sheet.freeze_panes == "B4"
    stamp = book[workbook.STAMP_SHEET]
    assert stamp.sheet_state == "veryHidden"
    values = {
        stamp.cell(row=r, column=1).value: stamp.cell(row=r, column=2).value for r in range(1, 9)
    }
    assert values["assessment"] == kit.uy.pk
    assert values["organisation"] == net.uruguay.pk
    assert values["questionnaire"] == "test-dsa v1"
    assert values["assessment version"] == fresh(kit.uy).version
    levels = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    assert levels and "Lists!" in levels[0].formula1
    assert book.security.lockStructure


# --- who may download and upload ------------------------------------------------------------


def test_other_members_ncp_gets_404_for_download_and_upload(client, net, kit):
    data = download(client, net, kit.uy)
    client.force_login(net.users["ncp_br"])
    assert client.get(download_url(kit.uy)).status_code == 404
    assert client.get(upload_url(kit.uy)).status_code == 404
    assert post_file(client, kit.uy, fill(data, {"D1-01": 2})).status_code == 404
    client.force_login(net.users["partner"])
    assert client.get(download_url(kit.uy)).status_code == 404
    assert not Answer.objects.exists()


def test_rocb_may_download_but_not_upload(client, net, kit):
    data = download(client, net, kit.uy, who="rocb")
    assert data[:2] == b"PK"
    assert client.get(upload_url(kit.uy)).status_code == 403
    assert post_file(client, kit.uy, data).status_code == 403


def test_validated_assessment_refuses_uploads(client, net, kit):
    data = fill(download(client, net, kit.uy), {"D1-01": 2})
    Assessment.objects.filter(pk=kit.uy.pk).update(status="validated")
    page = client.get(upload_url(kit.uy))
    assert 'id="workbook-upload"' not in page.content.decode()
    assert "validated" in page.content.decode()
    response = post_file(client, kit.uy, data)
    assert response.status_code == 400
    assert "This assessment is validated: it can no longer change." in page_errors(response)
    assert not Answer.objects.exists()


def test_closed_round_refuses_uploads(client, net, kit):
    data = fill(download(client, net, kit.uy), {"D1-01": 2})
    with time_machine.travel(datetime.datetime(2026, 4, 2, 12, tzinfo=datetime.UTC), tick=False):
        client.force_login(net.users["ncp_uy"])
        response = post_file(client, kit.uy, data)
    assert response.status_code == 400
    assert "The round closed on 2026-03-31" in page_errors(response)
    assert not Answer.objects.exists()


# --- the stamp ----------------------------------------------------------------------------


def test_another_administrations_workbook_is_refused(client, net, kit):
    data = fill(download(client, net, kit.br, who="ncp_br"), {"D1-01": 2})
    client.force_login(net.users["ncp_uy"])
    response = post_file(client, kit.uy, data)
    assert response.status_code == 400
    assert "another administration (Receita Federal do Brasil)" in page_errors(response)
    assert not Answer.objects.exists()


def test_workbook_of_another_version_is_refused_naming_both_versions(client, net, kit):
    from cbnet.assessments.testing import assessment, questionnaire, round_

    v2 = questionnaire(kit.framework, code="test-dsa", version=2)
    later = assessment(round_(v2, net.ams, name="Second round"), net.uruguay)
    data = fill(download(client, net, kit.uy), {"D1-01": 2})
    response = post_file(client, later, data)
    errors = page_errors(response)
    assert response.status_code == 400
    assert "questionnaire test-dsa version 1; this assessment uses test-dsa version 2" in errors
    assert "another assessment of" in errors
    assert not Answer.objects.exists()


def _rewrite(data, replace):
    """A copy of the XLSX with some parts replaced ({name: bytes or None to drop})."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename in replace:
                continue
            target.writestr(info, source.read(info.filename))
        for name, content in replace.items():
            if content is not None:
                target.writestr(name, content)
    return out.getvalue()


def test_altered_or_missing_stamp_is_refused(client, net, kit):
    data = download(client, net, kit.uy)
    book = open_book(data)
    stamp = book[workbook.STAMP_SHEET]
    stamp.cell(row=8, column=2, value=stamp.cell(row=8, column=2).value[:-3] + "xyz")
    out = io.BytesIO()
    book.save(out)
    response = post_file(client, kit.uy, out.getvalue())
    assert "version stamp was altered" in page_errors(response)
    book = open_book(data)
    del book[workbook.STAMP_SHEET]
    out = io.BytesIO()
    book.save(out)
    response = post_file(client, kit.uy, out.getvalue())
    assert "its version stamp is missing" in page_errors(response)
    assert not Answer.objects.exists()


def test_edited_protected_cells_are_named_even_without_protection(client, net, kit):
    book = open_book(download(client, net, kit.uy))
    sheet = book.worksheets[0]
    sheet.protection.sheet = False
    columns = header_columns(sheet)
    row = question_row(sheet, "D2-01")
    sheet.cell(row=row, column=columns["Question"], value="Something else")
    sheet.cell(row=row, column=columns["Your level"], value=2)  # an answer cell: allowed
    sheet["Z40"] = "stray"
    out = io.BytesIO()
    book.save(out)
    response = post_file(client, kit.uy, out.getvalue())
    errors = page_errors(response)
    assert response.status_code == 400
    assert "Cells that must not change were changed: D6, Z40." in errors
    assert not Answer.objects.exists()


def test_a_changed_question_code_is_refused(client, net, kit):
    book = open_book(download(client, net, kit.uy))
    sheet = book.worksheets[0]
    row = question_row(sheet, "D1-01")
    sheet.cell(row=row, column=1, value="D9-99")
    sheet.cell(row=row, column=header_columns(sheet)["Your level"], value=2)
    out = io.BytesIO()
    book.save(out)
    response = post_file(client, kit.uy, out.getvalue())
    assert f"A{row}" in page_errors(response)
    assert not Answer.objects.exists()


# --- answers ------------------------------------------------------------------------------


def test_bad_answers_are_listed_by_row_and_nothing_is_applicable(client, net, kit):
    Question.objects.filter(questionnaire=kit.questionnaire, code="D3-02").update(
        not_applicable_allowed=False
    )
    data = download(client, net, kit.uy)
    book = open_book(data)
    sheet = book.worksheets[0]
    rows = {code: question_row(sheet, code) for code in ("D1-02", "D2-01", "D3-02")}
    filled = fill(data, {"D1-01": 2, "D1-02": 7, "D2-01": "high", "D3-02": "N/A"})
    response = post_file(client, kit.uy, filled)
    assert response.status_code == 200
    check = response.context["check"]
    problems = [str(p) for p in check.problems]
    assert problems == [
        f"Row {rows['D1-02']} (D1-02), Your level: 7 is not a level of this questionnaire's "
        "scale (0, 1, 2, 3, 4).",
        f"Row {rows['D2-01']} (D2-01), Your level: high is not a level: choose one from the list "
        "(0, 1, 2, 3, 4).",
        f"Row {rows['D3-02']} (D3-02), Your level: 'Not applicable' is not allowed for this "
        "question.",
    ]
    assert response.context["token"] == ""
    assert 'id="workbook-apply"' not in response.content.decode()
    assert not Answer.objects.exists()


def test_unchanged_workbook_has_nothing_to_apply(client, net, kit):
    workflow.save_answers(kit.uy, {"D1-01": {"level": 1}}, user=net.users["ncp_uy"])
    response = post_file(client, kit.uy, download(client, net, kit.uy))
    assert response.context["check"].counts["changed"] == 0
    assert 'id="workbook-nothing"' in response.content.decode()


def test_clearing_a_level_in_the_workbook_clears_it(client, net, kit):
    workflow.save_answers(kit.uy, {"D1-01": {"level": 1}}, user=net.users["ncp_uy"])
    response = post_file(client, kit.uy, fill(download(client, net, kit.uy), {"D1-01": None}))
    assert apply(client, kit.uy, token_of(response)).status_code == 302
    assert Answer.objects.get(question__code="D1-01").level is None


# --- the assessment changed since the download ---------------------------------------------


def test_changes_since_download_keep_theirs_and_apply_only_untouched_questions(client, net, kit):
    head = f.member("head.uy", net.uruguay, "head_of_administration")
    data = download(client, net, kit.uy)
    downloaded = fresh(kit.uy).version
    workflow.save_answers(
        kit.uy, {"D1-01": {"level": 4}, "D1-02": {"level": 1}}, user=head, version=downloaded
    )
    # D1-01 changed on both sides (conflict), D1-02 only by the head (theirs kept),
    # D2-01 only in the workbook (applied).
    filled = fill(data, {"D1-01": 2, "D2-01": 3})
    response = post_file(client, kit.uy, filled)
    check = response.context["check"]
    assert check.stale
    statuses = {item.code: item.status for item in check.items if item.status != "unchanged"}
    assert statuses == {"D1-01": "conflict", "D1-02": "theirs", "D2-01": "changed"}
    assert 'id="workbook-stale"' in response.content.decode()
    token = token_of(response)
    refused = apply(client, kit.uy, token)
    assert refused.status_code == 400
    assert "confirm that you apply your other changes" in page_errors(refused)
    assert dict(Answer.objects.values_list("question__code", "level")) == {"D1-01": 4, "D1-02": 1}
    applied = apply(client, kit.uy, token, accept_conflicts="on")
    assert applied.status_code == 302
    assert dict(Answer.objects.values_list("question__code", "level")) == {
        "D1-01": 4,
        "D1-02": 1,
        "D2-01": 3,
    }


def test_a_change_between_preview_and_apply_is_refused_and_nothing_written(client, net, kit):
    head = f.member("head.uy", net.uruguay, "head_of_administration")
    response = post_file(client, kit.uy, fill(download(client, net, kit.uy), {"D2-01": 3}))
    token = token_of(response)
    workflow.save_answers(kit.uy, {"D2-01": {"level": 1}}, user=head)
    again = apply(client, kit.uy, token)
    assert again.status_code == 400
    assert "confirm" in page_errors(again)
    assert dict(Answer.objects.values_list("question__code", "level")) == {"D2-01": 1}


def test_forged_or_foreign_token_is_refused(client, net, kit):
    client.force_login(net.users["ncp_uy"])
    response = apply(client, kit.uy, "not-a-token")
    assert response.status_code == 400
    assert "cannot be applied" in page_errors(response)


def test_assessment_page_links_the_workbook(client, net, kit):
    client.force_login(net.users["ncp_uy"])
    body = client.get(reverse("assessments:assessment_detail", args=[kit.uy.pk])).content.decode()
    assert download_url(kit.uy) in body and upload_url(kit.uy) in body
    client.force_login(net.users["rocb"])
    body = client.get(reverse("assessments:assessment_detail", args=[kit.uy.pk])).content.decode()
    assert download_url(kit.uy) in body and upload_url(kit.uy) not in body
