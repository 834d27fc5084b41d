"""CSV and XLSX export of rows, as plain functions (testable without a request).

- ``table_rows(table)``: (headers, rows) of a django-tables2 table's exportable columns,
  keeping numbers and dates typed.
- ``to_csv(headers, rows)``: UTF-8 bytes with a BOM (so Excel opens accents correctly).
- ``to_xlsx(headers, rows)``: a workbook with typed cells, a frozen bold header and column
  widths fitted to the content.

- ``form_rows(form_class, queryset)``: (headers, rows) in an import form's columns (``id``
  first), written the way the import reads them back, so export -> import is a no-op.

Text that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage
return) gets a leading apostrophe in both formats; so does text that already starts with
apostrophes before such a character, so that ``importing.unneutralise`` (which drops exactly
one) gives back the original. Numbers, dates and booleans stay typed and are never prefixed.
"""

import csv
import datetime
import decimal
import html
import io
import re

from django.utils.encoding import force_str
from django.utils.html import strip_tags
from django.utils.safestring import SafeData

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_PREFIX = re.compile(r"^'*[=+\-@\t\r]")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(text: str) -> str:
    """Defuse spreadsheet formula injection."""
    if text and _NEEDS_PREFIX.match(text):
        return "'" + text
    return text


def cell_value(value):
    """A value for a spreadsheet cell: numbers, dates and booleans stay typed."""
    if value is None:
        return None
    if isinstance(value, bool | int | float | decimal.Decimal):
        return value
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, list | tuple):
        value = ", ".join(force_str(item) for item in value)
    text = force_str(value)
    # Rendered HTML (a column's link or badge) loses its markup; plain text, even "A<B", is
    # data and is kept verbatim.
    if isinstance(value, SafeData):
        text = html.unescape(strip_tags(text)).strip()
    return neutralise(text)


def table_rows(table, exclude=("actions",)):
    """Headers and typed rows of ``table``'s visible, exportable columns (all rows)."""
    columns = [
        column
        for column in table.columns
        if column.name not in exclude and not getattr(column.column, "exclude_from_export", False)
    ]
    headers = [force_str(column.header) for column in columns]

    def rows():
        for row in table.rows:
            yield [cell_value(row.get_cell_value(column.name)) for column in columns]

    return headers, rows()


def _csv_text(value):
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def to_csv(headers, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(str(header)) for header in headers])
    for row in rows:
        writer.writerow([_csv_text(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(headers, rows, title="Export") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([neutralise(str(header)) for header in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(str(header)) for header in headers]
    for row in rows:
        row = [cell_value(value) for value in row]
        sheet.append(row)
        for index, value in enumerate(row):
            if isinstance(value, datetime.datetime):
                sheet.cell(row=sheet.max_row, column=index + 1).number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, datetime.date):
                sheet.cell(row=sheet.max_row, column=index + 1).number_format = "yyyy-mm-dd"
            length = 10 if isinstance(value, datetime.date) else len(str(value or ""))
            widths[index] = max(widths[index], length)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def form_rows(form_class, queryset):
    """Headers and rows of ``queryset`` in ``form_class``'s import columns, ``id`` first.

    References are written by their first lookup that names exactly one record (else by
    the record's id, a whole number), choices by code, countries by code, lists as
    ``"es, en"``; numbers and dates stay typed. Importing the file unchanged reports every
    row "unchanged".
    """
    from django import forms

    form = form_class()
    names = [name for name in form.fields if name != "version"]
    headers = ["id", *names]
    lookups = {}
    for name in names:
        form_field = form.fields[name]
        if isinstance(form_field, forms.ModelChoiceField):
            lookups[name] = _reference_writer(form_field)
    # columns that are not attributes of the record write themselves (e.g. one language of
    # a multilingual field: cbnet.core.multilingual.LanguageColumnField)
    writers = {
        name: form.fields[name].export_value
        for name in names
        if hasattr(form.fields[name], "export_value")
    }

    def rows():
        for obj in queryset:
            row = [obj.pk]
            for name in names:
                if name in writers:
                    row.append(writers[name](obj))
                    continue
                value = getattr(obj, name, None)
                if name in lookups:
                    value = lookups[name](value)
                elif isinstance(value, list | tuple):
                    value = ", ".join(force_str(item) for item in value)
                row.append(value)
            yield row

    return headers, rows()


def _reference_writer(form_field):
    from cbnet.core.text import normalize

    names = getattr(form_field, "lookups", ())
    counts = {}
    for obj in form_field.queryset:
        for lookup in names:
            value = getattr(obj, lookup, "")
            if value:
                key = normalize(str(value))
                counts[key] = counts.get(key, 0) + 1

    def write(obj):
        if obj is None:
            return ""
        for lookup in names:
            value = getattr(obj, lookup, "")
            text = str(value or "")
            if text and not text.isdigit() and counts.get(normalize(text)) == 1:
                return text
        return obj.pk  # a whole number names the record by its id

    return write
