"""The offline workbook of an assessment: download as XLSX, fill in offline, upload, apply.

Download (``build_workbook``): one sheet of questions in the reader's language — code,
section, area, question, guidance, what each level of the scale means for the question (its
own descriptor, else the scale's), then the answer cells (a level from a drop-down, "N/A"
where allowed; for TFA questions the category A/B/C, the two dates and whether technical
assistance is needed) and a comment. Only the answer and comment cells are unlocked; the
sheet and the workbook structure are protected. A very hidden sheet holds the **stamp**:
the assessment, its administration, the questionnaire code and version, the assessment's
``version`` at download, the language, a digest of every answer at download, and an HMAC of
the protected cells' content (one per cell, keyed by the site's secret), all signed.

Upload (``check_workbook`` then ``apply_workbook``): the file is read defensively (size,
zip bomb, XML entity declarations, macros: ``read_workbook``), the stamp's signature is
checked, then that it is this assessment's (administration, round, questionnaire version),
that no protected cell changed (cells named), and every answer (row-numbered reasons). The
preview says per question: unchanged, changed (from → to), or — when the assessment changed
since the download — changed by someone else (theirs kept) or a conflict (both changed it:
the workbook's value is **not** applied). Applying calls ``workflow.save_answers`` once, all
or nothing, with the version the check saw; conflicts must be acknowledged first.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cbnet.assessments.answer_values import COMMENT_MAX, clean_answer
from cbnet.assessments.assessments_forms import descriptor_text
from cbnet.assessments.choices import EDITABLE_STATUSES, AssessmentStatus, QuestionKind
from cbnet.assessments.models import Answer, Assessment, LevelDescriptor, Question
from cbnet.core import importing
from cbnet.core.multilingual import reader_language

FORMAT = 1
STAMP_SHEET = "cbnet_stamp"
LISTS_SHEET = "Lists"
SIGNING_SALT = "cbnet.assessments.workbook.stamp"
CELL_SALT = "cbnet.assessments.workbook.cell"
HEADER_ROW = 3
FIRST_ROW = 4
STAMP_DIGEST_ROW = 10
MAX_NAMED_CELLS = 15
MAX_PARTS = 500
XML_SNIFF_BYTES = 64 * 1024
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_LEADING_INT = re.compile(r"^\s*(-?\d+)(\s|$|[–·:.-])")
_LEADING_CATEGORY = re.compile(r"^\s*([A-Za-z])(\s|$|[–·:.-])")

MATURITY_COLUMNS = ("level",)
TFA_COLUMNS = ("tfa_category", "indicative_date", "definitive_date", "assistance_needed")
MATURITY_VALUES = ("level", "not_applicable", "comment")
TFA_VALUES = (*TFA_COLUMNS, "comment")


class WorkbookError(Exception):
    """The workbook is refused as a whole; ``messages`` says why (nothing is written)."""

    def __init__(self, messages):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("; ".join(self.messages))


# --- columns ----------------------------------------------------------------------------


@dataclass
class Column:
    key: str
    header: str
    width: int
    answer: bool = False  # an answer cell (unlocked on rows of its question kind)


def _columns(kinds, scale_levels):
    columns = [
        Column("code", _("Code"), 12),
        Column("section", _("Section"), 18),
        Column("area", _("Area"), 22),
        Column("question", _("Question"), 50),
        Column("guidance", _("Guidance"), 40),
    ]
    if QuestionKind.MATURITY in kinds:
        for level in scale_levels:
            columns.append(Column(f"d{level.level}", _level_label(level), 28))
        columns.append(Column("level", _("Your level"), 24, answer=True))
    if QuestionKind.TFA_CATEGORY in kinds:
        columns += [
            Column("tfa_category", _("TFA category"), 12, answer=True),
            Column("indicative_date", _("Indicative date"), 15, answer=True),
            Column("definitive_date", _("Definitive date"), 15, answer=True),
            Column("assistance_needed", _("Technical assistance needed"), 16, answer=True),
        ]
    columns.append(Column("comment", _("Comment"), 40, answer=True))
    return columns


def _unlocked(column, question):
    if column.key == "comment":
        return True
    if question.kind == QuestionKind.MATURITY:
        return column.key in MATURITY_COLUMNS
    return column.key in TFA_COLUMNS


def _level_label(level, language=None):
    return f"{level.level} – {level.name.display(language) if level.name else ''}".strip(" –")


def na_label():
    return _("N/A")


def yes_no():
    return _("Yes"), _("No")


# --- texts and digests -------------------------------------------------------------------


def _clean_text(value):
    return _ILLEGAL.sub("", str(value or ""))[:32000]


def cell_text(value):
    """A cell's content as compared for the protection check."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def cell_digest(assessment_id, coordinate, value):
    text = f"{assessment_id}\x1f{coordinate}\x1f{cell_text(value)}"
    return salted_hmac(CELL_SALT, text).hexdigest()[:16]


def overall_digest(digests):
    return salted_hmac(CELL_SALT, "|".join(digests)).hexdigest()


def answer_state(question, answer):
    """The answer's values as the workbook shows them (for comparing and digests)."""
    if question.kind == QuestionKind.MATURITY:
        if answer is None:
            return {"level": None, "not_applicable": False, "comment": ""}
        return {
            "level": answer.level,
            "not_applicable": bool(answer.not_applicable),
            "comment": (answer.comment or "").replace("\r\n", "\n").strip(),
        }
    if answer is None:
        return {
            "tfa_category": "",
            "indicative_date": None,
            "definitive_date": None,
            "assistance_needed": None,
            "comment": "",
        }
    return {
        "tfa_category": answer.tfa_category or "",
        "indicative_date": answer.indicative_date,
        "definitive_date": answer.definitive_date,
        "assistance_needed": answer.assistance_needed,
        "comment": (answer.comment or "").replace("\r\n", "\n").strip(),
    }


def state_digest(state):
    text = json.dumps(state, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- reading the questionnaire ------------------------------------------------------------


def _questions(questionnaire):
    return list(
        Question.objects.filter(questionnaire=questionnaire)
        .select_related("area", "section")
        .prefetch_related(
            Prefetch("descriptors", queryset=LevelDescriptor.objects.order_by("level"))
        )
        .order_by(F("section__position").asc(nulls_last=True), "section__code", "position", "code")
    )


def _scale_levels(questionnaire):
    if questionnaire.scale_id is None:
        return []
    return list(questionnaire.scale.levels.order_by("level"))


def _answers(assessment):
    return {a.question_id: a for a in Answer.objects.filter(assessment=assessment)}


# --- download -----------------------------------------------------------------------------


def workbook_filename(assessment):
    organisation = assessment.organisation
    who = slugify(organisation.acronym or organisation.name)[:40] or "administration"
    what = slugify(assessment.round.name)[:60] or "round"
    return f"{who}-{what}-assessment.xlsx"


def build_workbook(assessment, *, language=None) -> bytes:
    """The assessment as an XLSX workbook in ``language`` (default: the reader's)."""
    language = language or reader_language()
    with translation.override(language):
        return _build(assessment, language)


def _build(assessment, language):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.workbook.protection import WorkbookProtection
    from openpyxl.worksheet.datavalidation import DataValidation

    questionnaire = assessment.round.questionnaire
    questions = _questions(questionnaire)
    levels = _scale_levels(questionnaire)
    answers = _answers(assessment)
    kinds = {q.kind for q in questions} or {QuestionKind.MATURITY}
    columns = _columns(kinds, levels)
    keys = [c.key for c in columns]
    index = {c.key: position for position, c in enumerate(columns, start=1)}

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _clean_text(_("Answers"))[:31] or "Answers"
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDDDDD")
    answer_fill = PatternFill("solid", fgColor="FFF2CC")
    wrap = Alignment(wrap_text=True, vertical="top")
    unlocked = Protection(locked=False)

    def put(row, column, value):
        cell = sheet.cell(row=row, column=column)
        if isinstance(value, str):
            cell.value = _clean_text(value)
            cell.data_type = "s"  # text, never a formula (a question may start with "=")
        else:
            cell.value = value
        return cell

    title = f"{assessment.organisation} — {assessment.round} ({questionnaire})"
    put(1, 1, title).font = Font(bold=True, size=13)
    put(
        2,
        1,
        _(
            "Fill in the yellow cells, save the file and upload it on the assessment's page. "
            "Do not change the other cells: the upload checks them."
        ),
    )
    for column in columns:
        cell = put(HEADER_ROW, index[column.key], column.header)
        cell.font = bold
        cell.fill = header_fill
        cell.alignment = wrap
        sheet.column_dimensions[get_column_letter(index[column.key])].width = column.width

    # Lists for the drop-downs (hidden sheet): the levels, then "N/A".
    lists = workbook.create_sheet(LISTS_SHEET)
    level_labels = [_level_label(level, language) for level in levels]
    label_of = {level.level: label for level, label in zip(levels, level_labels, strict=True)}
    for row, label in enumerate([*level_labels, na_label()], start=1):
        lists.cell(row=row, column=1, value=_clean_text(label)).data_type = "s"
    lists.sheet_state = "hidden"
    lists.protection.sheet = True
    n = len(level_labels)
    validations = {}

    def validation(name, **kwargs):
        if name not in validations:
            kwargs.setdefault("allow_blank", True)
            kwargs.setdefault("showErrorMessage", True)
            validations[name] = DataValidation(**kwargs)
            sheet.add_data_validation(validations[name])
        return validations[name]

    error_title = _("Not accepted")
    yes, no = yes_no()
    digests_by_row = {}
    base = {}
    last_row = FIRST_ROW + len(questions) - 1
    for offset, question in enumerate(questions):
        row = FIRST_ROW + offset
        answer = answers.get(question.pk)
        state = answer_state(question, answer)
        base[question.code] = state_digest(state)
        own = {d.level: d for d in question.descriptors.all()}
        values = {
            "code": question.code,
            "section": question.section.title.display(language) if question.section else "",
            "area": f"{question.area.code} {question.area.name.display(language)}".strip(),
            "question": question.text.display(language) if question.text else "",
            "guidance": question.guidance.display(language) if question.guidance else "",
        }
        if question.kind == QuestionKind.MATURITY:
            for level in levels:
                values[f"d{level.level}"] = descriptor_text(own.get(level.level), level, language)
            if state["not_applicable"]:
                values["level"] = na_label()
            elif state["level"] is not None:
                values["level"] = label_of.get(state["level"], str(state["level"]))
        else:
            values["tfa_category"] = state["tfa_category"]
            values["indicative_date"] = state["indicative_date"]
            values["definitive_date"] = state["definitive_date"]
            if state["assistance_needed"] is not None:
                values["assistance_needed"] = yes if state["assistance_needed"] else no
        values["comment"] = state["comment"]
        for column in columns:
            value = values.get(column.key)
            cell = put(row, index[column.key], value if value not in ("", None) else None)
            cell.alignment = wrap
            if column.answer and _unlocked(column, question):
                cell.protection = unlocked
                cell.fill = answer_fill
                coordinate = cell.coordinate
                if column.key == "level":
                    last = n + 1 if question.not_applicable_allowed else n
                    validation(
                        f"level{last}",
                        type="list",
                        formula1=f"{LISTS_SHEET}!$A$1:$A${max(last, 1)}",
                        errorTitle=error_title,
                        error=_("Choose a level from the list."),
                    ).add(coordinate)
                elif column.key == "tfa_category":
                    validation(
                        "category",
                        type="list",
                        formula1='"A,B,C"',
                        errorTitle=error_title,
                        error=_("The TFA category is A, B or C."),
                    ).add(coordinate)
                elif column.key in ("indicative_date", "definitive_date"):
                    cell.number_format = "yyyy-mm-dd"
                    validation(
                        "date",
                        type="date",
                        operator="between",
                        formula1="DATE(2000,1,1)",
                        formula2="DATE(2100,12,31)",
                        errorTitle=error_title,
                        error=_("Dates are written YYYY-MM-DD."),
                    ).add(coordinate)
                elif column.key == "assistance_needed":
                    validation(
                        "yesno",
                        type="list",
                        formula1=f'"{yes.replace(",", "")},{no.replace(",", "")}"',
                        errorTitle=error_title,
                        error=_("Answer yes or no."),
                    ).add(coordinate)
                elif column.key == "comment":
                    validation(
                        "comment",
                        type="textLength",
                        operator="lessThanOrEqual",
                        formula1=str(COMMENT_MAX),
                        errorTitle=error_title,
                        error=_("The comment is longer than %(max)s characters.")
                        % {"max": COMMENT_MAX},
                    ).add(coordinate)

    # Digests of every protected cell (header rows and the questions' fixed cells).
    for row in range(1, max(last_row, HEADER_ROW) + 1):
        question = questions[row - FIRST_ROW] if row >= FIRST_ROW else None
        digests = []
        for column in columns:
            if question is not None and column.answer and _unlocked(column, question):
                continue
            cell = sheet.cell(row=row, column=index[column.key])
            digests.append(cell_digest(assessment.pk, cell.coordinate, cell.value))
        digests_by_row[row] = digests
    all_digests = [d for row in sorted(digests_by_row) for d in digests_by_row[row]]

    sheet.freeze_panes = sheet.cell(row=FIRST_ROW, column=2).coordinate
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # people may widen columns and rows
    sheet.protection.formatRows = False
    sheet.protection.formatCells = False

    payload = {
        "f": FORMAT,
        "a": assessment.pk,
        "o": assessment.organisation_id,
        "on": str(assessment.organisation),
        "r": assessment.round_id,
        "rn": str(assessment.round),
        "q": questionnaire.code,
        "qv": questionnaire.version,
        "v": assessment.version,
        "l": language,
        "s": sheet.title,
        "last": last_row,
        "cols": keys,
        "h": overall_digest(all_digests),
        "b": base,
        "c": [q.code for q in questions],
        "at": timezone.now().isoformat(),
    }
    stamp = workbook.create_sheet(STAMP_SHEET)
    rows = [
        ("CBNet assessment workbook", FORMAT),
        ("assessment", assessment.pk),
        ("organisation", assessment.organisation_id),
        ("questionnaire", f"{questionnaire.code} v{questionnaire.version}"),
        ("assessment version", assessment.version),
        ("language", language),
        ("protected cells", payload["h"]),
        ("signature", signing.dumps(payload, salt=SIGNING_SALT, compress=True)),
    ]
    for row, (label, value) in enumerate(rows, start=1):
        stamp.cell(row=row, column=1, value=label)
        stamp.cell(row=row, column=2, value=value)
    for offset, row in enumerate(sorted(digests_by_row)):
        stamp.cell(row=STAMP_DIGEST_ROW + offset, column=1, value=row)
        stamp.cell(row=STAMP_DIGEST_ROW + offset, column=2, value=" ".join(digests_by_row[row]))
    stamp.sheet_state = "veryHidden"
    stamp.protection.sheet = True
    workbook.security = WorkbookProtection(lockStructure=True)
    workbook.active = 0

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading an upload -----------------------------------------------------------------


def read_workbook(data: bytes, filename: str = ""):
    """The uploaded bytes as an openpyxl workbook (read-only), or ``WorkbookError``.

    Refuses: an empty or too large file, a file that is not an XLSX (zip) workbook, one
    that unpacks to more than ``importing.MAX_XLSX_UNPACKED_BYTES`` (a zip bomb) or has too
    many parts, one with macros (an .xlsm renamed), and XML with a DOCTYPE or entity
    declarations (entity expansion attacks; openpyxl also parses with defusedxml).
    """
    from openpyxl import load_workbook

    limit = settings.CBNET_MAX_UPLOAD_BYTES
    if not data:
        raise WorkbookError(_("The file is empty."))
    if len(data) > limit:
        raise WorkbookError(
            _("The file is larger than %(size)s MB.") % {"size": limit // (1024 * 1024)}
        )
    not_xlsx = _(
        "This is not an XLSX workbook. Upload the workbook you downloaded from this page, "
        "saved as .xlsx."
    )
    if data[:4] != b"PK\x03\x04":
        raise WorkbookError(not_xlsx)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            if len(infos) > MAX_PARTS:
                raise WorkbookError(_("This workbook has too many parts to be read."))
            unpacked = sum(info.file_size for info in infos)
            if unpacked > importing.MAX_XLSX_UNPACKED_BYTES:
                raise WorkbookError(
                    _(
                        "This workbook unpacks to more than %(size)s MB: it is refused "
                        "(an assessment workbook is far smaller)."
                    )
                    % {"size": importing.MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)}
                )
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise WorkbookError(not_xlsx)
            content_types = archive.read("[Content_Types].xml")
            if any("vbaproject" in name.lower() for name in names) or (
                b"macroEnabled" in content_types or b"vbaProject" in content_types
            ):
                raise WorkbookError(
                    _(
                        "This workbook contains macros, which are refused. Save it as an "
                        "Excel workbook (.xlsx) without macros and upload it again."
                    )
                )
            for info in infos:
                if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    continue
                with archive.open(info) as part:
                    head = part.read(XML_SNIFF_BYTES).upper()
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise WorkbookError(
                        _(
                            "This workbook contains XML declarations (DOCTYPE or ENTITY) that "
                            "spreadsheet programs never write; it is refused."
                        )
                    )
    except WorkbookError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError):
        raise WorkbookError(not_xlsx) from None
    except Exception:  # a corrupt archive raises many kinds (zlib errors, bad CRC...)
        raise WorkbookError(not_xlsx) from None
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception:
        raise WorkbookError(_("This workbook cannot be read. Download it again.")) from None


def _sheet_rows(worksheet, limit):
    """The sheet's rows as lists of values (at most ``limit`` rows)."""
    rows = []
    for row in worksheet.iter_rows(values_only=True):
        rows.append(list(row))
        if len(rows) >= limit:
            break
    return rows


def read_stamp(workbook):
    """(payload, {row: [digests]}) of the workbook's stamp, or ``WorkbookError``."""
    missing = WorkbookError(
        _(
            "This file is not an assessment workbook from CBNet (its version stamp is "
            "missing). Download the workbook from the assessment's page and fill that in."
        )
    )
    if STAMP_SHEET not in workbook.sheetnames:
        raise missing
    rows = _sheet_rows(workbook[STAMP_SHEET], 200000)
    token = None
    for row in rows[: STAMP_DIGEST_ROW - 1]:
        if row and row[0] == "signature" and len(row) > 1:
            token = row[1]
    if not isinstance(token, str):
        raise missing
    try:
        payload = signing.loads(token, salt=SIGNING_SALT)
    except signing.BadSignature:
        raise WorkbookError(
            _(
                "This workbook's version stamp was altered, so it cannot be checked. "
                "Download the workbook again."
            )
        ) from None
    if payload.get("f") != FORMAT:
        raise WorkbookError(
            _("This workbook is from an older version of CBNet: download it again.")
        )
    digests = {}
    for row in rows[STAMP_DIGEST_ROW - 1 :]:
        if row and isinstance(row[0], int | float) and len(row) > 1:
            digests[int(row[0])] = str(row[1] or "").split()
    return payload, digests


# --- checking an upload ------------------------------------------------------------------


@dataclass
class RowProblem:
    row: int
    code: str
    column: str
    message: str

    def __str__(self):
        return _("Row %(row)s (%(code)s), %(column)s: %(message)s") % {
            "row": self.row,
            "code": self.code,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class Item:
    """One question in the preview."""

    row: int
    code: str
    text: str
    status: str  # "unchanged", "changed", "theirs" (kept: changed by someone else), "conflict"
    changes: list = field(default_factory=list)  # [(label, old, new)]
    current: str = ""  # the saved answer, for "theirs" and "conflict"


@dataclass
class WorkbookCheck:
    assessment: Assessment
    language: str
    stale: bool = False  # the assessment changed since the download
    downloaded_version: int = 0
    current_version: int = 0
    problems: list = field(default_factory=list)  # [RowProblem]
    items: list = field(default_factory=list)  # [Item]
    answers: dict = field(default_factory=dict)  # for save_answers: the "changed" items

    @property
    def ok(self):
        return not self.problems

    @property
    def conflicts(self):
        return [item for item in self.items if item.status == "conflict"]

    @property
    def counts(self):
        counts = {"unchanged": 0, "changed": 0, "theirs": 0, "conflict": 0}
        for item in self.items:
            counts[item.status] += 1
        return counts


def editable_problem(assessment, now=None):
    """Why the assessment cannot take answers now (a message), or None."""
    if assessment.status not in EDITABLE_STATUSES:
        if assessment.status == AssessmentStatus.VALIDATED:
            return _("This assessment is validated: it can no longer change.")
        return _("This assessment is submitted: it can change again only if the ROCB returns it.")
    now = now or timezone.now()
    round_ = assessment.round
    if now > round_.closes_at:
        return _(
            "The round closed on %(date)s: ask the ROCB to extend its due date to change "
            "or submit this assessment."
        ) % {"date": round_.due_on.isoformat()}
    if now < round_.opens_at:
        return _("The round opens on %(date)s.") % {"date": round_.opens_on.isoformat()}
    return None


def _check_stamp(assessment, payload):
    questionnaire = assessment.round.questionnaire
    problems = []
    if payload.get("o") != assessment.organisation_id:
        problems.append(
            _(
                "This workbook is for another administration (%(other)s), not %(this)s. "
                "Download this assessment's workbook and fill that in."
            )
            % {"other": payload.get("on", "?"), "this": assessment.organisation}
        )
    elif payload.get("a") != assessment.pk:
        problems.append(
            _(
                "This workbook is for another assessment of %(this)s (%(other)s), not the one "
                "of %(round)s."
            )
            % {
                "this": assessment.organisation,
                "other": payload.get("rn", "?"),
                "round": assessment.round,
            }
        )
    if (payload.get("q"), payload.get("qv")) != (questionnaire.code, questionnaire.version):
        problems.append(
            _(
                "This workbook was made for the questionnaire %(code)s version %(version)s; "
                "this assessment uses %(this_code)s version %(this_version)s."
            )
            % {
                "code": payload.get("q", "?"),
                "version": payload.get("qv", "?"),
                "this_code": questionnaire.code,
                "this_version": questionnaire.version,
            }
        )
    if problems:
        raise WorkbookError(problems)


def _check_protected(assessment, payload, stored, rows):
    """Name the protected cells whose content differs from the download."""
    from openpyxl.utils import get_column_letter

    keys = payload["cols"]
    last = int(payload["last"])
    codes = list(payload.get("c", []))
    kinds = dict(
        Question.objects.filter(questionnaire=assessment.round.questionnaire).values_list(
            "code", "kind"
        )
    )
    answer_keys = set(MATURITY_COLUMNS) | set(TFA_COLUMNS) | {"comment"}
    actual, edited = [], []
    for row in range(1, last + 1):
        cells = rows[row - 1] if row - 1 < len(rows) else []
        expected = stored.get(row, [])
        position = 0
        offset = row - FIRST_ROW
        kind = kinds.get(codes[offset]) if 0 <= offset < len(codes) else None
        for column, key in enumerate(keys, start=1):
            if row >= FIRST_ROW and key in answer_keys and _unlocked_key(key, kind):
                continue
            value = cells[column - 1] if column - 1 < len(cells) else None
            coordinate = f"{get_column_letter(column)}{row}"
            digest = cell_digest(assessment.pk, coordinate, value)
            actual.append(digest)
            if position >= len(expected) or expected[position] != digest:
                edited.append(coordinate)
            position += 1
    # Anything written outside the downloaded table is an edit too.
    for number, cells in enumerate(rows, start=1):
        for column, value in enumerate(cells, start=1):
            if value in (None, ""):
                continue
            if number > last or column > len(keys):
                edited.append(f"{get_column_letter(column)}{number}")
    if constant_time_compare(overall_digest(actual), payload["h"]) and not edited:
        return
    if not edited:
        raise WorkbookError(
            _("Cells that must not change were changed. Download the workbook again.")
        )
    shown = ", ".join(edited[:MAX_NAMED_CELLS])
    if len(edited) > MAX_NAMED_CELLS:
        shown = _("%(cells)s and %(n)s more") % {
            "cells": shown,
            "n": len(edited) - MAX_NAMED_CELLS,
        }
    raise WorkbookError(
        _(
            "Cells that must not change were changed: %(cells)s. Only the yellow answer and "
            "comment cells may be filled in; put the others back or download the workbook "
            "again."
        )
        % {"cells": shown}
    )


def _unlocked_key(key, kind):
    if key == "comment":
        return True
    if kind == QuestionKind.MATURITY:
        return key in MATURITY_COLUMNS
    if kind == QuestionKind.TFA_CATEGORY:
        return key in TFA_COLUMNS
    return False


def _parse_level(value, labels):
    """(level, not_applicable) from a Level cell, or ValueError(message)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, False
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value, False
    if isinstance(value, float) and value.is_integer():
        return int(value), False
    text = str(value).strip()
    if text.casefold() in {label.casefold() for label in labels["na"]}:
        return None, True
    match = _LEADING_INT.match(text)
    if match:
        return int(match.group(1)), False
    raise ValueError


def _parse_date(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        text = importing.parse_date(value.strip())
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError


def _parse_yes_no(value, labels):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in labels["yes"]:
        return True
    if text in labels["no"]:
        return False
    raise ValueError


def _parse_category(value):
    if value is None:
        return ""
    text = str(value).strip()
    match = _LEADING_CATEGORY.match(text)
    return match.group(1).upper() if match else text


def _labels(language):
    with translation.override(language):
        na, (yes, no) = na_label(), yes_no()
    return {
        "na": {na, "N/A", "NA", "n/a"},
        "yes": {yes.casefold(), "yes", "true", "1", "y"},
        "no": {no.casefold(), "no", "false", "0", "n"},
    }


def _display(question, state, levels):
    """{column label: shown value} of one answer state."""
    if question.kind == QuestionKind.MATURITY:
        if state["not_applicable"]:
            level = na_label()
        elif state["level"] is None:
            level = ""
        else:
            found = levels.get(state["level"])
            level = _level_label(found) if found is not None else str(state["level"])
        return {_("Level"): level, _("Comment"): state["comment"]}
    yes, no = yes_no()
    assistance = state["assistance_needed"]
    return {
        _("TFA category"): state["tfa_category"],
        _("Indicative date"): state["indicative_date"].isoformat()
        if state["indicative_date"]
        else "",
        _("Definitive date"): state["definitive_date"].isoformat()
        if state["definitive_date"]
        else "",
        _("Technical assistance needed"): "" if assistance is None else (yes if assistance else no),
        _("Comment"): state["comment"],
    }


def _summary(shown):
    return "; ".join(f"{label}: {value}" for label, value in shown.items() if value) or "—"


def check_workbook(assessment, data, filename="", *, user=None) -> WorkbookCheck:
    """Read and check an uploaded workbook against ``assessment``; writes nothing.

    Raises ``WorkbookError`` when the file is refused as a whole (unreadable or hostile, not
    this assessment's, another questionnaire version, protected cells changed). Otherwise
    returns a ``WorkbookCheck``: row-numbered ``problems`` (nothing may be applied while
    there are any) and the per-question preview ``items``.
    """
    workbook = read_workbook(data, filename)
    try:
        payload, stored = read_stamp(workbook)
        _check_stamp(assessment, payload)
        if payload.get("s") not in workbook.sheetnames:
            raise WorkbookError(
                _("The answers sheet %(name)s is missing from the workbook.")
                % {"name": payload.get("s")}
            )
        last = int(payload["last"])
        rows = _sheet_rows(workbook[payload["s"]], last + 1000)
    finally:
        workbook.close()
    _check_protected(assessment, payload, stored, rows)
    return _check_answers(assessment, payload, rows)


def _check_answers(assessment, payload, rows):
    language = payload.get("l") or settings.LANGUAGE_CODE
    labels = _labels(language)
    keys = payload["cols"]
    position = {key: index for index, key in enumerate(keys)}
    questionnaire = assessment.round.questionnaire
    questions = {q.code: q for q in Question.objects.filter(questionnaire=questionnaire)}
    levels = {lv.level: lv for lv in _scale_levels(questionnaire)}
    level_numbers = sorted(levels)
    current = Assessment.objects.only("version").get(pk=assessment.pk).version
    answers = {a.question_id: a for a in Answer.objects.filter(assessment_id=assessment.pk)}
    check = WorkbookCheck(
        assessment=assessment,
        language=language,
        downloaded_version=payload.get("v"),
        current_version=current,
        stale=payload.get("v") != current,
    )
    with translation.override(language):
        headers = {c.key: c.header for c in _columns(set(QuestionKind), [])}
    codes = list(payload.get("c", []))
    base = payload.get("b", {})
    for row in range(FIRST_ROW, int(payload["last"]) + 1):
        cells = rows[row - 1] if row - 1 < len(rows) else []

        def cell(key, cells=cells):
            index = position.get(key)
            return cells[index] if index is not None and index < len(cells) else None

        offset = row - FIRST_ROW
        code = codes[offset] if offset < len(codes) else str(cell("code") or "")
        question = questions.get(code)
        if question is None:  # the protection check makes this unlikely; say it anyway
            check.problems.append(
                RowProblem(
                    row, code, headers["code"], _("There is no such question in this version.")
                )
            )
            continue
        given, problems = {}, []
        try:
            if question.kind == QuestionKind.MATURITY:
                try:
                    level, not_applicable = _parse_level(cell("level"), labels)
                except ValueError:
                    raise _Problem(
                        "level",
                        _("%(value)s is not a level: choose one from the list (%(levels)s).")
                        % {
                            "value": cell_text(cell("level")),
                            "levels": ", ".join(str(n) for n in level_numbers) or "-",
                        },
                    ) from None
                given["level"], given["not_applicable"] = level, not_applicable
            else:
                given["tfa_category"] = _parse_category(cell("tfa_category"))
                for key in ("indicative_date", "definitive_date"):
                    try:
                        given[key] = _parse_date(cell(key))
                    except ValueError:
                        raise _Problem(key, _("Dates are written YYYY-MM-DD.")) from None
                try:
                    given["assistance_needed"] = _parse_yes_no(cell("assistance_needed"), labels)
                except ValueError:
                    raise _Problem("assistance_needed", _("Answer yes or no.")) from None
            comment = cell("comment")
            given["comment"] = cell_text(comment) if comment is not None else ""
            if len(given["comment"]) > COMMENT_MAX:
                raise _Problem(
                    "comment",
                    _("The comment is longer than %(max)s characters.") % {"max": COMMENT_MAX},
                )
        except _Problem as problem:
            problems.append((problem.key, problem.message))
        if not problems:
            try:
                clean_answer(question, dict(given), level_numbers)
            except ValueError as error:
                key = "level" if question.kind == QuestionKind.MATURITY else "tfa_category"
                problems.append((key, str(error.args[0]) if error.args else str(error)))
        if problems:
            for key, message in problems:
                check.problems.append(RowProblem(row, code, headers.get(key, key), message))
            continue
        mine = {name: given.get(name) for name in _value_keys(question)}
        if question.kind == QuestionKind.MATURITY:
            mine["not_applicable"] = bool(mine["not_applicable"])
        saved = answer_state(question, answers.get(question.pk))
        check.items.append(_item(row, question, mine, saved, base.get(code), levels, check))
    if check.problems:
        check.answers = {}
    return check


class _Problem(Exception):
    def __init__(self, key, message):
        self.key, self.message = key, message
        super().__init__(message)


def _value_keys(question):
    return MATURITY_VALUES if question.kind == QuestionKind.MATURITY else TFA_VALUES


def _item(row, question, mine, saved, base_digest, levels, check):
    text = question.text.display(check.language) if question.text else ""
    with translation.override(check.language):
        before, after = _display(question, saved, levels), _display(question, mine, levels)
    changes = [
        (label, before[label], after[label]) for label in after if before[label] != after[label]
    ]
    if mine == saved:
        return Item(row, question.code, text, "unchanged")
    if base_digest is not None and state_digest(saved) != base_digest:
        # Someone else saved this question since the download.
        if state_digest(mine) == base_digest:
            return Item(row, question.code, text, "theirs", [], current=_summary(before))
        return Item(row, question.code, text, "conflict", changes, current=_summary(before))
    check.answers[question.code] = dict(mine)
    return Item(row, question.code, text, "changed", changes)


def apply_workbook(assessment, data, filename="", *, user, accept_conflicts=False):
    """Check the workbook again and save its changed answers, all or nothing.

    Returns the ``WorkbookCheck``. Raises ``WorkbookError`` for a refused file or answers
    with problems, ``ConflictsError`` when questions changed on both sides and
    ``accept_conflicts`` is false, and lets ``workflow.save_answers``'s errors through
    (``StaleObjectError`` if the assessment changed again meanwhile, ``ValidationError``,
    ``PermissionDenied``).
    """
    from cbnet.assessments.services import workflow

    check = check_workbook(assessment, data, filename, user=user)
    if not check.ok:
        raise WorkbookError([str(problem) for problem in check.problems])
    if check.conflicts and not accept_conflicts:
        raise ConflictsError(check)
    if check.answers:
        try:
            workflow.save_answers(
                assessment, check.answers, user=user, version=check.current_version
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                rows = {item.code: item.row for item in check.items}
                raise WorkbookError(
                    [
                        str(RowProblem(rows.get(code, 0), code, "", message))
                        if code in rows
                        else message
                        for code, messages in error.message_dict.items()
                        for message in messages
                    ]
                ) from None
            raise
    return check


class ConflictsError(Exception):
    def __init__(self, check):
        self.check = check
        super().__init__("conflicts")
