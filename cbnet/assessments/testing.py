"""Factories for assessment tests: a small framework, a questionnaire, a round, assessments.

    net = factories.network()                 # cbnet.core.testing.factories
    kit = assessment_kit(net)                 # framework D1-D3, scale 0-4, questionnaire, round
    kit.questionnaire, kit.questions          # 2 maturity questions per area (weights 1 and 2)
    kit.round                                 # AMS round, open 2026-03-01 .. 2026-03-31
    kit.uy, kit.br                            # the round's assessments of Uruguay and Brazil

Rows are created directly, without services or permission checks, like the core factories.
"""

import datetime
from types import SimpleNamespace

from cbnet.assessments.models import Assessment, Question, Questionnaire, Round, Section
from cbnet.capabilities.models import Area, Framework, MaturityLevel, MaturityScale

OPENS = datetime.date(2026, 3, 1)
DUE = datetime.date(2026, 3, 31)


def framework(code="test-diagnostic", areas=("D1", "D2", "D3")):
    fw, _created = Framework.objects.get_or_create(
        code=code, defaults={"kind": "diagnostic", "name": "Test diagnostic"}
    )
    for position, area_code in enumerate(areas):
        Area.objects.get_or_create(
            framework=fw,
            code=area_code,
            defaults={"name": f"Area {area_code}", "position": position},
        )
    return fw


def scale(code="test-maturity"):
    existing = MaturityScale.objects.filter(code=code).first()
    if existing is not None:
        return existing
    maturity = MaturityScale.objects.create(code=code, name="Maturity")
    for level in range(5):
        MaturityLevel.objects.create(
            scale=maturity, level=level, name=f"Level {level}", descriptor=f"Descriptor {level}"
        )
    return maturity


def questionnaire(fw=None, code="test-dsa", version=1, per_area=2, **kwargs):
    fw = fw or framework()
    q = Questionnaire.objects.create(
        code=code,
        version=version,
        title="Test self-assessment",
        framework=fw,
        scale=scale(),
        **kwargs,
    )
    section = Section.objects.create(questionnaire=q, code="S1", title="Section one")
    position = 0
    for area in fw.areas.order_by("position"):
        for n in range(1, per_area + 1):
            position += 1
            Question.objects.create(
                questionnaire=q,
                section=section,
                area=area,
                code=f"{area.code}-{n:02d}",
                kind="maturity",
                text=f"Question {n} on {area.code}",
                weight=n,
                not_applicable_allowed=True,
                position=position,
            )
    return q


def round_(questionnaire, region, name="Test round 2026", opens_on=OPENS, due_on=DUE, **kwargs):
    kwargs.setdefault("time_zone", "America/Montevideo")
    return Round.objects.create(
        name=name,
        questionnaire=questionnaire,
        region=region,
        opens_on=opens_on,
        due_on=due_on,
        **kwargs,
    )


def assessment(round_obj, organisation, **kwargs):
    return Assessment.objects.create(round=round_obj, organisation=organisation, **kwargs)


def assessment_kit(net):
    q = questionnaire()
    r = round_(q, net.ams)
    return SimpleNamespace(
        framework=q.framework,
        questionnaire=q,
        questions=list(q.questions.order_by("position")),
        round=r,
        uy=assessment(r, net.uruguay),
        br=assessment(r, net.brazil),
    )
