"""The offline workbook: hostile files, TFA questions, the reader's language, query counts."""

import datetime
import io
import zipfile

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from cbnet.assessments import workbook
from cbnet.assessments.models import Answer, Question, Questionnaire, Section
from cbnet.assessments.testing import assessment, assessment_kit, framework, round_, scale
from cbnet.assessments.tests.test_workbook import (
    apply,
    download,
    download_url,
    fill,
    header_columns,
    open_book,
    page_errors,
    post_file,
    question_row,
    token_of,
)
from cbnet.capabilities.models import MaturityLevel
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


def _rewrite(data, replace):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename not in replace:
                target.writestr(info, source.read(info.filename))
        for name, content in replace.items():
            target.writestr(name, content)
    return out.getvalue()


def _refused(client, kit, data, name="filled.xlsx"):
    response = post_file(client, kit.uy, data, name=name)
    assert response.status_code == 400
    assert not Answer.objects.exists()
    return page_errors(response)


# --- hostile files ------------------------------------------------------------------------


def test_not_an_xlsx_empty_or_truncated_is_refused(client, net, kit):
    data = fill(download(client, net, kit.uy), {"D1-01": 2})
    assert "not an XLSX workbook" in _refused(client, kit, b"%PDF-1.4\n%%EOF\n")
    assert "not an XLSX workbook" in _refused(client, kit, data[: len(data) // 2])
    assert "not an XLSX workbook" in _refused(client, kit, b"PK\x03\x04" + b"\x00" * 100)
    response = post_file(client, kit.uy, b"", name="empty.xlsx")
    assert response.status_code == 400  # the form refuses an empty file
    assert not Answer.objects.exists()


def test_zip_bomb_is_refused(client, net, kit):
    client.force_login(net.users["ncp_uy"])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (60 * 1024 * 1024))
    assert len(out.getvalue()) < 200 * 1024
    assert "unpacks to more than 50 MB" in _refused(client, kit, out.getvalue())


def test_huge_file_is_refused(client, net, kit, settings):
    data = fill(download(client, net, kit.uy), {"D1-01": 2})
    settings.CBNET_MAX_UPLOAD_BYTES = 1024
    assert "larger than" in _refused(client, kit, data)


def test_xml_entities_are_refused(client, net, kit):
    data = fill(download(client, net, kit.uy), {"D1-01": 2})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        strings = archive.read("xl/workbook.xml")
    body = strings.split(b"?>", 1)[1] if strings.startswith(b"<?xml") else strings
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' + body
    )
    assert "DOCTYPE or ENTITY" in _refused(client, kit, _rewrite(data, {"xl/workbook.xml": bomb}))


def test_workbook_with_macros_is_refused(client, net, kit):
    data = fill(download(client, net, kit.uy), {"D1-01": 2})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = archive.read("[Content_Types].xml")
    types = types.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    macro = _rewrite(data, {"[Content_Types].xml": types, "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0"})
    assert "contains macros" in _refused(client, kit, macro, name="renamed.xlsx")


def test_a_plain_spreadsheet_without_stamp_is_refused(client, net, kit):
    from openpyxl import Workbook

    client.force_login(net.users["ncp_uy"])
    book = Workbook()
    book.active.append(["Code", "Your level"])
    book.active.append(["D1-01", 3])
    out = io.BytesIO()
    book.save(out)
    assert "version stamp is missing" in _refused(client, kit, out.getvalue())


# --- TFA questions --------------------------------------------------------------------------


@pytest.fixture
def tfa(net):
    fw = framework("test-tfa", areas=("M1", "M2"))
    fw.kind = "tfa"
    fw.save()
    q = Questionnaire.objects.create(code="test-tfa", title="TFA readiness", framework=fw)
    section = Section.objects.create(questionnaire=q, code="S", title="Measures")
    for position, area in enumerate(fw.areas.order_by("position"), start=1):
        Question.objects.create(
            questionnaire=q,
            section=section,
            area=area,
            code=f"TFA-{area.code}",
            kind="tfa_category",
            text=f"Measure {area.code}",
            position=position,
        )
    return assessment(round_(q, net.ams, name="TFA round"), net.uruguay)


def _fill_tfa(data, values):
    book = open_book(data)
    sheet = book.worksheets[0]
    columns = header_columns(sheet)
    for code, cells in values.items():
        row = question_row(sheet, code)
        for header, value in cells.items():
            sheet.cell(row=row, column=columns[header]).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_tfa_round_trip_with_category_dates_and_assistance(client, net, tfa):
    data = download(client, net, tfa)
    sheet = open_book(data).worksheets[0]
    assert "Your level" not in header_columns(sheet)
    filled = _fill_tfa(
        data,
        {
            "TFA-M1": {
                "TFA category": "C",
                "Indicative date": datetime.date(2027, 6, 30),
                "Definitive date": "2028-01-31",
                "Technical assistance needed": "Yes",
            }
        },
    )
    response = post_file(client, tfa, filled)
    assert response.context["check"].ok
    assert apply(client, tfa, token_of(response)).status_code == 302
    answer = Answer.objects.get()
    assert (answer.tfa_category, answer.indicative_date, answer.definitive_date) == (
        "C",
        datetime.date(2027, 6, 30),
        datetime.date(2028, 1, 31),
    )
    assert answer.assistance_needed is True


def test_tfa_bad_category_date_and_yes_no_are_listed(client, net, tfa):
    filled = _fill_tfa(
        download(client, net, tfa),
        {
            "TFA-M1": {"TFA category": "D", "Indicative date": "31/02/2027"},
            "TFA-M2": {"Technical assistance needed": "maybe"},
        },
    )
    response = post_file(client, tfa, filled)
    problems = [str(p) for p in response.context["check"].problems]
    assert problems == [
        "Row 4 (TFA-M1), Indicative date: Dates are written YYYY-MM-DD.",
        "Row 5 (TFA-M2), Technical assistance needed: Answer yes or no.",
    ]
    filled = _fill_tfa(download(client, net, tfa), {"TFA-M1": {"TFA category": "D"}})
    problems = [str(p) for p in post_file(client, tfa, filled).context["check"].problems]
    assert problems == ["Row 4 (TFA-M1), TFA category: The TFA category is A, B or C."]
    assert not Answer.objects.exists()


def test_a_level_typed_into_a_tfa_row_is_a_protected_cell(client, net, kit):
    data = download(client, net, kit.uy)
    book = open_book(data)
    sheet = book.worksheets[0]
    sheet.protection.sheet = False
    sheet.cell(row=question_row(sheet, "D1-01"), column=2).value = "edited"  # Section
    out = io.BytesIO()
    book.save(out)
    assert "B4" in _refused(client, kit, out.getvalue())


# --- language -----------------------------------------------------------------------------


def test_spanish_reader_gets_spanish_headers_levels_and_texts(client, net, kit):
    for level in MaturityLevel.objects.filter(scale=scale()):
        level.name = {
            "original": "en",
            "texts": {"en": f"Level {level.level}", "es": f"Nivel {level.level} es"},
        }
        level.save()
    question = Question.objects.get(questionnaire=kit.questionnaire, code="D1-01")
    question.text = {"original": "en", "texts": {"en": "Risk unit?", "es": "¿Unidad de riesgo?"}}
    question.save()
    client.force_login(net.users["ncp_uy"])
    client.cookies["django_language"] = "es"
    data = client.get(download_url(kit.uy), HTTP_ACCEPT_LANGUAGE="es").content
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    headers = header_columns(sheet)
    assert "Código" in headers and "Área" in headers
    assert "3 – Nivel 3 es" in headers
    with translation.override("es"):
        question_header, level_header = _("Question"), _("Your level")
    assert sheet.cell(row=question_row(sheet, "D1-01"), column=headers[question_header]).value == (
        "¿Unidad de riesgo?"
    )
    assert book[workbook.LISTS_SHEET]["A4"].value == "3 – Nivel 3 es"
    # The Spanish labels are read back.
    sheet.cell(
        row=question_row(sheet, "D1-01"), column=headers[level_header]
    ).value = "3 – Nivel 3 es"
    out = io.BytesIO()
    book.save(out)
    response = post_file(client, kit.uy, out.getvalue())
    assert response.context["check"].ok
    assert [i.code for i in response.context["check"].items if i.status == "changed"] == ["D1-01"]


# --- queries --------------------------------------------------------------------------------


def _download_queries(client, assessment_):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(download_url(assessment_))
    assert response.status_code == 200
    return len(queries)


def test_download_query_count_does_not_grow_with_questions(client, net, kit):
    from cbnet.assessments.testing import questionnaire

    client.force_login(net.users["ncp_uy"])
    small = _download_queries(client, kit.uy)
    big_q = questionnaire(kit.framework, code="big-dsa", per_area=12)
    big = assessment(round_(big_q, net.ams, name="Big round"), net.uruguay)
    assert big_q.questions.count() == 36
    assert _download_queries(client, big) == small
