"""Bulk import from CSV or XLSX: preview, then apply all or nothing, as plain functions.

Reading. ``read_file(data, filename)`` turns the uploaded bytes into an ``ImportFile``
(headers, rows, delimiter), refusing files that are too big, not text, in an unknown
encoding, or XLSX files that unpack to more than ``MAX_XLSX_UNPACKED_BYTES``. XLSX cells
keep their type (numbers, dates); text cells are stripped and lose the one apostrophe that
an export puts before text a spreadsheet would read as a formula (see ``unneutralise``).
``read_upload`` is the same as plain text rows.

Importing. ``import_rows(form_class, headers, rows, user=..., dry_run=...)`` runs every row
through the model's import form inside one transaction and reports, per row, what it does:

- **create**: no existing record matches the row;
- **update**: a record matches (by the ``id`` column, else by the form's ``natural_keys``)
  and the row changes some of its fields (``changes``: label, old, new);
- **unchanged**: a record matches and the row changes nothing (nothing is saved);
- **error**: with the spreadsheet row number (the header is row 1) and the reason.

If any row has an error, or ``dry_run`` is set (the preview), the transaction is rolled
back: nothing is written. Rows are saved one by one with the form, so history records the
importing user, and field-level rights (``permissions.editable_fields``) and the scope
check apply exactly as on the edit page.

An import form declares how rows find their record::

    class PersonImportForm(PrimaryModelForm):
        natural_keys = (("email",), ("given_name", "family_name", "organisation"))

Keys are tried in order; a key is skipped when one of its cells is blank, except the last
one, which is always used (a blank cell, or a column the file leaves out, then matches an
empty value). A form without
``natural_keys`` only creates (unless the file has an ``id`` column).
"""

import csv
import datetime
import decimal
import io
import re
import zipfile
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from cbnet.core import permissions
from cbnet.core.text import normalize

MAX_XLSX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ROWS = 20000
ENCODINGS = ("utf-8-sig", "cp1252")
FORMULA_CHARS = "=+-@\t\r"
_NEUTRALISED = re.compile(r"^'+[=+\-@\t\r]")
ID_COLUMN = "id"


class ImportFileError(Exception):
    """The file cannot be read at all (size, type, encoding)."""


@dataclass
class RowError:
    row: int  # spreadsheet row number; 1 is the header
    message: str
    field: str = ""


@dataclass
class RowOutcome:
    row: int
    action: str  # "create", "update", "unchanged" or "error"
    record: str = ""
    changes: list = field(default_factory=list)  # [(label, old, new)]
    errors: list = field(default_factory=list)  # [RowError]


@dataclass
class ImportResult:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    rows: list = field(default_factory=list)  # [RowOutcome], in file order
    dry_run: bool = False

    @property
    def ok(self):
        return not self.errors

    @property
    def count(self):
        """Records written (or, in a preview, that would be written)."""
        return len(self.created) + len(self.updated)

    @property
    def counts(self):
        return {
            "create": len(self.created),
            "update": len(self.updated),
            "unchanged": len(self.unchanged),
            "error": sum(1 for outcome in self.rows if outcome.action == "error"),
        }


@dataclass
class ImportFile:
    headers: list
    rows: list  # cells: str, or int/float/date/datetime/bool from typed XLSX cells
    delimiter: str = ""  # CSV only

    @property
    def looks_decimal_comma(self):
        """Semicolon-separated CSV is what spreadsheets write where the comma is decimal."""
        return self.delimiter == ";"


# --- reading files ----------------------------------------------------------------------


def unneutralise(text: str) -> str:
    """Undo ``exporting.neutralise``: drop one leading apostrophe before a formula character.

    Exactly one apostrophe goes when the text is apostrophes followed by ``= + - @``, tab or
    carriage return (the export adds one to such text, so a round trip is lossless).
    """
    if text and _NEUTRALISED.match(text):
        return text[1:]
    return text


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


def _sniff_delimiter(text):
    first = text[:4096].splitlines()[0] if text else ""
    try:
        return csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def read_csv(data: bytes, *, with_delimiter=False):
    text = decode(data)
    delimiter = _sniff_delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise ImportFileError(
            _("The CSV file is malformed: %(error)s") % {"error": error}
        ) from None
    return (rows, delimiter) if with_delimiter else rows


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


def read_file(data: bytes, filename: str) -> ImportFile:
    """The uploaded file's header and rows; trailing empty rows are dropped."""
    if len(data) > settings.CBNET_MAX_UPLOAD_BYTES:
        raise ImportFileError(
            _("The file is larger than %(size)s MB.")
            % {"size": settings.CBNET_MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    if not data:
        raise ImportFileError(_("The file is empty."))
    name = (filename or "").lower()
    delimiter = ""
    if name.endswith(".xlsx") or data[:2] == b"PK":
        rows = read_xlsx(data)
    elif name.endswith((".csv", ".txt")) or "." not in name:
        rows, delimiter = read_csv(data, with_delimiter=True)
    else:
        raise ImportFileError(_("Upload a CSV or XLSX file."))
    rows = [[_cell(value) for value in row] for row in rows]
    while rows and not any(cell not in ("", None) for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise ImportFileError(_("The file has no header row."))
    if len(rows) > MAX_ROWS + 1:
        raise ImportFileError(_("The file has more than %(n)s rows; split it.") % {"n": MAX_ROWS})
    headers = [_cell_text(value) for value in rows[0]]
    return ImportFile(headers=headers, rows=rows[1:], delimiter=delimiter)


def read_upload(data: bytes, filename: str):
    """(headers, rows) from an uploaded file, every cell as text."""
    upload = read_file(data, filename)
    return upload.headers, [[_cell_text(value) for value in row] for row in upload.rows]


def _cell(value):
    """A cell as read: text stripped and un-neutralised, typed XLSX values kept."""
    if value is None:
        return ""
    if isinstance(value, str):
        return unneutralise(value.strip())
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date()
    return value


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if not value.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- numbers and dates -------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f']")
_COMMA_DECIMAL = re.compile(r"[-+]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?")
_POINT_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


def parse_number(text: str, decimal_comma: bool) -> str:
    """``"1.234,5"`` -> ``"1234.5"`` with a decimal comma; ``"1,234.5"`` -> ``"1234.5"``.

    Text that is not such a number is returned unchanged, for the form to judge.
    """
    compact = _SPACES.sub("", text)
    if decimal_comma and _COMMA_DECIMAL.fullmatch(compact):
        return compact.replace(".", "").replace(",", ".")
    if not decimal_comma and _POINT_THOUSANDS.fullmatch(compact):
        return compact.replace(",", "")
    if compact != text and re.fullmatch(r"[-+]?\d+(\.\d+)?", compact):
        return compact  # "1 234" with a space or a non-breaking space as thousands separator
    return text


def parse_date(text: str) -> str:
    """``dd/mm/yyyy`` (also with . or -) and ISO date-times -> ISO date; else unchanged."""
    match = _DMY.fullmatch(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        try:
            return datetime.date(year, month, day).isoformat()
        except ValueError:
            return text
    match = _ISO_DATETIME.fullmatch(text)
    if match:
        return match.group(1)
    return text


def _prepare_cell(form_field, value, decimal_comma):
    """A file cell as the form field expects it (numbers, dates), else as text."""
    numeric = isinstance(form_field, forms.IntegerField | forms.DecimalField | forms.FloatField)
    if isinstance(form_field, forms.DateField) and not isinstance(form_field, forms.DateTimeField):
        if isinstance(value, datetime.datetime):
            return value.date().isoformat()
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, str):
            return parse_date(value)
    if numeric and isinstance(value, str):
        return parse_number(value, decimal_comma)
    if numeric and isinstance(value, float) and isinstance(form_field, forms.DecimalField):
        return repr(value)
    return _cell_text(value)


# --- headers ------------------------------------------------------------------------------


def map_headers(form_class, headers):
    """{column index: form field name} (``id`` included), and errors for bad columns."""
    form = form_class()
    by_key = {}
    for name, form_field in form.fields.items():
        if name == "version":
            continue
        by_key[normalize(name)] = name
        by_key[normalize(name.replace("_", " "))] = name
        by_key[normalize(str(form_field.label or ""))] = name
    by_key.setdefault(ID_COLUMN, ID_COLUMN)
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


# --- importing ----------------------------------------------------------------------------


def can_import(user, model):
    """May ``user`` import into ``model`` at all? Those who may add rows; each row that
    updates a record is then checked against the user's rights on that record."""
    return permissions.can(user, "add", model)


class _Row:
    """One data row on its way through matching, the form and the save."""

    def __init__(self, number, data, record_id):
        self.number = number
        self.data = data
        self.record_id = record_id


class _Importer:
    def __init__(self, form_class, mapping, *, user, decimal_comma):
        self.form_class = form_class
        self.model = form_class._meta.model
        self.user = user
        self.mapping = mapping
        self.decimal_comma = decimal_comma
        self.may_add = permissions.can(user, "add", self.model)
        self.prototype = form_class(user=user)
        self.columns = [name for name in mapping.values() if name != ID_COLUMN]
        keys = list(getattr(form_class, "natural_keys", ()))
        # A key needs its columns in the file; the last one also applies without some of
        # them (a missing column is blank, as on the records it created).
        self.keys = [key for key in keys[:-1] if all(name in self.columns for name in key)]
        if keys and any(name in self.columns for name in keys[-1]):
            self.keys.append(keys[-1])

    def row(self, number, cells):
        data, record_id = {}, ""
        for index, name in self.mapping.items():
            value = cells[index] if index < len(cells) else ""
            if name == ID_COLUMN:
                record_id = _cell_text(value)
            else:
                data[name] = _prepare_cell(self.prototype.fields[name], value, self.decimal_comma)
        return _Row(number, data, record_id)

    # matching

    def match(self, row):
        """(instance or None, signature for duplicate detection, error message or None)."""
        if row.record_id:
            return self._match_id(row)
        for position, key in enumerate(self.keys):
            last = position == len(self.keys) - 1
            values = {name: row.data.get(name, "") for name in key}
            if not last and any(value in ("", None) for value in values.values()):
                continue
            lookup = self._key_lookup(values)
            if lookup is None:
                return None, None, None  # a key cell is invalid: the form will say why
            signature = ("key", key, tuple(_signature_value(v) for v in lookup.values()))
            found = list(self.model._base_manager.filter(**lookup)[:2])
            if len(found) > 1:
                return (
                    None,
                    signature,
                    _("This row matches several records; add the id column to say which."),
                )
            if not found:
                return None, signature, None
            instance = found[0]
            if getattr(instance, "archived_at", None) is not None:
                return (
                    None,
                    signature,
                    _("This row matches an archived record (%(record)s); restore it first.")
                    % {"record": instance},
                )
            return self._changeable(instance, ("pk", instance.pk))
        return None, None, None

    def _match_id(self, row):
        text = row.record_id
        try:
            pk = int(float(text))
        except ValueError:
            return None, None, _("The id %(id)s is not a number.") % {"id": text}
        viewable = permissions.restrict(self.model._default_manager.all(), self.user, "view")
        instance = viewable.filter(pk=pk).first()
        if instance is None:
            return None, None, _("There is no record with the id %(id)s.") % {"id": pk}
        return self._changeable(instance, ("pk", pk))

    def _changeable(self, instance, signature):
        changeable = permissions.restrict(self.model._default_manager.all(), self.user, "change")
        if not changeable.filter(pk=instance.pk).exists():
            return None, signature, _("You may not change this record.")
        return instance, signature, None

    def _key_lookup(self, values):
        lookup = {}
        for name, raw in values.items():
            form_field = self.prototype.fields[name]
            try:
                value = form_field.clean(raw)
            except ValidationError:
                return None
            model_field = self.model._meta.get_field(name)
            if value in (None, ""):
                if model_field.null:
                    lookup[f"{name}__isnull"] = True
                else:
                    lookup[name] = ""
            elif isinstance(value, str) and isinstance(model_field, models.CharField):
                lookup[f"{name}__iexact"] = value
            else:
                lookup[name] = value
        return lookup

    # validating and saving

    def form(self, row, instance):
        data = dict(row.data)
        form = self.form_class(data=data, instance=instance, user=self.user)
        if instance is not None:
            for name, form_field in form.fields.items():
                if name not in data and name != "version":
                    data[name] = form.get_initial_for_field(form_field, name)
        for name in self.columns:
            form_field = form.fields[name]
            if isinstance(form_field, forms.JSONField | forms.FileField):
                continue
            try:
                data[name] = _canonical(form_field, form_field.clean(data[name]))
            except ValidationError:
                pass  # left as written: the form reports the error
        return form

    def save(self, row, instance, outcome):
        creating = instance is None
        if creating and not self.may_add:
            return [("", _("You may not add records here; this row matches none you maintain."))]
        before = None if creating else _snapshot(instance)
        form = self.form(row, instance)
        if not form.is_valid():
            return [
                (name if name != "__all__" else "", message)
                for name, messages in form.errors.items()
                for message in messages
            ]
        changed = [name for name in form.changed_data if name != "version"]
        if not creating and not changed:
            outcome.action = "unchanged"
            outcome.record = str(instance)
            return None
        try:
            with transaction.atomic():
                if not creating:
                    permissions.check_fields(self.user, form.instance, changed)
                saved = form.save(commit=False)
                saved._history_user = self.user
                saved.save()
                form.save_m2m()
                in_scope = permissions.restrict(
                    self.model._default_manager.all(), self.user, "change"
                )
                if not in_scope.filter(pk=saved.pk).exists():
                    raise PermissionDenied(
                        _("You may not add this record: it is outside what you maintain.")
                        if creating
                        else _("This change would move the record outside what you maintain.")
                    )
        except PermissionDenied as error:
            return [("", str(error) or _("You may not make this change."))]
        except ValidationError as error:
            return [("", message) for message in error.messages]
        except IntegrityError:
            return [("", _("This row conflicts with an existing record."))]
        outcome.action = "create" if creating else "update"
        outcome.record = str(saved)
        if not creating:
            outcome.changes = [
                (
                    force_str(form.fields[name].label or name),
                    _display(self.model, name, before.get(name)),
                    _display(self.model, name, _value(saved, name)),
                )
                for name in changed
            ]
        return saved


def import_rows(
    form_class, headers, rows, *, user, dry_run=False, decimal_comma=False, progress=None
):
    """Validate every row, then write them all or nothing; see the module docstring.

    ``progress(done, total)``, if given, is called after each row (a job's ``progress``).
    """
    result = ImportResult(dry_run=dry_run)
    model = form_class._meta.model
    if not can_import(user, model):
        raise PermissionDenied
    mapping, header_errors = map_headers(form_class, headers)
    if header_errors:
        result.errors = header_errors
        return result
    importer = _Importer(form_class, mapping, user=user, decimal_comma=decimal_comma)
    seen = {}
    with transaction.atomic():
        for offset, cells in enumerate(rows):
            number = offset + 2
            if not any(cell not in ("", None) for cell in cells):
                continue
            outcome = RowOutcome(number, "error")
            result.rows.append(outcome)
            messages = _import_one(importer, number, cells, len(headers), seen, outcome, result)
            if messages:
                outcome.action = "error"
                outcome.errors = [RowError(number, message, name) for name, message in messages]
                result.errors.extend(outcome.errors)
            if progress is not None:
                progress(offset + 1, len(rows))
        if result.errors or dry_run:
            transaction.set_rollback(True)
    if result.errors:
        result.created, result.updated = [], []
    return result


def _import_one(importer, number, cells, width, seen, outcome, result):
    if len(cells) > width and any(cell not in ("", None) for cell in cells[width:]):
        return [("", _("More cells than columns."))]
    row = importer.row(number, cells)
    instance, signature, error = importer.match(row)
    if signature is None:  # nothing identifies the row: the whole row must be unique
        signature = ("row", tuple(normalize(_cell_text(v)) for _, v in sorted(row.data.items())))
    if signature in seen:
        return [("", _("Duplicate of row %(row)s.") % {"row": seen[signature]})]
    seen[signature] = number
    if error:
        return [("", error)]
    saved = importer.save(row, instance, outcome)
    if isinstance(saved, list):
        return saved
    seen.setdefault(("pk", getattr(saved, "pk", None) or instance.pk), number)
    if outcome.action == "create":
        result.created.append(saved)
    elif outcome.action == "update":
        result.updated.append(saved)
    else:
        result.unchanged.append(instance)
    return None


def _canonical(form_field, value):
    """A cleaned value written back the way the form compares it with the record."""
    if isinstance(form_field, forms.ModelMultipleChoiceField):
        return [obj.pk for obj in value]
    if isinstance(form_field, forms.ModelChoiceField):
        return "" if value is None else value.pk
    if value is None:
        return ""
    return value


def _signature_value(value):
    if isinstance(value, models.Model):
        return value.pk
    return normalize(str(value)) if isinstance(value, str) else value


def _value(instance, name):
    field_ = instance._meta.get_field(name)
    if field_.many_to_many:
        return [str(obj) for obj in getattr(instance, name).all()] if instance.pk else []
    return getattr(instance, name)


def _snapshot(instance):
    return {
        field_.name: _value(instance, field_.name)
        for field_ in instance._meta.get_fields()
        if getattr(field_, "concrete", False) and not field_.auto_created
    }


def _display(model, name, value):
    """A value as a person reads it in the preview (choice labels, names, lists)."""
    if value in (None, "", []):
        return ""
    try:
        model_field = model._meta.get_field(name)
    except Exception:
        model_field = None
    if model_field is not None and model_field.choices and not isinstance(value, list):
        return force_str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, list | tuple):
        return ", ".join(force_str(item) for item in value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    return force_str(value)


# --- between preview and apply ------------------------------------------------------------

UPLOAD_SALT = "cbnet.core.importing.upload"
_UPLOAD_NAME = re.compile(r"[0-9a-f]{32}")


def inline_row_limit():
    """Files with more data rows than this are previewed and applied as background jobs."""
    return int(getattr(settings, "CBNET_IMPORT_INLINE_ROWS", 500))


def runs_as_job(upload: ImportFile) -> bool:
    return len(upload.rows) > inline_row_limit()


def upload_max_age():
    """Seconds a previewed file may wait for "Apply"."""
    return int(getattr(settings, "CBNET_IMPORT_MAX_AGE", 3600))


def _upload_dir():
    from pathlib import Path

    return Path(settings.MEDIA_ROOT) / "imports"


def store_upload(data: bytes, filename: str, *, user, model, decimal: str) -> str:
    """Keep the previewed file on the server; a signed token (never a path) names it.

    The token binds the file to the user and the model and expires after
    ``upload_max_age()`` seconds; files older than that are deleted on the way.
    """
    import os
    import time
    import uuid

    from django.core import signing

    folder = _upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - upload_max_age()
    for old in folder.iterdir():
        try:
            if _UPLOAD_NAME.fullmatch(old.name) and old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
    name = uuid.uuid4().hex
    descriptor = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    payload = {
        "f": name,
        "n": str(filename or "")[:200],
        "u": user.pk,
        "m": model._meta.label_lower,
        "d": decimal,
    }
    return signing.dumps(payload, salt=UPLOAD_SALT, compress=True)


def load_upload(token: str, *, user, model):
    """(data, filename, decimal) of a stored upload, or ImportFileError."""
    from django.core import signing

    expired = ImportFileError(
        _("The previewed file is no longer available (it expired). Upload it again.")
    )
    try:
        payload = signing.loads(token or "", salt=UPLOAD_SALT, max_age=upload_max_age())
    except signing.SignatureExpired:
        raise expired from None
    except signing.BadSignature:
        raise ImportFileError(_("This import cannot be applied. Upload the file again.")) from None
    name = str(payload.get("f", ""))
    if (
        payload.get("u") != user.pk
        or payload.get("m") != model._meta.label_lower
        or not _UPLOAD_NAME.fullmatch(name)
    ):
        raise ImportFileError(_("This import cannot be applied. Upload the file again."))
    try:
        data = (_upload_dir() / name).read_bytes()
    except OSError:
        raise expired from None
    return data, payload.get("n", ""), payload.get("d", "auto")


def discard_upload(token: str):
    from django.core import signing

    try:
        name = str(signing.loads(token, salt=UPLOAD_SALT).get("f", ""))
    except signing.BadSignature:
        return
    if _UPLOAD_NAME.fullmatch(name):
        (_upload_dir() / name).unlink(missing_ok=True)


def wants_decimal_comma(choice: str, upload: ImportFile) -> bool:
    """``choice`` is "comma", "point" or "auto" (comma for semicolon-separated CSV)."""
    if choice == "comma":
        return True
    if choice == "point":
        return False
    return upload.looks_decimal_comma
