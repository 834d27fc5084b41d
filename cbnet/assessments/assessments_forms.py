"""Forms of the assessment pages.

``AnswerSheet`` is the fill-in form of one section: it builds the rows the template shows
(question, its levels with descriptors in the reader's language, the current answer, the
user's input when re-shown) and turns a POST into the ``answers`` dict of
``workflow.save_answers``. It renders its inputs in the template instead of one Django form
field per input: a section of 40 questions stays one light page, and its query count does
not depend on the number of questions (``sheet_rows`` reads everything in fixed queries).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.choices import QuestionKind, TfaCategory
from cbnet.assessments.models import Answer, Evidence, LevelDescriptor, Question
from cbnet.core.multilingual import reader_language

NO_SECTION = "-"


@dataclass
class Level:
    level: int
    name: str
    descriptor: str


@dataclass
class Row:
    question: Question
    answer: Answer | None
    levels: list[Level]
    values: dict  # what the inputs show: the answer, or the user's input when re-shown
    errors: list = field(default_factory=list)
    evidence: list = field(default_factory=list)

    @property
    def is_maturity(self):
        return self.question.kind == QuestionKind.MATURITY

    @property
    def name(self):
        return f"q{self.question.pk}"


def _resolved(value, language):
    """(text, exact): the text in ``language`` if written in it, else the original."""
    if not value:
        return "", False
    rendition = value.resolve(language)
    return rendition.text, not rendition.fallback


def descriptor_text(own, scale_level, language):
    """A question's own descriptor of a level in the reader's language, else the scale's in
    the reader's language, else whichever exists in its original language."""
    own_text, own_exact = _resolved(own.text if own is not None else None, language)
    if own_exact:
        return own_text
    scale_text, scale_exact = _resolved(
        scale_level.descriptor if scale_level is not None else None, language
    )
    if scale_exact:
        return scale_text
    return own_text or scale_text


def sections_of(questionnaire):
    """[(code, title)] of the questionnaire's sections, plus NO_SECTION if questions lack one."""
    sections = [(s.code, str(s.title)) for s in questionnaire.sections.order_by("position", "code")]
    if questionnaire.questions.filter(section__isnull=True).exists():
        sections.append((NO_SECTION, str(_("Other questions"))))
    return sections


def sheet_rows(assessment, section_code, scale_levels):
    """The rows of one section, read in a fixed number of queries."""
    questionnaire = assessment.round.questionnaire
    questions = Question.objects.filter(questionnaire=questionnaire).select_related("area")
    if section_code == NO_SECTION:
        questions = questions.filter(section__isnull=True)
    elif section_code is not None:
        questions = questions.filter(section__code=section_code)
    questions = list(
        questions.prefetch_related(
            Prefetch("descriptors", queryset=LevelDescriptor.objects.order_by("level"))
        ).order_by("position", "code")
    )
    ids = [q.pk for q in questions]
    answers = {
        a.question_id: a for a in Answer.objects.filter(assessment=assessment, question_id__in=ids)
    }
    evidence = {}
    for item in Evidence.objects.filter(assessment=assessment, question_id__in=ids).order_by(
        "created"
    ):
        evidence.setdefault(item.question_id, []).append(item)
    language = reader_language()
    rows = []
    for question in questions:
        own = {d.level: d for d in question.descriptors.all()}
        levels = []
        if question.kind == QuestionKind.MATURITY:
            for scale_level in scale_levels:
                levels.append(
                    Level(
                        scale_level.level,
                        str(scale_level.name),
                        descriptor_text(own.get(scale_level.level), scale_level, language),
                    )
                )
        answer = answers.get(question.pk)
        rows.append(
            Row(
                question=question,
                answer=answer,
                levels=levels,
                values=answer_values(answer),
                evidence=evidence.get(question.pk, []),
            )
        )
    return rows


def answer_values(answer):
    if answer is None:
        return {
            "level": "",
            "not_applicable": False,
            "tfa_category": "",
            "indicative_date": "",
            "definitive_date": "",
            "assistance_needed": "",
            "comment": "",
        }
    return {
        "level": "" if answer.level is None else str(answer.level),
        "not_applicable": answer.not_applicable,
        "tfa_category": answer.tfa_category,
        "indicative_date": answer.indicative_date.isoformat() if answer.indicative_date else "",
        "definitive_date": answer.definitive_date.isoformat() if answer.definitive_date else "",
        "assistance_needed": ""
        if answer.assistance_needed is None
        else ("yes" if answer.assistance_needed else "no"),
        "comment": answer.comment,
    }


def posted_values(row, data):
    """The user's input for ``row`` as the inputs show it (for re-showing the form)."""
    name = row.name
    return {
        "level": data.get(f"{name}-level", ""),
        "not_applicable": data.get(f"{name}-na") in ("on", "1", "true"),
        "tfa_category": data.get(f"{name}-category", ""),
        "indicative_date": data.get(f"{name}-indicative", ""),
        "definitive_date": data.get(f"{name}-definitive", ""),
        "assistance_needed": data.get(f"{name}-assistance", ""),
        "comment": data.get(f"{name}-comment", ""),
    }


def posted_answers(rows, data):
    """{question code: answer dict} for ``save_answers`` from the posted section."""
    answers = {}
    for row in rows:
        values = posted_values(row, data)
        question = row.question
        given = {"comment": values["comment"].replace("\r\n", "\n")}
        if question.kind == QuestionKind.MATURITY:
            given["level"] = values["level"] or None
            if question.not_applicable_allowed:
                given["not_applicable"] = values["not_applicable"]
        else:
            given["tfa_category"] = values["tfa_category"]
            given["indicative_date"] = values["indicative_date"] or None
            given["definitive_date"] = values["definitive_date"] or None
            given["assistance_needed"] = {"yes": True, "no": False}.get(values["assistance_needed"])
        answers[question.code] = given
    return answers


TFA_CATEGORIES = TfaCategory.choices


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What should change"),
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        max_length=5000,
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Evidence file"))
    question = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ShareForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=_("Development partner"),
        queryset=None,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, **kwargs):
        from cbnet.directory.models import Organisation

        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Organisation.objects.filter(
            kind="development_partner", archived_at__isnull=True
        ).order_by("name")
