"""Questionnaires: edits that respect frozen versions, new versions, copies, seeded data.

- A questionnaire ``code`` has numbered versions (``Questionnaire.version``). A version some
  round uses is **frozen** (``Questionnaire.is_frozen``): its fields, sections, questions and
  level descriptors no longer change; ``new_version`` copies it into the next number and that
  copy is edited instead. Questions keep their ``code`` across versions, so results compare
  like with like (``compare_versions`` lists what changed between two versions).
- ``copy_questionnaire`` starts a new questionnaire (a new ``code``, version 1) from any
  version: "copy and edit".
- ``descriptor_for`` is what a level means for a question in a language: the question's own
  descriptor, else the maturity scale's.
- ``load_seeded_questionnaires`` reads ``cbnet/assessments/data/*.json`` (docs/assessments.md
  gives the file format). Loading is idempotent: a file equal to its code's latest version
  changes nothing; a changed file updates the latest version in place while no round uses it,
  and makes a new version (``previous`` = the latest) once the latest is frozen.

Every function here is atomic and records the user on the history rows; rights are checked
by the callers' permission door (pages, API: the Secretariat writes questionnaires).
"""

import json
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.choices import QuestionKind
from cbnet.assessments.models import LevelDescriptor, Question, Questionnaire, Section
from cbnet.capabilities.models import Area, Framework, MaturityLevel, MaturityScale
from cbnet.core.events import record_event, register_event
from cbnet.core.multilingual import MultilingualText, reader_language

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CHANGE_REASON = "questionnaire data"

register_event("questionnaire.versioned", _("Questionnaire versioned"))
register_event("questionnaire.copied", _("Questionnaire copied"))


class FrozenQuestionnaireError(ValidationError):
    """A change to a version that a round uses."""

    def __init__(self, questionnaire=None):
        super().__init__(
            _(
                "Version %(version)s of this questionnaire is used by an assessment round, so "
                "it can no longer change. Create a new version and edit that instead."
            ),
            code="frozen",
            params={"version": getattr(questionnaire, "version", "")},
        )


def questionnaire_of(obj):
    """The questionnaire a questionnaire, section, question or level descriptor belongs to."""
    if isinstance(obj, Questionnaire):
        return obj
    if isinstance(obj, LevelDescriptor):
        return obj.question.questionnaire
    return obj.questionnaire


def check_not_frozen(obj):
    """Raise ``FrozenQuestionnaireError`` if ``obj``'s questionnaire version is frozen."""
    questionnaire = questionnaire_of(obj)
    if questionnaire.pk is not None and Questionnaire.objects.get(pk=questionnaire.pk).is_frozen:
        raise FrozenQuestionnaireError(questionnaire)


def _save(obj, user, reason=None):
    obj._history_user = user
    if reason:
        obj._change_reason = reason
    obj.save()
    return obj


@transaction.atomic
def save_part(obj, user):
    """Validate and save a questionnaire, section, question or descriptor (not if frozen)."""
    check_not_frozen(obj)
    obj.full_clean()
    return _save(obj, user)


@transaction.atomic
def delete_part(obj, user):
    """Delete a section, question or descriptor of a version that is not frozen."""
    check_not_frozen(obj)
    obj._history_user = user
    obj.delete()


# --- versions and copies ---------------------------------------------------------------------


def _copy_contents(source, target, user, reason):
    """Copy ``source``'s sections, questions (same codes) and descriptors into ``target``."""
    sections = {}
    for section in source.sections.order_by("position", "code"):
        sections[section.pk] = _save(
            Section(
                questionnaire=target,
                code=section.code,
                title=section.title,
                position=section.position,
            ),
            user,
            reason,
        )
    descriptors = {}
    for descriptor in LevelDescriptor.objects.filter(question__questionnaire=source):
        descriptors.setdefault(descriptor.question_id, []).append(descriptor)
    for question in source.questions.order_by("position", "code"):
        copy = _save(
            Question(
                questionnaire=target,
                section=sections.get(question.section_id),
                area_id=question.area_id,
                code=question.code,
                kind=question.kind,
                text=question.text,
                guidance=question.guidance,
                weight=question.weight,
                evidence_required=question.evidence_required,
                not_applicable_allowed=question.not_applicable_allowed,
                position=question.position,
            ),
            user,
            reason,
        )
        for descriptor in descriptors.get(question.pk, []):
            _save(
                LevelDescriptor(question=copy, level=descriptor.level, text=descriptor.text),
                user,
                reason,
            )


def next_version_number(code):
    latest = Questionnaire.objects.filter(code=code).aggregate(n=Max("version"))["n"]
    return (latest or 0) + 1


@transaction.atomic
def new_version(questionnaire, user, *, reason=None):
    """A new version of ``questionnaire``'s code, a deep copy of it (``previous`` = it).

    The number is one more than the code's latest version (usually ``version + 1``).
    """
    # Lock the code's versions so two simultaneous requests do not pick the same number.
    list(Questionnaire.objects.select_for_update().filter(code=questionnaire.code))
    target = _save(
        Questionnaire(
            code=questionnaire.code,
            version=next_version_number(questionnaire.code),
            title=questionnaire.title,
            description=questionnaire.description,
            framework_id=questionnaire.framework_id,
            scale_id=questionnaire.scale_id,
            previous=questionnaire,
        ),
        user,
        reason,
    )
    _copy_contents(questionnaire, target, user, reason)
    record_event(
        "questionnaire.versioned",
        target,
        actor=user,
        old={"version": questionnaire.version},
        new={"version": target.version},
    )
    return target


@transaction.atomic
def copy_questionnaire(questionnaire, new_code, user, *, title=None):
    """A new questionnaire ``new_code`` (version 1) with a deep copy of ``questionnaire``."""
    target = Questionnaire(
        code=new_code,
        version=1,
        title=title or questionnaire.title,
        description=questionnaire.description,
        framework_id=questionnaire.framework_id,
        scale_id=questionnaire.scale_id,
    )
    if Questionnaire.objects.filter(code=new_code).exists():
        raise ValidationError(
            {"code": _("A questionnaire with the code “%(code)s” exists already.")},
            params={"code": new_code},
        )
    target.full_clean()
    _save(target, user)
    _copy_contents(questionnaire, target, user, None)
    record_event(
        "questionnaire.copied",
        target,
        actor=user,
        old={"code": questionnaire.code, "version": questionnaire.version},
        new={"code": target.code, "version": target.version},
    )
    return target


# --- reading ---------------------------------------------------------------------------------


def descriptor_for(question, level, language=None, *, scale_levels=None):
    """What ``level`` means for ``question``, as multilingual text to show in ``language``.

    The question's own descriptor when it has text in that language; else the maturity
    scale's descriptor when that has it; else whichever exists (the question's first), shown
    in its original language — ``{% ml %}`` then marks the fallback. An empty value when
    neither exists. ``scale_levels`` ({level: MaturityLevel}) and a prefetched
    ``question.descriptors`` avoid queries in loops.
    """
    language = language or reader_language()
    own = next((d.text for d in question.descriptors.all() if d.level == level), None)
    if scale_levels is None:
        scale_id = question.questionnaire.scale_id
        scale_levels = (
            {lv.level: lv for lv in MaturityLevel.objects.filter(scale_id=scale_id)}
            if scale_id
            else {}
        )
    scale_level = scale_levels.get(level)
    general = scale_level.descriptor if scale_level is not None else None
    for value in (own, general):
        if value and not value.resolve(language).fallback:
            return value
    return own or general or MultilingualText()


def version_links(questionnaire):
    """Every version of the questionnaire's code, newest first."""
    return list(
        Questionnaire.objects.filter(code=questionnaire.code)
        .only("id", "code", "version", "archived_at")
        .order_by("-version")
    )


QUESTION_COMPARED = (
    "kind",
    "text",
    "guidance",
    "weight",
    "evidence_required",
    "not_applicable_allowed",
)


def _question_state(question, descriptors):
    state = {name: getattr(question, name) for name in QUESTION_COMPARED}
    state["text"] = question.text.to_dict()
    state["guidance"] = question.guidance.to_dict()
    state["weight"] = Decimal(question.weight)
    state["area"] = question.area.code
    state["descriptors"] = {d.level: d.text.to_dict() for d in descriptors}
    return state


def compare_versions(old, new):
    """Questions added, removed and changed (by code) from ``old`` to ``new``.

    Returns ``{"added": [Question], "removed": [Question], "changed": [(old_q, new_q,
    [field labels])], "unchanged": int}``.
    """
    questions = {}
    for questionnaire in (old, new):
        rows = (
            Question.objects.filter(questionnaire=questionnaire)
            .select_related("area")
            .prefetch_related("descriptors")
            .order_by("position", "code")
        )
        questions[questionnaire.pk] = {q.code: q for q in rows}
    before, after = questions[old.pk], questions[new.pk]
    labels = {name: Question._meta.get_field(name).verbose_name for name in QUESTION_COMPARED}
    labels["area"] = Question._meta.get_field("area").verbose_name
    labels["descriptors"] = LevelDescriptor._meta.verbose_name_plural
    changed, unchanged = [], 0
    for code, question in after.items():
        if code not in before:
            continue
        a = _question_state(before[code], before[code].descriptors.all())
        b = _question_state(question, question.descriptors.all())
        fields = [labels[name] for name in a if a[name] != b[name]]
        if fields:
            changed.append((before[code], question, fields))
        else:
            unchanged += 1
    return {
        "added": [q for code, q in after.items() if code not in before],
        "removed": [q for code, q in before.items() if code not in after],
        "changed": changed,
        "unchanged": unchanged,
    }


# --- seeded data -----------------------------------------------------------------------------


class QuestionnaireDataError(ValueError):
    """A data file that does not describe a questionnaire (the message says where)."""


def ml(value, where):
    """A data file's multilingual value: the stored shape, a plain English string, or
    ``{"en": ..., "es": ...}`` (English the original, the others translations)."""
    if isinstance(value, dict) and value and "texts" not in value and "original" not in value:
        texts = {code: text for code, text in value.items() if text}
        original = "en" if "en" in texts else next(iter(texts), "en")
        rest = {code: text for code, text in texts.items() if code != original}
        return MultilingualText.from_translations(original, texts.get(original, ""), rest)
    try:
        text = MultilingualText.coerce(value)
    except ValidationError as error:
        raise QuestionnaireDataError(f"{where}: {'; '.join(error.messages)}") from None
    problems = text.errors() if text else []
    if problems:
        raise QuestionnaireDataError(f"{where}: {'; '.join(str(p) for p in problems)}")
    return text


def _normalise(data):
    """The file's questionnaire as plain, comparable data (see ``_state_of``)."""
    code = data.get("code")
    if not code:
        raise QuestionnaireDataError("a questionnaire needs a code")
    framework_code = data.get("framework")
    framework = Framework.objects.filter(code=framework_code).first()
    if framework is None:
        raise QuestionnaireDataError(f"{code}: unknown framework {framework_code!r}")
    scale = None
    if data.get("scale"):
        scale = MaturityScale.objects.filter(code=data["scale"]).first()
        if scale is None:
            raise QuestionnaireDataError(f"{code}: unknown maturity scale {data['scale']!r}")
    default_kind = data.get("question_kind") or (
        QuestionKind.TFA_CATEGORY if framework.kind == "tfa" else QuestionKind.MATURITY
    )
    areas = {a.code: a for a in Area.objects.filter(framework=framework)}
    sections, questions = [], []
    flat = [dict(q) for q in data.get("questions", [])]
    for position, section in enumerate(data.get("sections", []), start=1):
        if not section.get("code"):
            raise QuestionnaireDataError(f"{code}: section {position} has no code")
        sections.append(
            {
                "code": str(section["code"]),
                "title": ml(section.get("title") or section["code"], f"{code}/{section['code']}"),
                "position": section.get("position", position),
            }
        )
        for question in section.get("questions", []):
            flat.append({**question, "section": str(section["code"])})
    section_codes = {s["code"] for s in sections}
    seen = set()
    for position, question in enumerate(flat, start=1):
        qcode = str(question.get("code") or "")
        where = f"{code}/{qcode or position}"
        if not qcode:
            raise QuestionnaireDataError(f"{where}: a question needs a code")
        if qcode in seen:
            raise QuestionnaireDataError(f"{where}: the code is used twice")
        seen.add(qcode)
        area = areas.get(str(question.get("area")))
        if area is None:
            raise QuestionnaireDataError(
                f"{where}: unknown area {question.get('area')!r} in framework {framework.code}"
            )
        kind = question.get("kind") or default_kind
        if kind not in QuestionKind.values:
            raise QuestionnaireDataError(f"{where}: unknown kind {kind!r}")
        section_code = question.get("section")
        if section_code and section_code not in section_codes:
            raise QuestionnaireDataError(f"{where}: unknown section {section_code!r}")
        descriptors = {}
        for level, text in (question.get("descriptors") or {}).items():
            try:
                level = int(level)
            except (TypeError, ValueError):
                raise QuestionnaireDataError(f"{where}: level {level!r} is not a number") from None
            descriptors[level] = ml(text, f"{where}/level {level}")
        try:
            weight = Decimal(str(question.get("weight", 1)))
        except ArithmeticError:
            raise QuestionnaireDataError(f"{where}: weight is not a number") from None
        if weight < 0:
            raise QuestionnaireDataError(f"{where}: the weight cannot be negative")
        questions.append(
            {
                "code": qcode,
                "section": section_code or None,
                "area": area,
                "kind": kind,
                "text": ml(question.get("text"), where),
                "guidance": ml(question.get("guidance") or {}, where),
                "weight": weight,
                "evidence_required": bool(question.get("evidence_required", False)),
                "not_applicable_allowed": bool(question.get("not_applicable_allowed", False)),
                "position": question.get("position", position),
                "descriptors": descriptors,
            }
        )
    return {
        "code": code,
        "title": ml(data.get("title") or code, f"{code}/title"),
        "description": ml(data.get("description") or {}, f"{code}/description"),
        "framework": framework,
        "scale": scale,
        "sections": sections,
        "questions": questions,
    }


def _comparable(spec):
    """``spec`` (from a file or a version) with values reduced to comparable plain data."""
    return json.dumps(
        {
            "title": spec["title"].to_dict(),
            "description": spec["description"].to_dict(),
            "framework": spec["framework"].pk,
            "scale": spec["scale"].pk if spec["scale"] else None,
            "sections": [
                {**s, "title": s["title"].to_dict()}
                for s in sorted(spec["sections"], key=lambda s: s["code"])
            ],
            "questions": [
                {
                    **q,
                    "area": q["area"].pk,
                    "text": q["text"].to_dict(),
                    "guidance": q["guidance"].to_dict(),
                    "weight": str(Decimal(q["weight"]).normalize()),
                    "descriptors": {str(k): v.to_dict() for k, v in q["descriptors"].items()},
                }
                for q in sorted(spec["questions"], key=lambda q: q["code"])
            ],
        },
        sort_keys=True,
        default=str,
    )


def _state_of(questionnaire):
    sections = {s.pk: s for s in questionnaire.sections.all()}
    questions = questionnaire.questions.select_related("area").prefetch_related("descriptors").all()
    return {
        "title": questionnaire.title,
        "description": questionnaire.description,
        "framework": questionnaire.framework,
        "scale": questionnaire.scale,
        "sections": [
            {"code": s.code, "title": s.title, "position": s.position} for s in sections.values()
        ],
        "questions": [
            {
                "code": q.code,
                "section": sections[q.section_id].code if q.section_id else None,
                "area": q.area,
                "kind": q.kind,
                "text": q.text,
                "guidance": q.guidance,
                "weight": q.weight,
                "evidence_required": q.evidence_required,
                "not_applicable_allowed": q.not_applicable_allowed,
                "position": q.position,
                "descriptors": {d.level: d.text for d in q.descriptors.all()},
            }
            for q in questions
        ],
    }


def _write(model, lookup, values, user):
    """Create or update one row from ``values`` (saved only when something differs)."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
    else:
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if not changed:
            return obj
        for name in changed:
            setattr(obj, name, values[name])
    obj.full_clean()
    obj._keep_translation_status = True  # the data file's statuses are authoritative
    return _save(obj, user, CHANGE_REASON)


def _apply(spec, questionnaire, user):
    """Bring ``questionnaire``'s fields and contents to ``spec`` (rows matched by code)."""
    for name in ("title", "description", "framework", "scale"):
        setattr(questionnaire, name, spec[name])
    questionnaire.full_clean()
    questionnaire._keep_translation_status = True
    _save(questionnaire, user, CHANGE_REASON)
    sections = {}
    for s in spec["sections"]:
        sections[s["code"]] = _write(
            Section,
            {"questionnaire": questionnaire, "code": s["code"]},
            {"title": s["title"], "position": s["position"]},
            user,
        )
    for q in spec["questions"]:
        question = _write(
            Question,
            {"questionnaire": questionnaire, "code": q["code"]},
            {
                "section": sections.get(q["section"]),
                "area": q["area"],
                "kind": q["kind"],
                "text": q["text"],
                "guidance": q["guidance"],
                "weight": q["weight"],
                "evidence_required": q["evidence_required"],
                "not_applicable_allowed": q["not_applicable_allowed"],
                "position": q["position"],
            },
            user,
        )
        for level, text in q["descriptors"].items():
            _write(LevelDescriptor, {"question": question, "level": level}, {"text": text}, user)
        question.descriptors.exclude(level__in=list(q["descriptors"])).delete()
    codes = [q["code"] for q in spec["questions"]]
    questionnaire.questions.exclude(code__in=codes).delete()
    questionnaire.sections.exclude(code__in=list(sections)).delete()


@transaction.atomic
def load_questionnaire(data, *, user=None):
    """Create or bring up to date the questionnaire a data file describes.

    Returns ``(questionnaire, status)``, status ``"created"``, ``"unchanged"``, ``"updated"``
    (the latest version changed in place: no round uses it) or ``"versioned"`` (the latest
    version is frozen: the file's content became a new version). Raises
    ``QuestionnaireDataError`` (nothing written) for a file that does not fit the data.
    """
    spec = _normalise(data)
    latest = Questionnaire.objects.filter(code=spec["code"]).order_by("-version").first()
    if latest is None:
        questionnaire = Questionnaire(code=spec["code"], version=1)
        _apply(spec, questionnaire, user)
        return questionnaire, "created"
    if _comparable(_state_of(latest)) == _comparable(spec):
        return latest, "unchanged"
    if latest.is_frozen:
        questionnaire = Questionnaire(
            code=spec["code"], version=next_version_number(spec["code"]), previous=latest
        )
        _apply(spec, questionnaire, user)
        record_event(
            "questionnaire.versioned",
            questionnaire,
            actor=user,
            old={"version": latest.version},
            new={"version": questionnaire.version},
        )
        return questionnaire, "versioned"
    _apply(spec, latest, user)
    return latest, "updated"


def read_data_files(data_dir=DATA_DIR):
    """``[(path, parsed JSON)]`` for every questionnaire file in ``data_dir``."""
    files = []
    for path in sorted(Path(data_dir).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if (
            isinstance(data, dict)
            and "code" in data
            and ("sections" in data or "questions" in data)
        ):
            files.append((path, data))
    return files


@transaction.atomic
def load_seeded_questionnaires(*, user=None, data_dir=DATA_DIR):
    """Load every questionnaire file; returns ``{code: status}``. All or nothing."""
    return {
        questionnaire.code: status
        for questionnaire, status in (
            load_questionnaire(data, user=user) for _path, data in read_data_files(data_dir)
        )
    }
