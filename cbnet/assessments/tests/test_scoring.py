"""Scores: the formula on hand-computed cases, and the bulk aggregate equal to it."""

import random
from decimal import Decimal
from fractions import Fraction

import pytest

from cbnet.assessments import scoring
from cbnet.assessments.models import Answer, AreaTarget, Question
from cbnet.assessments.testing import (
    assessment,
    assessment_kit,
    framework,
    questionnaire,
    round_,
)
from cbnet.capabilities.models import Area
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def net():
    return f.network()


@pytest.fixture
def kit(net):
    return assessment_kit(net)


def answer(a, question, **values):
    return Answer.objects.create(assessment=a, question=question, **values)


def q(kit, code):
    return next(question for question in kit.questions if question.code == code)


def test_weighted_area_score_na_and_unanswered_left_out(kit):
    # D1: weights 1 and 2, levels 1 and 4: (1×1 + 2×4) / 3 = 3.
    answer(kit.uy, q(kit, "D1-01"), level=1)
    answer(kit.uy, q(kit, "D1-02"), level=4)
    # D2: D2-01 "not applicable", D2-02 (weight 2) level 3: 3, N/A left out of both sums.
    answer(kit.uy, q(kit, "D2-01"), not_applicable=True)
    answer(kit.uy, q(kit, "D2-02"), level=3)
    # D3: only a comment on D3-01, nothing on D3-02: no score, listed as such.
    answer(kit.uy, q(kit, "D3-01"), comment="To do")

    result = scoring.score_assessment(kit.uy)
    by_code = {a.area.code: a for a in result.areas}
    assert [a.area.code for a in result.areas] == ["D1", "D2", "D3"]
    assert by_code["D1"].score == 3
    assert by_code["D2"].score == 3
    assert by_code["D3"].score is None
    assert [area.code for area in result.unscored_areas] == ["D3"]
    # Framework: the mean of the two scored areas; D3 is not counted as 0.
    assert result.framework_score == 3
    # Completeness: 4 of 6 answered (N/A counts, a comment alone does not).
    assert result.completeness == Fraction(4, 6)
    assert by_code["D2"].completeness == 1
    assert by_code["D3"].completeness == 0
    assert scoring.percent(result.completeness) == 67


def test_fractional_scores_stay_exact_and_round_for_display(kit):
    # D1: (1×1 + 2×2) / 3 = 5/3; D2: (1×0 + 2×1) / 3 = 2/3; framework (5/3 + 2/3) / 2 = 7/6.
    for code, level in [("D1-01", 1), ("D1-02", 2), ("D2-01", 0), ("D2-02", 1)]:
        answer(kit.uy, q(kit, code), level=level)
    result = scoring.score_assessment(kit.uy)
    d1, d2, _d3 = result.areas
    assert d1.score == Fraction(5, 3)
    assert d2.score == Fraction(2, 3)
    assert result.framework_score == Fraction(7, 6)
    assert scoring.display(d1.score) == Decimal("1.67")
    assert scoring.display(result.framework_score) == Decimal("1.17")
    assert scoring.display(Fraction(1, 8)) == Decimal("0.13")  # half up
    assert scoring.display(None) is None


def test_level_zero_is_a_score_not_a_missing_answer(kit):
    answer(kit.uy, q(kit, "D1-01"), level=0)
    result = scoring.score_assessment(kit.uy)
    assert result.areas[0].score == 0
    assert result.framework_score == 0
    assert [a.code for a in result.unscored_areas] == ["D2", "D3"]


def test_nothing_answered(kit):
    result = scoring.score_assessment(kit.uy)
    assert result.framework_score is None
    assert result.completeness == 0
    assert len(result.unscored_areas) == 3


def test_tfa_question_counts_for_completeness_not_for_score(net, kit):
    area = Area.objects.get(framework=kit.framework, code="D1")
    tfa = Question.objects.create(
        questionnaire=kit.questionnaire,
        area=area,
        code="TFA-1.1",
        kind="tfa_category",
        text="Publication",
        weight=5,
        position=99,
    )
    answer(kit.uy, tfa, tfa_category="B")
    answer(kit.uy, q(kit, "D1-01"), level=2)
    result = scoring.score_assessment(kit.uy)
    d1 = result.areas[0]
    assert d1.questions == 3
    assert d1.answered == 2
    assert d1.score == 2  # the TFA question's weight 5 is not in the score
    # A TFA answer without a category (a date only) is not answered.
    Answer.objects.filter(question=tfa).update(tfa_category="", assistance_needed=True)
    assert scoring.score_assessment(kit.uy).areas[0].answered == 1


def test_zero_weights_give_no_score(kit):
    Question.objects.filter(code__startswith="D1").update(weight=0)
    answer(kit.uy, q(kit, "D1-01"), level=3)
    d1 = scoring.score_assessment(kit.uy).areas[0]
    assert d1.score is None
    assert d1.answered == 1


def test_targets_and_gaps(net, kit):
    areas = {a.code: a for a in Area.objects.filter(framework=kit.framework)}
    AreaTarget.objects.create(organisation=net.uruguay, area=areas["D1"], level=Decimal("3.5"))
    AreaTarget.objects.create(organisation=net.uruguay, area=areas["D3"], level=4)
    # Brazil's target is not Uruguay's.
    AreaTarget.objects.create(organisation=net.brazil, area=areas["D2"], level=2)
    answer(kit.uy, q(kit, "D1-01"), level=1)
    answer(kit.uy, q(kit, "D1-02"), level=4)
    answer(kit.uy, q(kit, "D2-01"), level=2)
    d1, d2, d3 = scoring.score_assessment(kit.uy).areas
    assert d1.target == Fraction(7, 2)
    assert d1.gap == Fraction(1, 2)  # 3.5 − 3
    assert d2.target is None and d2.gap is None  # no target
    assert d3.target == 4 and d3.gap is None  # no score


def test_answers_to_another_version_are_ignored(net, kit):
    other = questionnaire(code="other", per_area=1)
    foreign = other.questions.first()
    answer(kit.uy, foreign, level=4)
    answer(kit.uy, q(kit, "D1-01"), level=1)
    single = scoring.score_assessment(kit.uy)
    bulk = scoring.score_assessments([kit.uy.pk])[kit.uy.pk]
    assert single.areas[0].score == bulk.areas[0].score == 1
    assert single.answered == bulk.answered == 1


def assert_same(single, bulk):
    assert single.assessment_id == bulk.assessment_id
    assert [a.area.pk for a in single.areas] == [a.area.pk for a in bulk.areas]
    for one, other in zip(single.areas, bulk.areas, strict=True):
        assert (one.score, one.answered, one.questions, one.target, one.gap) == (
            other.score,
            other.answered,
            other.questions,
            other.target,
            other.gap,
        )
    assert single.framework_score == bulk.framework_score
    assert single.completeness == bulk.completeness


def test_bulk_equals_per_assessment_on_random_data(net, django_assert_max_num_queries):
    rng = random.Random(20260401)
    areas_fw = framework(code="rand-fw", areas=("A1", "A2", "A3", "A4"))
    qn = questionnaire(areas_fw, code="rand", per_area=0)
    areas = list(areas_fw.areas.all())
    questions = []
    for n in range(40):
        kind = "tfa_category" if rng.random() < 0.15 else "maturity"
        questions.append(
            Question.objects.create(
                questionnaire=qn,
                area=rng.choice(areas),
                code=f"Q{n:02d}",
                kind=kind,
                text=f"Q{n}",
                weight=Decimal(rng.choice(["0.25", "1", "1.5", "2", "3.75", "0"])),
                not_applicable_allowed=True,
                position=n,
            )
        )
    rnd = round_(qn, net.ams)
    orgs = [net.uruguay, net.brazil] + [
        f.organisation(f"Admin {i}", region=net.ams) for i in range(10)
    ]
    assessments = [assessment(rnd, org) for org in orgs]
    for org in orgs[::2]:
        for area in areas:
            if rng.random() < 0.7:
                level = Decimal(rng.randint(0, 400)) / 100
                AreaTarget.objects.create(organisation=org, area=area, level=level)
    for a in assessments:
        for question in questions:
            roll = rng.random()
            if roll < 0.15:
                continue
            if question.kind == "tfa_category":
                answer(a, question, tfa_category=rng.choice(["A", "B", "C", ""]))
            elif roll < 0.25:
                answer(a, question, not_applicable=True)
            elif roll < 0.3:
                answer(a, question, comment="later")
            else:
                answer(a, question, level=rng.randint(0, 4))

    with django_assert_max_num_queries(5):
        bulk = scoring.score_assessments([a.pk for a in assessments])
    assert set(bulk) == {a.pk for a in assessments}
    scored = 0
    for a in assessments:
        single = scoring.score_assessment(a)
        assert_same(single, bulk[a.pk])
        scored += len(single.scored_areas)
    assert scored > 20  # the data exercised real scores, not only empty areas


def test_bulk_query_count_does_not_grow(net, kit, django_assert_num_queries):
    answer(kit.uy, q(kit, "D1-01"), level=2)
    with django_assert_num_queries(5):
        scoring.score_assessments([kit.uy.pk, kit.br.pk])
    with django_assert_num_queries(4):
        scoring.score_assessments([kit.uy.pk], with_targets=False)
    assert scoring.score_assessments([]) == {}
