"""One answer's values: checking what ``workflow.save_answers`` is given, and applying it.

``clean_answer(question, given, levels)`` returns the cleaned values of one answer dict or
raises ``ValueError(message)``; ``apply_values(answer, values)`` sets them on the row (a
level clears "not applicable" and the other way round) and returns the changed field names.
"""

import datetime

from django.utils.translation import gettext_lazy as _

from cbnet.assessments.choices import QuestionKind, TfaCategory

# Keys of one answer in ``save_answers``.
ANSWER_KEYS = frozenset(
    {
        "level",
        "not_applicable",
        "tfa_category",
        "indicative_date",
        "definitive_date",
        "assistance_needed",
        "comment",
    }
)
MATURITY_KEYS = frozenset({"level", "not_applicable"})
TFA_KEYS = frozenset({"tfa_category", "indicative_date", "definitive_date", "assistance_needed"})
COMMENT_MAX = 5000


def _as_date(value):
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError


def _as_level(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError


def _as_bool(value, *, allow_none):
    if value is None or value == "":
        if allow_none:
            return None
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "1", "on"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "no", "0", "off"):
        return False
    raise ValueError


def scale_levels(questionnaire):
    """The levels maturity questions of ``questionnaire`` may be answered with."""
    if questionnaire.scale_id is None:
        return []
    return sorted(questionnaire.scale.levels.values_list("level", flat=True))


def clean_answer(question, given, levels):
    """The cleaned values of one answer dict, or raise ValueError(message)."""
    if not isinstance(given, dict):
        raise ValueError(_("An answer must be a set of fields."))
    unknown = sorted(set(given) - ANSWER_KEYS)
    if unknown:
        raise ValueError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)})
    values = {}
    try:
        if "level" in given:
            values["level"] = _as_level(given["level"])
    except ValueError:
        raise ValueError(_("The level must be a whole number.")) from None
    try:
        if "not_applicable" in given:
            values["not_applicable"] = _as_bool(given["not_applicable"], allow_none=False)
        if "assistance_needed" in given:
            values["assistance_needed"] = _as_bool(given["assistance_needed"], allow_none=True)
    except ValueError:
        raise ValueError(_("Answer yes or no.")) from None
    for name in ("indicative_date", "definitive_date"):
        if name in given:
            try:
                values[name] = _as_date(given[name])
            except ValueError:
                raise ValueError(_("Dates are written YYYY-MM-DD.")) from None
    if "tfa_category" in given:
        category = given["tfa_category"] or ""
        if not isinstance(category, str) or category.strip().upper() not in {"", *TfaCategory}:
            raise ValueError(_("The TFA category is A, B or C."))
        values["tfa_category"] = category.strip().upper()
    if "comment" in given:
        comment = given["comment"] if given["comment"] is not None else ""
        if not isinstance(comment, str):
            raise ValueError(_("The comment must be text."))
        if len(comment) > COMMENT_MAX:
            raise ValueError(
                _("The comment is longer than %(max)s characters.") % {"max": COMMENT_MAX}
            )
        values["comment"] = comment
    if question.kind == QuestionKind.MATURITY:
        if any(values.get(name) not in (None, "") for name in TFA_KEYS):
            raise ValueError(_("This is a maturity question: it takes a level, not a category."))
        level = values.get("level")
        if level is not None and level not in levels:
            raise ValueError(
                _("%(level)s is not a level of this questionnaire's scale (%(levels)s).")
                % {"level": level, "levels": ", ".join(str(n) for n in levels) or "-"}
            )
        if values.get("not_applicable") and not question.not_applicable_allowed:
            raise ValueError(_("'Not applicable' is not allowed for this question."))
        if level is not None and values.get("not_applicable"):
            raise ValueError(_("Choose a level or 'not applicable', not both."))
    else:
        if values.get("level") is not None or values.get("not_applicable"):
            raise ValueError(_("This is a TFA question: it takes a category, not a level."))
        values.pop("level", None)
        values.pop("not_applicable", None)
    return values


def apply_values(answer, values):
    """Set ``values`` on ``answer``; a level clears 'not applicable' and the other way round."""
    if values.get("level") is not None and "not_applicable" not in values:
        values["not_applicable"] = False
    if values.get("not_applicable") and "level" not in values:
        values["level"] = None
    changed = []
    for name, value in values.items():
        if getattr(answer, name) != value:
            setattr(answer, name, value)
            changed.append(name)
    return changed
