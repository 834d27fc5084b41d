"""Bulk import from CSV or XLSX, all or nothing, as plain functions.

``read_upload(data, filename)`` turns the uploaded bytes into (headers, rows), refusing
files that are too big, not text, in an unknown encoding, or XLSX files that unpack to
more than ``MAX_XLSX_UNPACKED_BYTES``. ``import_rows(form_class, headers, rows, user=...)``
validates every row with the model's import form and saves them in one transaction: if
any row is wrong (unknown column, duplicate row, unknown reference, invalid value, outside
the user's scope) nothing is saved and every bad row is reported with its number (the
header is row 1, as in a spreadsheet). ``dry_run=True`` validates and rolls back.

Rows are saved one by one with ``form.save()`` so history is written for each, with the
importing user.
"""

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cbnet.core import permissions
from cbnet.core.text import normalize

MAX_XLSX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ROWS = 20000
ENCODINGS = ("utf-8-sig", "cp1252")


class ImportFileError(Exception):
    """The file cannot be read at all (size, type, encoding)."""


@dataclass
class RowError:
    row: int  # spreadsheet row number; 1 is the header
    message: str
    field: str = ""


@dataclass
class ImportResult:
    created: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self):
        return not self.errors

    @property
    def count(self):
        return len(self.created)


# --- reading files ----------------------------------------------------------------------


def decode(data: bytes) -> str:
    """Text of a CSV file in UTF-8 (with or without BOM) or Windows-1252 (Excel's default)."""
    if b"\x00" in data[:4096]:
        raise ImportFileError(_("This is not a text (CSV) file. Save it as CSV UTF-8 or XLSX."))
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
            break
        return text
    raise ImportFileError(
        _("The file's text encoding is not recognised. Save it as CSV UTF-8 and try again.")
    )


def read_csv(data: bytes):
    text = decode(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise ImportFileError(
            _("The CSV file is malformed: %(error)s") % {"error": error}
        ) from None
    return rows


def read_xlsx(data: bytes):
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportFileError(_("This is not a valid XLSX file.")) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportFileError(_("This XLSX file unpacks to more than 50 MB; split it."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                break
        workbook.close()
    except Exception:  # openpyxl raises many kinds on a broken file
        raise ImportFileError(_("This XLSX file cannot be read.")) from None
    return rows


def read_upload(data: bytes, filename: str):
    """(headers, rows) from an uploaded file; trailing empty rows are dropped."""
    if len(data) > settings.CBNET_MAX_UPLOAD_BYTES:
        raise ImportFileError(
            _("The file is larger than %(size)s MB.")
            % {"size": settings.CBNET_MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    if not data:
        raise ImportFileError(_("The file is empty."))
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        rows = read_xlsx(data)
    elif name.endswith((".csv", ".txt", "")) or "." not in name:
        rows = read_csv(data)
    else:
        raise ImportFileError(_("Upload a CSV or XLSX file."))
    rows = [[_cell_text(value) for value in row] for row in rows]
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise ImportFileError(_("The file has no header row."))
    if len(rows) > MAX_ROWS + 1:
        raise ImportFileError(_("The file has more than %(n)s rows; split it.") % {"n": MAX_ROWS})
    return rows[0], rows[1:]


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if not value.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- validating and saving ---------------------------------------------------------------


def map_headers(form_class, headers):
    """{column index: form field name}, and errors for unknown, repeated or missing columns."""
    form = form_class()
    by_key = {}
    for name, form_field in form.fields.items():
        if name == "version":
            continue
        by_key[normalize(name)] = name
        by_key[normalize(name.replace("_", " "))] = name
        by_key[normalize(str(form_field.label or ""))] = name
    mapping, errors, seen = {}, [], set()
    for index, header in enumerate(headers):
        key = normalize(str(header or ""))
        if not key:
            continue  # an unnamed (empty) column is ignored
        name = by_key.get(key)
        if name is None:
            errors.append(
                RowError(1, _("Unknown column %(column)s.") % {"column": header}, str(header))
            )
        elif name in seen:
            errors.append(RowError(1, _("Column %(column)s appears twice.") % {"column": header}))
        else:
            mapping[index] = name
            seen.add(name)
    for name, form_field in form.fields.items():
        if name != "version" and form_field.required and name not in seen:
            errors.append(
                RowError(1, _("Missing required column %(column)s.") % {"column": name}, name)
            )
    return mapping, errors


def import_rows(form_class, headers, rows, *, user, dry_run=False):
    """Validate and create every row in one transaction; see the module docstring."""
    result = ImportResult(dry_run=dry_run)
    model = form_class._meta.model
    if not permissions.can(user, "add", model):
        raise PermissionDenied
    mapping, header_errors = map_headers(form_class, headers)
    if header_errors:
        result.errors = header_errors
        return result
    seen_rows = {}
    with transaction.atomic():
        for offset, row in enumerate(rows):
            number = offset + 2
            if not any(row):
                continue
            data = {
                name: (row[index] if index < len(row) else "") for index, name in mapping.items()
            }
            key = tuple(normalize(str(data[name])) for name in sorted(data))
            if key in seen_rows:
                result.errors.append(
                    RowError(number, _("Duplicate of row %(row)s.") % {"row": seen_rows[key]})
                )
                continue
            seen_rows[key] = number
            if len(row) > len(headers) and any(row[len(headers) :]):
                result.errors.append(RowError(number, _("More cells than columns.")))
                continue
            error = _save_row(form_class, data, user, model, result)
            if error:
                result.errors.extend(RowError(number, message, name) for name, message in error)
        if result.errors or dry_run:
            transaction.set_rollback(True)
    if result.errors:
        result.created = []
    return result


def _save_row(form_class, data, user, model, result):
    form = form_class(data=data, user=user)
    if not form.is_valid():
        return [
            (name if name != "__all__" else "", message)
            for name, messages in form.errors.items()
            for message in messages
        ]
    try:
        with transaction.atomic():
            instance = form.save(commit=False)
            instance._history_user = user
            instance.save()
            form.save_m2m()
            in_scope = permissions.restrict(model._default_manager.all(), user, "change")
            if not in_scope.filter(pk=instance.pk).exists():
                raise PermissionDenied
    except PermissionDenied:
        return [("", _("You may not add this record: it is outside what you maintain."))]
    except ValidationError as error:
        return [("", message) for message in error.messages]
    except IntegrityError:
        return [("", _("This row conflicts with an existing record."))]
    result.created.append(instance)
    return None
