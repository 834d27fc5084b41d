"""Import and export as plain functions (no request)."""

import datetime
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from cbnet.core import exporting, importing
from cbnet.core.testing import factories as f
from cbnet.directory.importers import PersonImportForm
from cbnet.directory.models import Person


def test_formula_cells_are_neutralised():
    headers = ["name", "note"]
    rows = [['=HYPERLINK("x")', "+1"], ["@SUM(A1)", "-2"], ["\tx", "plain"]]
    text = exporting.to_csv(headers, rows).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+1" in text and "'@SUM" in text and "'-2" in text
    assert exporting.cell_value(-2) == -2  # numbers stay numbers


def test_xlsx_is_typed_with_frozen_header():
    body = exporting.to_xlsx(["when", "count", "text"], [[datetime.date(2024, 5, 1), 3, "=1+1"]])
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.freeze_panes == "A2"
    assert sheet["A2"].value == datetime.datetime(2024, 5, 1)
    assert sheet["B2"].value == 3
    assert sheet["C2"].value == "'=1+1"


def test_csv_has_bom_and_utf8():
    body = exporting.to_csv(["name"], [["Ramírez"]])
    assert body.startswith(b"\xef\xbb\xbf") and "Ramírez".encode() in body


def test_decode_utf8_cp1252_and_refuse_binary():
    assert importing.decode("Núñez".encode()) == "Núñez"
    assert importing.decode("\ufeffNúñez".encode()) == "Núñez"
    assert importing.decode("Núñez".encode("cp1252")) == "Núñez"
    with pytest.raises(importing.ImportFileError):
        importing.decode(b"\x00\x00abc")
    with pytest.raises(importing.ImportFileError):
        importing.decode(b"\x81\x8d\x8f\x90")  # bytes cp1252 leaves undefined


def test_semicolon_csv_is_read():
    headers, rows = importing.read_upload(b"a;b\n1;2\n", "x.csv")
    assert headers == ["a", "b"] and rows == [["1", "2"]]


def test_xlsx_bomb_is_refused(settings):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/huge.xml", b"0" * (importing.MAX_XLSX_UNPACKED_BYTES + 1))
    with pytest.raises(importing.ImportFileError, match="50 MB"):
        importing.read_upload(buffer.getvalue(), "bomb.xlsx")


def test_oversized_upload_is_refused(settings):
    settings.CBNET_MAX_UPLOAD_BYTES = 10
    with pytest.raises(importing.ImportFileError):
        importing.read_upload(b"a,b\n" * 10, "x.csv")


def _xlsx(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_import_rows_from_xlsx_all_or_nothing():
    net = f.network()
    data = _xlsx(
        [
            ["Given name", "Family name", "Organisation", "E-mail"],
            ["Ana", "Suárez", "DNA", "ana@example.org"],
            ["Rui", "Costa", "Unknown Org", "rui@example.org"],
            ["Eva", "Mar", "DNA", "not-an-email"],
        ]
    )
    headers, rows = importing.read_upload(data, "people.xlsx")
    result = importing.import_rows(PersonImportForm, headers, rows, user=net.users["ncp_uy"])
    assert [(e.row, e.field) for e in result.errors] == [(3, "organisation"), (4, "email")]
    assert not Person.objects.filter(family_name__in=["Suárez", "Costa", "Mar"]).exists()

    good = [["Ana", "Suárez", "DNA", "ana@example.org"]]
    result = importing.import_rows(PersonImportForm, headers, good, user=net.users["ncp_uy"])
    assert result.ok and result.count == 1
    person = Person.objects.get(family_name="Suárez")
    assert person.history.get().history_user == net.users["ncp_uy"]


@pytest.mark.django_db
def test_import_reports_missing_required_and_unknown_columns():
    net = f.network()
    result = importing.import_rows(
        PersonImportForm, ["given_name", "hat"], [["Ana", "x"]], user=net.users["ncp_uy"]
    )
    messages = " ".join(e.message for e in result.errors)
    assert "hat" in messages and "family_name" in messages
    assert all(e.row == 1 for e in result.errors)
