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


def test_text_with_angle_brackets_is_data_but_rendered_html_loses_its_markup():
    from django.utils.html import format_html

    assert exporting.cell_value("Risk <high> & A<B") == "Risk <high> & A<B"
    assert exporting.cell_value(format_html('<a href="/x">{}</a>', "Ana & Co")) == "Ana & Co"
    text = exporting.to_csv(["note"], [["A<B>C"]]).decode("utf-8-sig")
    assert "A<B>C" in text


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


# --- round trip, numbers and dates --------------------------------------------------------

TRICKY = ["=1+1", "+598 2900", "-x", "@SUM(A1)", "\tx", "\rx", "'=x", "''+y", "'plain", "a=b"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_text_round_trips_and_numbers_stay_numbers(fmt):
    # XML (hence XLSX) turns a carriage return into a line feed whatever we do.
    texts = TRICKY if fmt == "csv" else [text for text in TRICKY if "\r" not in text]
    rows = [[text, -2, 3.5] for text in texts]
    writer = exporting.to_csv if fmt == "csv" else exporting.to_xlsx
    body = writer(["text", "int", "float"], rows)
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(body)).active
        assert sheet["A2"].value == "'=1+1" and sheet["A2"].data_type == "s"
        assert sheet["B2"].value == -2 and sheet["B2"].data_type == "n"
    else:
        assert "'=1+1,-2,3.5" in body.decode("utf-8-sig")  # numbers written bare
    upload = importing.read_file(body, f"x.{fmt}")
    assert [row[0] for row in upload.rows] == texts
    assert [row[1] for row in upload.rows] == [-2 if fmt == "xlsx" else "-2"] * len(texts)


def test_unneutralise_drops_exactly_one_apostrophe():
    assert importing.unneutralise("'=x") == "=x"
    assert importing.unneutralise("''=x") == "'=x"
    assert importing.unneutralise("'plain") == "'plain"
    assert importing.unneutralise("'") == "'"
    for text in TRICKY:
        assert importing.unneutralise(exporting.neutralise(text)) == text


@pytest.mark.parametrize(
    "text,comma,expected",
    [
        ("1.234,5", True, "1234.5"),
        ("1,5", True, "1.5"),
        ("-1.234.567", True, "-1234567"),
        ("1\u00a0234,5", True, "1234.5"),
        ("1,234.5", False, "1234.5"),
        ("1.5", False, "1.5"),
        ("1 234", False, "1234"),
        ("abc", True, "abc"),
        ("1,5", False, "1,5"),  # left for the form to refuse
    ],
)
def test_parse_number(text, comma, expected):
    assert importing.parse_number(text, comma) == expected


def test_decimal_comma_cells_clean_for_number_fields():
    from django import forms

    prepared = importing._prepare_cell(forms.DecimalField(), "1.234,5", True)
    assert forms.DecimalField().clean(prepared) == __import__("decimal").Decimal("1234.5")
    assert forms.FloatField().clean(importing._prepare_cell(forms.FloatField(), "1,5", True)) == 1.5
    # A typed XLSX number is never re-read with the decimal comma.
    assert importing._prepare_cell(forms.FloatField(), 1.234, True) == "1.234"


def test_dates_dd_mm_yyyy_iso_and_cells():
    from django import forms

    field = forms.DateField()
    for value in ("31/01/2024", "31.01.2024", "2024-01-31", "2024-01-31T00:00:00"):
        assert field.clean(importing._prepare_cell(field, value, False)) == datetime.date(
            2024, 1, 31
        )
    cell = datetime.datetime(2024, 1, 31, 9, 30)
    assert importing._prepare_cell(field, cell, False) == "2024-01-31"
    assert importing.parse_date("31/02/2024") == "31/02/2024"  # no such day: the form says so


@pytest.mark.django_db
def test_semicolon_csv_imports_decimal_comma_numbers():
    from cbnet.capabilities.models import Area, Framework
    from cbnet.core.forms import LookupChoiceField, PrimaryModelForm

    class AreaImportForm(PrimaryModelForm):
        natural_keys = (("framework", "code"),)
        framework = LookupChoiceField(Framework.objects.all(), lookups=("code",))

        class Meta:
            model = Area
            fields = ["framework", "code", "name", "position"]

    net = f.network()
    Framework.objects.create(
        code="test-fw", name="Test", kind=Framework._meta.get_field("kind").choices[0][0]
    )
    upload = importing.read_file(
        b"framework;code;name;position\ntest-fw;A1;One;1.234\ntest-fw;A2;Two;2\n", "a.csv"
    )
    assert upload.looks_decimal_comma
    result = importing.import_rows(
        AreaImportForm,
        upload.headers,
        upload.rows,
        user=net.users["secretariat"],
        decimal_comma=importing.wants_decimal_comma("auto", upload),
    )
    assert result.ok, result.errors
    assert Area.objects.get(code="A1").position == 1234
    again = importing.import_rows(
        AreaImportForm,
        upload.headers,
        upload.rows,
        user=net.users["secretariat"],
        decimal_comma=True,
    )
    assert [outcome.action for outcome in again.rows] == ["unchanged", "unchanged"]


@pytest.mark.django_db
def test_import_updates_by_natural_key_and_reports_in_file_duplicates():
    net = f.network()
    f.person("Ana", "Suárez", net.uruguay, email="ana@example.org", phone="1")
    headers = ["given_name", "family_name", "organisation", "email", "phone"]
    rows = [
        ["Ana", "Suárez", "DNA", "ana@example.org", "2"],
        ["Ana", "Suárez", "DNA", "ana@example.org", "3"],
    ]
    result = importing.import_rows(PersonImportForm, headers, rows, user=net.users["ncp_uy"])
    assert [(e.row, e.message) for e in result.errors] == [(3, "Duplicate of row 2.")]
    assert Person.objects.get(email="ana@example.org").phone == "1"
    result = importing.import_rows(PersonImportForm, headers, rows[:1], user=net.users["ncp_uy"])
    assert result.ok and len(result.updated) == 1 and not result.created
    assert Person.objects.get(email="ana@example.org").phone == "2"
