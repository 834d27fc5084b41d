"""The assessments demo: a finished round and a round under way for the AMS members.

``load_assessments_demo()`` is called by ``cbnet.directory.demo.load_demo`` (so by
``manage.py load_demo`` and ``make run``) after the directory and the seeded questionnaires.
It reads ``data/demo-profiles.json`` (invented, plausible answers; ``data/README.md``) and
builds, with dates relative to today:

- **the finished round** (opened about 14 months ago, due about a year ago): every AMS
  member's assessment validated by the ROCB officer (``rocb.ams``), with the profile's
  answers and comments; each member's target levels; its needs (draft, published or
  matched), drawn from that assessment with the answers behind them; one regional need
  grouping the members' published human-resources needs; Uruguay's national
  capacity-building plan with milestones; and Uruguay's assessment shared with the IDB (so
  ``partner.idb`` sees it);
- **the round under way** (opened 25 days ago, due in 35): Uruguay in progress (answered by
  ``ncp.uy`` through ``services.workflow.save_answers``), Brazil submitted, Colombia and
  Guatemala returned with the ROCB's comment, Argentina, Canada and Chile validated, some
  members not started.

Services or direct writes. The services are used wherever a demo login may act: Uruguay's
answers, returning and validating (``rocb.ams``), targets, needs (the member's demo login
where it has one, else the Secretariat, which may enter needs for any administration),
publishing and matching needs, grouping them, the plan and the share. They check rights,
record the named events and write the history. Where no service can act — members without a
demo login fill in nothing through the services, and the workflow refuses edits to a round
that has closed — and for the rounds themselves (a Round and one not-started Assessment per
member, without telling 31 administrations about a round long over) the loader writes the
rows directly, with history rows dated when the step
happened (change reason "demo data") and the same events (``round.opened``,
``assessment.started``/``submitted``/``validated``) with ``occurred_at`` set.

No e-mail. The services notify the people concerned: the notifications are written to their
inboxes (the demo shows them), but the loader runs with Django's dummy e-mail backend, so
loading the demo never tries to reach a mail server and never writes to fictional addresses.

Idempotent. Each round is found by its name and region; when it exists, its whole part
(assessments, answers, and for the finished round the targets, needs, regional need, plan
and share) is left as it is, so a second load writes nothing and edits made in the demo
survive. Each part is one transaction: a failed load leaves nothing half-written.
"""

from __future__ import annotations

import datetime
import json
import zlib
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from cbnet.assessments.choices import AssessmentStatus, NeedStatus
from cbnet.assessments.models import (
    Answer,
    AreaTarget,
    Assessment,
    Need,
    Plan,
    Question,
    Questionnaire,
    Round,
)
from cbnet.directory.models import Organisation, Person, Region

PROFILES = Path(__file__).resolve().parent / "data" / "demo-profiles.json"
CHANGE_REASON = "demo data"
REGION = "AMS"
FINISHED, UNDER_WAY = "finished", "under_way"
# Demo logins that answer for their administration (cbnet/directory/demo.py LOGIN_ROLES).
MEMBER_LOGINS = {"UY": "ncp.uy", "BR": "ncp.br"}
ROCB_LOGIN = "rocb.ams"
SECRETARIAT_LOGIN = "secretariat"
PARTNER_SHARED_WITH = ("IDB", "Inter-American Development Bank")
# The regional need groups the members' published needs with this profile key.
REGIONAL_KEY = "hr"
NO_EMAIL = "django.core.mail.backends.dummy.EmailBackend"
# Declared by services/rounds.py; recorded when declared.
ROUND_OPENED = "round.opened"


def read_profiles(path=PROFILES):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _spread(key, low, high):
    """A day count in ``[low, high]`` fixed by ``key`` (stable from one load to the next)."""
    return low + zlib.crc32(key.encode()) % (high - low + 1)


def _at(day, hour=10):
    """An aware datetime on ``day`` (a date) at ``hour`` in the platform's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


class _Context:
    """What every part of the loader needs: today, the users, the rows looked up once."""

    def __init__(self, profiles, today):
        self.profiles = profiles
        self.today = today
        User = get_user_model()
        names = [ROCB_LOGIN, SECRETARIAT_LOGIN, *MEMBER_LOGINS.values()]
        self.users = {u.username: u for u in User.objects.filter(username__in=names)}
        self.rocb = self.users[ROCB_LOGIN]
        self.secretariat = self.users[SECRETARIAT_LOGIN]
        self.region = Region.objects.get(code=profiles["rounds"][FINISHED]["region"])
        self.questionnaire = Questionnaire.objects.get(
            code=profiles["questionnaire"], version=profiles["version"]
        )
        self.questions = {
            q.code: q for q in Question.objects.filter(questionnaire=self.questionnaire)
        }
        self.areas = {q.area.code: q.area for q in self.questions.values()}
        members = Organisation.objects.filter(
            kind="member_administration",
            region=self.region,
            country__in=list(profiles["administrations"]),
            archived_at__isnull=True,
        )
        self.members = {org.country: org for org in members}

    def member_user(self, iso2):
        return self.users.get(MEMBER_LOGINS.get(iso2, ""))

    def round_dates(self, part):
        spec = self.profiles["rounds"][part]
        return (
            self.today + datetime.timedelta(days=spec["opens_in_days"]),
            self.today + datetime.timedelta(days=spec["due_in_days"]),
        )


# --- answers ------------------------------------------------------------------------------


def _answer_rows(ctx, assessment, spec):
    rows = []
    comments = spec.get("comments", {})
    for code, level in spec.get("levels", {}).items():
        question = ctx.questions[code]
        answer = Answer(assessment=assessment, question=question, comment=comments.get(code, ""))
        if level == "na":
            answer.not_applicable = True
        else:
            answer.level = int(level)
        rows.append(answer)
    return rows


def _write_answers(ctx, assessment, spec, when):
    rows = _answer_rows(ctx, assessment, spec)
    if rows:
        bulk_create_with_history(
            rows, Answer, default_change_reason=CHANGE_REASON, default_date=when
        )
    return len(rows)


def _save(obj, when, user=None):
    obj._history_date = when
    obj._history_user = user
    obj._change_reason = CHANGE_REASON
    obj.save()


def _record(name, obj, old, new, when, actor=None):
    from cbnet.core.events import record_event

    record_event(
        name,
        obj,
        actor=actor,
        old={"status": old},
        new={"status": new},
        organisation=obj.organisation,
        occurred_at=when,
    )


def _fill_in_directly(ctx, assessment, spec, status, opens_on, due_on):
    """Answers and status for an administration without a demo login: direct writes with
    the events the services would have recorded (no actor), dated inside the round."""
    from cbnet.assessments.services import workflow

    iso2 = assessment.organisation.country
    started = _at(opens_on + datetime.timedelta(days=_spread(iso2 + "start", 1, 6)))
    submitted = _at(min(due_on, ctx.today) - datetime.timedelta(days=_spread(iso2, 0, 5)), 16)
    count = _write_answers(ctx, assessment, spec, started)
    assessment.status = AssessmentStatus.IN_PROGRESS
    _save(assessment, started)
    _record(workflow.STARTED, assessment, AssessmentStatus.NOT_STARTED, assessment.status, started)
    if status != AssessmentStatus.IN_PROGRESS:
        assessment.status = AssessmentStatus.SUBMITTED
        assessment.submitted_at = submitted
        _save(assessment, submitted)
        _record(
            workflow.SUBMITTED,
            assessment,
            AssessmentStatus.IN_PROGRESS,
            assessment.status,
            submitted,
        )
    return count, submitted


# --- the finished round -------------------------------------------------------------------


def _time_zone(region):
    """The region's ROCB's time zone, else the platform's (what opening a round defaults to)."""
    rocb = (
        Organisation.objects.filter(kind="rocb", region=region, archived_at__isnull=True)
        .exclude(time_zone="")
        .order_by("pk")
        .first()
    )
    return rocb.time_zone if rocb is not None else settings.TIME_ZONE


def _open_round(ctx, part):
    """The round and one not-started assessment per member, as opened on its first day by
    the ROCB officer (with the event ``round.opened`` once the rounds service declares it)."""
    from cbnet.core.events import EVENT_KINDS, record_event

    spec = ctx.profiles["rounds"][part]
    opens_on, due_on = ctx.round_dates(part)
    opened = _at(opens_on, 9)
    round_ = Round(
        name=spec["name"],
        questionnaire=ctx.questionnaire,
        region=ctx.region,
        opens_on=opens_on,
        due_on=due_on,
        time_zone=_time_zone(ctx.region),
    )
    round_.full_clean()
    _save(round_, opened, ctx.rocb)
    assessments = {}
    for iso2 in ctx.profiles["administrations"]:
        assessment = Assessment(round=round_, organisation=ctx.members[iso2])
        _save(assessment, opened, ctx.rocb)
        assessments[iso2] = assessment
    if ROUND_OPENED in EVENT_KINDS:
        record_event(
            ROUND_OPENED,
            round_,
            actor=ctx.rocb,
            new={
                "questionnaire": ctx.questionnaire,
                "opens_on": opens_on,
                "due_on": due_on,
                "time_zone": round_.time_zone,
                "administrations": len(assessments),
            },
            occurred_at=opened,
        )
    return round_, assessments


def _finished_round(ctx):
    from cbnet.assessments.services import workflow

    opens_on, due_on = ctx.round_dates(FINISHED)
    round_, assessments = _open_round(ctx, FINISHED)
    for iso2, profile in ctx.profiles["administrations"].items():
        assessment = assessments[iso2]
        _count, submitted = _fill_in_directly(
            ctx, assessment, profile["rounds"][FINISHED], "submitted", opens_on, due_on
        )
        validated = submitted + datetime.timedelta(days=_spread(iso2 + "val", 8, 30))
        assessment.status = AssessmentStatus.VALIDATED
        assessment.validated_at = validated
        assessment.validated_by = ctx.rocb
        _save(assessment, validated, ctx.rocb)
        _record(
            workflow.VALIDATED,
            assessment,
            AssessmentStatus.SUBMITTED,
            assessment.status,
            validated,
            actor=ctx.rocb,
        )
    return round_, assessments


def _targets(ctx):
    from cbnet.assessments.services.targets import set_targets

    framework_id = ctx.questionnaire.framework_id
    for iso2, profile in ctx.profiles["administrations"].items():
        organisation = ctx.members[iso2]
        if AreaTarget.objects.filter(
            organisation=organisation, area__framework_id=framework_id
        ).exists():
            continue  # set (or edited) in the demo already
        levels = {ctx.areas[code]: level for code, level in profile["targets"].items()}
        set_targets(organisation, levels, user=ctx.rocb)


def _needs(ctx, assessments):
    """The members' needs from the finished round; returns {(iso2, key): Need}."""
    from cbnet.assessments.services import needs as needs_services

    created = {}
    for iso2, profile in ctx.profiles["administrations"].items():
        organisation = ctx.members[iso2]
        assessment = assessments[iso2]
        user = ctx.member_user(iso2) or ctx.secretariat
        answers = {a.question.code: a for a in assessment.answers.select_related("question").all()}
        for spec in profile["needs"]:
            need = needs_services.create_need(
                organisation=organisation,
                area=ctx.areas[spec["area"]],
                title=spec["title"],
                description=spec.get("description") or "",
                priority=spec["priority"],
                support=spec.get("support") or [],
                tfa_category=spec.get("tfa_category") or "",
                assessment=assessment,
                answers=[answers[code] for code in spec.get("answers", [])],
                user=user,
            )
            if spec["status"] in (NeedStatus.PUBLISHED, NeedStatus.MATCHED):
                needs_services.publish(need, user=user)
                published = assessment.validated_at + datetime.timedelta(
                    days=_spread(iso2 + spec["key"], 10, 40)
                )
                Need.objects.filter(pk=need.pk).update(published_at=published)
            if spec["status"] == NeedStatus.MATCHED:
                needs_services.set_need_status(need, NeedStatus.MATCHED, user=ctx.rocb)
            created[(iso2, spec["key"])] = need
    return created


REGIONAL_TITLE = {
    "original": "en",
    "texts": {
        "en": {
            "text": "Competency-based human resource management in the region's administrations",
            "status": "original",
        },
        "es": {
            "text": "Gestión de recursos humanos por competencias en las administraciones de "
            "la región",
            "status": "translated",
        },
        "fr": {
            "text": "Gestion des ressources humaines par compétences dans les administrations "
            "de la région",
            "status": "translated",
        },
        "pt": {
            "text": "Gestão de recursos humanos por competências nas administrações da região",
            "status": "translated",
        },
    },
}
REGIONAL_DESCRIPTION = {
    "original": "en",
    "texts": {
        "en": {
            "text": "Several members ask for help to write competency-based job descriptions "
            "and tie recruitment, appraisal and careers to them: one regional programme "
            "(a workshop, then expert missions) answers them together.",
            "status": "original",
        },
        "es": {
            "text": "Varios miembros piden apoyo para redactar descripciones de puestos por "
            "competencias y vincular a ellas el ingreso, la evaluación y la carrera: un "
            "programa regional (un taller y luego misiones de expertos) les responde en "
            "conjunto.",
            "status": "translated",
        },
    },
}


def _regional_need(ctx, needs):
    from cbnet.assessments.services import needs as needs_services

    grouped = [
        need
        for (_iso2, key), need in sorted(needs.items())
        if key == REGIONAL_KEY and need.status == NeedStatus.PUBLISHED
    ]
    if len({n.organisation_id for n in grouped}) < 2:
        return None
    regional = needs_services.group_needs(
        ctx.region,
        grouped,
        title=REGIONAL_TITLE,
        description=REGIONAL_DESCRIPTION,
        area=grouped[0].area,
        priority=1,
        user=ctx.rocb,
    )
    needs_services.publish_regional_need(regional, user=ctx.rocb)
    return regional


def _uruguay_plan(ctx, needs):
    from cbnet.assessments.services import plans

    user = ctx.member_user("UY")
    organisation = ctx.members["UY"]
    if user is None or Plan.objects.filter(organisation=organisation).exists():
        return None
    start = ctx.today - datetime.timedelta(days=90)
    plan = plans.create_plan(
        organisation=organisation,
        title=f"Plan nacional de fortalecimiento de capacidades {start.year}–{start.year + 2}",
        starts_on=start,
        ends_on=start + datetime.timedelta(days=730),
        summary=(
            "Plan de la Dirección Nacional de Aduanas sobre las necesidades surgidas de la "
            "autoevaluación diagnóstica regional: formación basada en competencias, "
            "integridad, análisis de datos y medición del desempeño."
        ),
        user=user,
    )
    people = {
        p.family_name: p
        for p in Person.objects.filter(organisation=organisation, archived_at__isnull=True)
    }

    def day(offset):
        return ctx.today + datetime.timedelta(days=offset)

    rows = [
        ("Diagnóstico de necesidades de formación por puesto", "tna", "Fernández", -45, "done"),
        ("Programa de formación por competencias para 60 funcionarios", "tna", "Fernández",
         120, "in_progress"),
        ("Curso virtual de integridad para todo el personal", "integrity", "Suárez", -10,
         "delayed"),
        ("Plan de acción de integridad aprobado por la Dirección", "integrity", "Ramírez", 90,
         "planned"),
        ("Tablero de indicadores de desempeño de los puestos de frontera", "performance",
         "Núñez", 200, "planned"),
        ("Unidad de análisis de datos con dos analistas formados", "analytics", "Núñez", 320,
         "planned"),
    ]  # fmt: skip
    milestones = [
        {
            "title": title,
            "need": needs.get(("UY", key)),
            "owner": people.get(owner),
            "due_on": day(offset),
            "status": status,
            "position": position,
        }
        for position, (title, key, owner, offset, status) in enumerate(rows)
    ]
    plans.save_milestones(plan, milestones, user=user)
    return plan


def _share_with_partner(ctx, assessments):
    from cbnet.assessments.services import workflow

    user = ctx.member_user("UY")
    acronym, name = PARTNER_SHARED_WITH
    partner = (
        Organisation.objects.filter(kind="development_partner", acronym=acronym, name=name)
        .order_by("pk")
        .first()
    )
    if user is None or partner is None:
        return None
    return workflow.share(assessments["UY"], partner, user=user)


# --- the round under way ------------------------------------------------------------------


def _round_under_way(ctx):
    from cbnet.assessments.services import workflow

    opens_on, due_on = ctx.round_dates(UNDER_WAY)
    round_, assessments = _open_round(ctx, UNDER_WAY)
    for iso2, profile in ctx.profiles["administrations"].items():
        assessment = assessments[iso2]
        answers = profile["rounds"][UNDER_WAY]
        status = answers["status"]
        if status == AssessmentStatus.NOT_STARTED:
            continue
        user = ctx.member_user(iso2)
        if status == AssessmentStatus.IN_PROGRESS and user is not None:
            given = {
                code: ({"not_applicable": True} if level == "na" else {"level": level})
                for code, level in answers["levels"].items()
            }
            for code, comment in answers.get("comments", {}).items():
                given.setdefault(code, {})["comment"] = comment
            workflow.save_answers(assessment, given, user=user)
            continue
        _fill_in_directly(ctx, assessment, answers, status, opens_on, due_on)
        if status == AssessmentStatus.RETURNED:
            workflow.return_assessment(
                assessment, user=ctx.rocb, comment=answers.get("review_comment") or "-"
            )
        elif status == AssessmentStatus.VALIDATED:
            workflow.validate(assessment, user=ctx.rocb)
    return round_


# --- entry point ----------------------------------------------------------------------------


def _exists(ctx, part):
    name = ctx.profiles["rounds"][part]["name"]
    return Round.objects.filter(name=name, region=ctx.region).exists()


def load_assessments_demo(today=None, profiles=None):
    """Create the demo rounds that are missing; returns ``{"created": rounds created}``."""
    profiles = profiles or read_profiles()
    today = today or timezone.localdate()
    created = 0
    with override_settings(EMAIL_BACKEND=NO_EMAIL):
        ctx = _Context(profiles, today)
        if not _exists(ctx, FINISHED):
            with transaction.atomic():
                _round, assessments = _finished_round(ctx)
                _targets(ctx)
                needs = _needs(ctx, assessments)
                _regional_need(ctx, needs)
                _uruguay_plan(ctx, needs)
                _share_with_partner(ctx, assessments)
            created += 1
        if not _exists(ctx, UNDER_WAY):
            with transaction.atomic():
                _round_under_way(ctx)
            created += 1
    return {"created": created}
