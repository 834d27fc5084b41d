"""Assessment scoring benchmark: 186 administrations × 200 questions, in-process.

Run by ``bench/run.py`` after the synthetic network is loaded (``make bench``; only this part
with ``make bench ARGS="--assessments-only"``), or on its own::

    .venv/bin/python bench/assessments.py [--scale 0.1] [--postgres | --database-url URL]

What it does:

1. Adds to the synthetic network a questionnaire of 200 questions over 7 areas (190 maturity
   questions with weights 1-3, 10 TFA questions) and, per region, two validated rounds
   (2025, 2026) with answers for every member administration: ~85 % levels, ~5 % "not
   applicable", the rest unanswered (``bulk_create``, seeded).
2. **Scoring**: ``scoring.score_assessments`` over every assessment (both rounds), per round
   and all at once, with wall time and the peak of Python allocations (tracemalloc); and the
   per-assessment ``score_assessment`` loop for comparison.
3. **Region view**: the Secretariat's heatmap page (``assessments:region_results``: every
   administration × area, trends, weakest areas) through Django's test client, and the raw
   SQL of the same aggregation (latest validated assessment per administration, GROUP BY
   administration and area) on the same database, side by side; the page's numbers are
   checked equal to the raw SQL's.
"""

from __future__ import annotations

import datetime
import random
import statistics
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

QUESTIONS = 200
TFA_QUESTIONS = 10
AREAS = 7
CODE = "bench-dsa"
REPEAT = 5

RAW_SQL = """
WITH latest AS (
    SELECT a.id, a.organisation_id,
           ROW_NUMBER() OVER (
               PARTITION BY a.organisation_id ORDER BY r.opens_on DESC, a.validated_at DESC
           ) AS rn
    FROM assessments_assessment a
    JOIN assessments_round r ON r.id = a.round_id
    JOIN assessments_questionnaire q ON q.id = r.questionnaire_id
    WHERE a.status = 'validated' AND q.code = %s AND a.archived_at IS NULL
)
SELECT l.organisation_id, qu.area_id,
       SUM(qu.weight * an.level) AS weighted, SUM(qu.weight) AS weights
FROM latest l
JOIN assessments_answer an ON an.assessment_id = l.id
JOIN assessments_question qu ON qu.id = an.question_id
WHERE l.rn = 1 AND qu.kind = 'maturity' AND an.level IS NOT NULL
GROUP BY l.organisation_id, qu.area_id
"""


def say(message=""):
    print(message, flush=True)


def generate(seed=2026):
    """The questionnaire, two validated rounds per region, answers. Returns a dict of counts."""
    from django.utils import timezone

    from cbnet.assessments.models import Answer, Assessment, Question, Questionnaire, Round
    from cbnet.capabilities.models import Area, Framework, MaturityLevel, MaturityScale
    from cbnet.directory.models import Organisation, Region

    rng = random.Random(seed)
    started = time.monotonic()
    framework = Framework.objects.create(code="bench-fw", kind="diagnostic", name="Bench")
    areas = [
        Area.objects.create(framework=framework, code=f"B{n}", name=f"Area {n}", position=n)
        for n in range(1, AREAS + 1)
    ]
    scale = MaturityScale.objects.create(code="bench-scale", name="Maturity")
    MaturityLevel.objects.bulk_create(
        MaturityLevel(scale=scale, level=level, name=f"Level {level}") for level in range(5)
    )
    questionnaire = Questionnaire.objects.create(
        code=CODE, version=1, title="Bench self-assessment", framework=framework, scale=scale
    )
    questions = Question.objects.bulk_create(
        Question(
            questionnaire=questionnaire,
            area=areas[n % AREAS],
            code=f"BQ-{n:03d}",
            kind="tfa_category" if n >= QUESTIONS - TFA_QUESTIONS else "maturity",
            text=f"Question {n}",
            weight=Decimal(rng.choice([1, 2, 3])),
            not_applicable_allowed=True,
            position=n,
        )
        for n in range(QUESTIONS)
    )
    now = timezone.now()
    assessments = []
    for region in Region.objects.filter(parent__isnull=True).order_by("code"):
        members = list(
            Organisation.objects.filter(region=region, kind="member_administration").order_by("pk")
        )
        if not members:
            continue
        for year in (2025, 2026):
            round_ = Round.objects.create(
                name=f"{region.code} {year}",
                questionnaire=questionnaire,
                region=region,
                opens_on=datetime.date(year, 3, 1),
                due_on=datetime.date(year, 4, 30),
                time_zone="UTC",
            )
            assessments += [
                Assessment(
                    round=round_,
                    organisation=org,
                    status="validated",
                    validated_at=now,
                    submitted_at=now,
                )
                for org in members
            ]
    assessments = Assessment.objects.bulk_create(assessments, batch_size=1000)
    answers = []
    for assessment in assessments:
        bias = rng.uniform(-1, 1)
        for question in questions:
            roll = rng.random()
            if roll < 0.10:
                continue
            if question.kind == "tfa_category":
                category = rng.choice(["A", "B", "C", ""])
                answers.append(
                    Answer(assessment=assessment, question=question, tfa_category=category)
                )
            elif roll < 0.15:
                answers.append(
                    Answer(assessment=assessment, question=question, not_applicable=True)
                )
            else:
                level = min(4, max(0, round(rng.gauss(2 + bias, 1))))
                answers.append(Answer(assessment=assessment, question=question, level=level))
        if len(answers) >= 20000:
            Answer.objects.bulk_create(answers, batch_size=5000)
            answers = []
    Answer.objects.bulk_create(answers, batch_size=5000)
    return {
        "assessments": len(assessments),
        "administrations": len({a.organisation_id for a in assessments}),
        "rounds": Round.objects.filter(questionnaire=questionnaire).count(),
        "answers": Answer.objects.filter(assessment__round__questionnaire=questionnaire).count(),
        "seconds": time.monotonic() - started,
    }


def timed(function, repeat=REPEAT):
    """(median seconds, peak traced bytes of the first call, last result)."""
    tracemalloc.start()
    result = function()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), peak, result


def count_queries(function):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        function()
    return len(queries)


def secretariat_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench.secretariat", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    # Production asks officers for a second factor: a confirmed device on the session.
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def measure():
    """Run the measurements; returns rows of (name, figure, unit, note)."""
    from django.db import connection
    from django.urls import reverse

    from cbnet.assessments import scoring
    from cbnet.assessments.models import Assessment, Round
    from cbnet.assessments.views.results import region_results

    rows = []
    ids = list(
        Assessment.objects.filter(round__questionnaire__code=CODE).values_list("pk", flat=True)
    )
    seconds, peak, _ = timed(lambda: scoring.score_assessments(ids))
    queries = count_queries(lambda: scoring.score_assessments(ids))
    rows.append(
        (f"score_assessments, {len(ids)} assessments (all rounds)", seconds * 1000, "ms",
         f"{queries} queries, peak {peak / 2**20:.1f} MiB traced")
    )  # fmt: skip
    rounds = list(Round.objects.filter(questionnaire__code=CODE))
    per_round = []
    for round_ in rounds:
        round_ids = list(round_.assessments.values_list("pk", flat=True))
        per_round.append(timed(lambda ids=round_ids: scoring.score_assessments(ids), repeat=1))
    rows.append(
        (f"score_assessments per round, {len(rounds)} rounds",
         sum(s for s, _p, _r in per_round) * 1000, "ms total",
         f"peak {max(p for _s, p, _r in per_round) / 2**20:.1f} MiB traced (largest round)")
    )  # fmt: skip
    objects = list(Assessment.objects.filter(pk__in=ids).select_related("round"))
    seconds, peak, _ = timed(lambda: [scoring.score_assessment(a) for a in objects], repeat=1)
    rows.append(
        (f"score_assessment one by one, {len(objects)} assessments", seconds * 1000, "ms",
         f"{3 * len(objects)} queries, peak {peak / 2**20:.1f} MiB traced")
    )  # fmt: skip

    client = secretariat_client()
    url = reverse("assessments:region_results") + f"?questionnaire={CODE}"
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"region page answered {response.status_code}")
    results = region_results(get_secretariat(), CODE)
    administrations, areas = len(results.administrations), len(results.areas)
    page_queries = count_queries(lambda: client.get(url))
    seconds, peak, _ = timed(lambda: client.get(url))
    rows.append(
        (f"region page (Secretariat), {administrations} administrations × {areas} areas",
         seconds * 1000, "ms", f"{page_queries} queries, peak {peak / 2**20:.1f} MiB traced")
    )  # fmt: skip
    for name, suffix in (("XLSX", "_export"), ("API", None)):
        target = (
            reverse(f"assessments:region_results{suffix}") + f"?questionnaire={CODE}"
            if suffix
            else f"/api/assessments/results/region/?questionnaire={CODE}"
        )
        seconds, _peak, response = timed(lambda target=target: client.get(target), repeat=3)
        rows.append((f"region {name}", seconds * 1000, "ms", f"{len(response.content)} bytes"))

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL, [CODE])
            return cursor.fetchall()

    seconds, _peak, raw_rows = timed(raw)
    rows.append(
        (f"raw SQL of the same aggregation ({len(raw_rows)} rows)", seconds * 1000, "ms",
         "latest validated per administration, GROUP BY administration, area")
    )  # fmt: skip

    # The page's numbers equal the raw SQL's.
    page = {
        (item.organisation.pk, area.area.pk): area.score
        for item in results.administrations
        for area in item.score.areas
        if area.score is not None
    }
    raw_scores = {
        (org, area): Decimal(str(weighted)).quantize(scoring.CENT)
        / Decimal(str(weights)).quantize(scoring.CENT)
        for org, area, weighted, weights in raw_rows
        if weights
    }
    mismatches = [
        key
        for key, value in raw_scores.items()
        if key not in page or scoring.display(page[key], 6) != scoring.display(value, 6)
    ]
    if mismatches or len(page) != len(raw_scores):
        raise RuntimeError(f"page and raw SQL disagree on {len(mismatches)} cells")
    rows.append(("page == raw SQL", len(page), "cells", "every administration × area equal"))
    return rows


def get_secretariat():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="bench.secretariat")


def run(args=None):
    """Generate, measure, print a table; returns the rows (for --json)."""
    say("assessments: generating 200 questions × every administration × 2 rounds ...")
    counts = generate(seed=getattr(args, "seed", 2026))
    say(
        f"  {counts['administrations']} administrations, {counts['rounds']} rounds, "
        f"{counts['assessments']} assessments, {counts['answers']} answers "
        f"in {counts['seconds']:.1f} s"
    )
    rows = measure()
    width = max(len(name) for name, *_ in rows)
    say()
    say(f"{'assessments benchmark':<{width}}  {'figure':>10}  unit      note")
    for name, figure, unit, note in rows:
        say(f"{name:<{width}}  {figure:>10.1f}  {unit:<8}  {note}")
    say()
    return [
        {"name": name, "figure": round(figure, 2), "unit": unit, "note": note}
        for name, figure, unit, note in rows
    ]


def main(argv=None):
    """Standalone: the same set-up as bench/run.py (throwaway database, synthetic network)."""
    from bench import run as bench_run

    argv = list(sys.argv[1:] if argv is None else argv)
    return bench_run.main([*argv, "--assessments-only"])


if __name__ == "__main__":
    sys.exit(main())
