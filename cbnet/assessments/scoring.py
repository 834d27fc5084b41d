"""Scores of assessments: per area, per framework, completeness, targets and gaps.

Plain functions, no permission logic: callers pass assessments they may see (pages and API
read them through ``Assessment.objects.restrict(user, "view")`` first).

The rules (issue 4, "Scores"):

- **Area score** = Σ(weight × level) / Σ(weight) over the area's *maturity* questions answered
  with a level. "Not applicable" and unanswered questions are left out of both sums. An area
  with no such answer (or whose answered weights sum to 0) has no score (``None``).
- **Completeness** = questions answered / questions, where a maturity question is answered
  with a level or "not applicable" and a ``tfa_category`` question when it has a category
  (dates and "assistance needed" alone do not count). Maturity and TFA questions count alike;
  per area and for the whole assessment.
- **Framework score** = the mean of the area scores that exist; the areas without a score are
  listed (``unscored_areas``), never counted as 0.
- **Target** per area: the administration's ``AreaTarget``; **gap** = target − score, ``None``
  when either is missing.

Numbers are exact inside (``fractions.Fraction``): ``display()`` rounds them for people
(2 decimals, half up). ``score_assessment`` computes one assessment from its rows;
``score_assessments`` computes many in a constant number of queries (one aggregate over the
answers, GROUP BY assessment and area): the two agree exactly (tests check it on random data).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum

from cbnet.assessments.choices import QuestionKind
from cbnet.assessments.models import Answer, AreaTarget, Assessment, Question
from cbnet.capabilities.models import Area

CENT = Decimal("0.01")
# Σ(weight × level) and Σ(weight) come back with the weights' two decimals: exact.
_SUM_FIELD = DecimalField(max_digits=20, decimal_places=2)


def display(value, places=2):
    """A Fraction/Decimal/number rounded half up for display (Decimal), None stays None."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    quantum = Decimal(1).scaleb(-places)
    return Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)


def percent(value):
    """A completeness Fraction as a whole percentage (int), None stays None."""
    if value is None:
        return None
    return int(display(value * 100, 0))


def _fraction(value):
    return None if value is None else Fraction(Decimal(value))


@dataclass
class AreaScore:
    area: Area
    score: Fraction | None  # None: no answered maturity question (or weights sum to 0)
    answered: int  # questions answered (level, "not applicable" or TFA category)
    questions: int  # questions of the area in the questionnaire version
    weighted_sum: Fraction = Fraction(0)  # Σ(weight × level)
    weight_sum: Fraction = Fraction(0)  # Σ(weight)
    target: Fraction | None = None

    @property
    def completeness(self):
        return Fraction(self.answered, self.questions) if self.questions else None

    @property
    def gap(self):
        if self.target is None or self.score is None:
            return None
        return self.target - self.score


@dataclass
class AssessmentScore:
    assessment_id: int
    areas: list[AreaScore] = field(default_factory=list)  # in the framework's order

    @property
    def scored_areas(self):
        return [a for a in self.areas if a.score is not None]

    @property
    def unscored_areas(self):
        """Areas of the questionnaire without a score: listed, left out of the mean."""
        return [a.area for a in self.areas if a.score is None]

    @property
    def framework_score(self):
        scores = [a.score for a in self.scored_areas]
        return sum(scores, Fraction(0)) / len(scores) if scores else None

    @property
    def answered(self):
        return sum(a.answered for a in self.areas)

    @property
    def questions(self):
        return sum(a.questions for a in self.areas)

    @property
    def completeness(self):
        return Fraction(self.answered, self.questions) if self.questions else None

    def by_area_id(self):
        return {a.area.pk: a for a in self.areas}


def _build(assessment_id, areas, question_counts, sums, targets):
    """An AssessmentScore from plain numbers.

    ``question_counts``: {area_id: questions}; ``sums``: {area_id: (Σw×l, Σw, answered)};
    ``targets``: {area_id: level}; ``areas``: {area_id: Area}.
    """
    result = AssessmentScore(assessment_id)
    ordered = sorted(question_counts, key=lambda pk: (areas[pk].position, areas[pk].code))
    for area_id in ordered:
        weighted, weights, answered = sums.get(area_id, (Fraction(0), Fraction(0), 0))
        result.areas.append(
            AreaScore(
                area=areas[area_id],
                score=weighted / weights if weights else None,
                answered=answered,
                questions=question_counts[area_id],
                weighted_sum=weighted,
                weight_sum=weights,
                target=targets.get(area_id),
            )
        )
    return result


def score_assessment(assessment, *, with_targets=True):
    """The scores of one assessment, computed in Python from its questions and answers."""
    questionnaire_id = assessment.round.questionnaire_id
    questions = list(
        Question.objects.filter(questionnaire_id=questionnaire_id).select_related("area").order_by()
    )
    answers = {
        a.question_id: a
        for a in Answer.objects.filter(
            assessment_id=assessment.pk, question__questionnaire_id=questionnaire_id
        )
    }
    question_counts = defaultdict(int)
    areas = {}
    sums = {}
    for question in questions:
        areas[question.area_id] = question.area
        question_counts[question.area_id] += 1
        weighted, weights, answered = sums.get(question.area_id, (Fraction(0), Fraction(0), 0))
        answer = answers.get(question.pk)
        if answer is not None and answer.is_answered:
            answered += 1
            if question.kind == QuestionKind.MATURITY and answer.level is not None:
                weight = _fraction(question.weight)
                weighted += weight * answer.level
                weights += weight
        sums[question.area_id] = (weighted, weights, answered)
    targets = {}
    if with_targets:
        targets = {
            t.area_id: _fraction(t.level)
            for t in AreaTarget.objects.filter(
                organisation_id=assessment.organisation_id, area_id__in=list(areas)
            )
        }
    return _build(assessment.pk, areas, question_counts, sums, targets)


def _answered_q(prefix=""):
    return (
        Q(**{f"{prefix}level__isnull": False})
        | Q(**{f"{prefix}not_applicable": True})
        | ~Q(**{f"{prefix}tfa_category": ""})
    )


def answer_sums(assessment_ids):
    """{assessment_id: {area_id: (Σ(weight × level), Σ(weight), answered)}}: ONE query.

    The aggregate of ``score_assessment``'s loop in SQL: GROUP BY assessment, area over the
    answers to questions of the assessment's own questionnaire version.
    """
    scored = Q(question__kind=QuestionKind.MATURITY, level__isnull=False)
    rows = (
        Answer.objects.filter(
            assessment_id__in=assessment_ids,
            question__questionnaire_id=F("assessment__round__questionnaire_id"),
        )
        .order_by()
        .values("assessment_id", "question__area_id")
        .annotate(
            weighted=Sum(
                ExpressionWrapper(F("question__weight") * F("level"), output_field=_SUM_FIELD),
                filter=scored,
            ),
            weights=Sum("question__weight", filter=scored, output_field=_SUM_FIELD),
            answered=Count("pk", filter=_answered_q()),
        )
    )
    result = defaultdict(dict)
    for row in rows:
        weighted = row["weighted"] or 0
        weights = row["weights"] or 0
        # SQLite hands decimals back through floats: the sums have two decimals, so
        # quantizing restores them exactly (PostgreSQL's numeric is exact already).
        result[row["assessment_id"]][row["question__area_id"]] = (
            Fraction(Decimal(weighted).quantize(CENT)),
            Fraction(Decimal(weights).quantize(CENT)),
            row["answered"],
        )
    return result


def question_counts(questionnaire_ids):
    """{questionnaire_id: {area_id: questions}}: one query."""
    counts = defaultdict(dict)
    rows = (
        Question.objects.filter(questionnaire_id__in=questionnaire_ids)
        .order_by()
        .values("questionnaire_id", "area_id")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts[row["questionnaire_id"]][row["area_id"]] = row["n"]
    return counts


def score_assessments(assessment_ids, *, with_targets=True):
    """{assessment_id: AssessmentScore} for many assessments in five queries, whatever their
    number: the assessments (questionnaire, organisation), the answer aggregate, the question
    counts, the areas, and (``with_targets``) the targets."""
    assessment_ids = list(assessment_ids)
    if not assessment_ids:
        return {}
    meta = list(
        Assessment.objects.filter(pk__in=assessment_ids)
        .order_by()
        .values_list("pk", "round__questionnaire_id", "organisation_id")
    )
    counts = question_counts({q for _pk, q, _org in meta})
    sums = answer_sums(assessment_ids)
    area_ids = {area_id for per_area in counts.values() for area_id in per_area}
    areas = Area.objects.in_bulk(area_ids)
    targets = defaultdict(dict)
    if with_targets:
        for target in AreaTarget.objects.filter(
            organisation_id__in={org for _pk, _q, org in meta}, area_id__in=area_ids
        ).order_by():
            targets[target.organisation_id][target.area_id] = _fraction(target.level)
    return {
        pk: _build(pk, areas, counts.get(questionnaire_id, {}), sums.get(pk, {}), targets[org])
        for pk, questionnaire_id, org in meta
    }


def mean(values):
    values = [v for v in values if v is not None]
    return sum(values, Fraction(0)) / len(values) if values else None
