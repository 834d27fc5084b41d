"""The needs register: needs from a validated assessment's gaps, their statuses, regional needs.

Every function is atomic, checks the user's right through ``cbnet.core.permissions`` and the
transition table ``choices.NEED_TRANSITIONS``, and records one named workflow event::

    proposals = propose_needs(assessment, user=ncp)   # one per area with a positive gap
    needs_from_assessment(assessment, [{"area": d1, "title": "...", "priority": 1,
                                         "support": ["training"]}], user=ncp)
    create_need(organisation=uy, area=d1, title="...", user=ncp)   # entered directly
    publish(need, user=ncp)                          # draft -> published (all signed in)
    withdraw(need, user=ncp)                         # any open status -> withdrawn
    set_need_status(need, "matched", user=rocb)      # matched / in_progress / met: ROCB
    group_needs(region, needs, title="...", area=d1, priority=2, user=rocb)
    add_to_regional_need(regional, need, user=rocb); remove_from_regional_need(...)
    publish_regional_need(regional, user=rocb)

Who does what (docs/assessments.md, "Needs and plans"):

- the administration's people with rights on its assessment (capacity-building NCP and
  alternate, head of administration: ``Actor.assessment_org_ids``) create, edit (while
  draft or published), publish and withdraw its needs; the Secretariat may too;
- the region's ROCB officers (and the Secretariat) set ``matched``, ``in_progress`` and
  ``met``, and group published needs of several members of their region into regional needs.

A refused operation raises ``ValidationError`` or ``PermissionDenied`` and writes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cbnet.assessments import scoring
from cbnet.assessments.choices import (
    NEED_TRANSITIONS,
    ROCB_NEED_STATUSES,
    AssessmentStatus,
    NeedStatus,
    QuestionKind,
    RegionalNeedStatus,
    Support,
    TfaCategory,
)
from cbnet.assessments.models import Answer, Assessment, Need, RegionalNeed
from cbnet.core import permissions
from cbnet.core.events import record_event, register_event
from cbnet.core.models import StaleObjectError

NEED_PUBLISHED = "need.published"
NEED_WITHDRAWN = "need.withdrawn"
NEED_STATUS_CHANGED = "need.status_changed"
NEEDS_FROM_ASSESSMENT = "need.from_assessment"
REGIONAL_NEED_GROUPED = "regionalneed.grouped"
REGIONAL_NEED_CHANGED = "regionalneed.members_changed"
REGIONAL_NEED_PUBLISHED = "regionalneed.published"

register_event(NEED_PUBLISHED, _("Need published"))
register_event(NEED_WITHDRAWN, _("Need withdrawn"))
register_event(NEED_STATUS_CHANGED, _("Need status changed"))
register_event(NEEDS_FROM_ASSESSMENT, _("Need drawn from an assessment's gaps"))
register_event(REGIONAL_NEED_GROUPED, _("Members' needs grouped into a regional need"))
register_event(REGIONAL_NEED_CHANGED, _("Regional need's member needs changed"))
register_event(REGIONAL_NEED_PUBLISHED, _("Regional need published"))

# The administration edits a need's content while it is a draft or published.
EDITABLE_NEED_STATUSES = frozenset({NeedStatus.DRAFT, NeedStatus.PUBLISHED})


# --- rights ---------------------------------------------------------------------------


def answers_for(user, organisation_id):
    """Whether ``user`` speaks for the administration (or is Secretariat)."""
    actor = permissions.get_actor(user)
    return actor.is_secretariat or organisation_id in actor.assessment_org_ids


def oversees(user, organisation):
    """Whether ``user`` is a ROCB officer of the administration's region (or Secretariat)."""
    actor = permissions.get_actor(user)
    if actor.is_secretariat:
        return True
    return organisation.region_id in actor.rocb_region_ids or (
        organisation.subregion_id is not None and organisation.subregion_id in actor.rocb_region_ids
    )


def may_edit(user, need):
    return (
        need.status in EDITABLE_NEED_STATUSES
        and need.archived_at is None
        and permissions.can(user, "change", need)
    )


def _check_version(current, version):
    if version in (None, ""):
        return
    try:
        seen = int(version)
    except (TypeError, ValueError):
        raise ValidationError({"version": _("A whole number is required.")}) from None
    if seen != current.version:
        raise StaleObjectError(current)


def _lock_need(need, user, version=None):
    base = Need.objects.select_related("organisation").select_for_update(of=("self",))
    try:
        current = permissions.restrict(base, user, "view").get(pk=need.pk)
    except Need.DoesNotExist:
        raise PermissionDenied(_("You may not see this need.")) from None
    if not permissions.can(user, "change", current):
        raise PermissionDenied(_("You may read this need but not change it."))
    if current.archived_at is not None:
        raise ValidationError(_("This need is archived."))
    _check_version(current, version)
    return current


def _transition(current, new_status):
    allowed = NEED_TRANSITIONS[NeedStatus(current.status)]
    if new_status not in allowed:
        raise ValidationError(
            {
                "status": _("A need that is %(old)s cannot become %(new)s.")
                % {"old": NeedStatus(current.status).label, "new": NeedStatus(new_status).label}
            }
        )
    old = current.status
    current.status = new_status
    return old


def _save(obj, user, fields=None):
    obj._history_user = user
    obj.save(update_fields=fields) if fields else obj.save()


def _sync(need, current):
    if need is not current:
        for name in ("status", "version", "updated", "published_at"):
            setattr(need, name, getattr(current, name))
    return need


# --- proposals from an assessment's gaps ------------------------------------------------


def _default_priority(gap):
    """A first guess the user edits: the larger the gap, the higher (1) the priority."""
    if gap >= 2:
        return 1
    if gap >= Decimal("1.5"):
        return 2
    if gap >= 1:
        return 3
    if gap >= Decimal("0.5"):
        return 4
    return 5


def _check_from_assessment(user, assessment):
    if assessment.status != AssessmentStatus.VALIDATED:
        raise ValidationError(_("Needs are drawn only from a validated assessment."))
    actor = permissions.get_actor(user)
    if assessment.organisation_id not in actor.assessment_org_ids:
        raise PermissionDenied(
            _("Only the administration's NCPs and head of administration turn its gaps into needs.")
        )


def propose_needs(assessment, *, user):
    """One proposal per area of the assessment with a positive gap (target − score):

    ``[{"area", "score", "target", "gap", "title", "priority", "answers", "existing"}]`` where
    ``answers`` are the area's maturity answers below the target (the answers behind the
    need) and ``existing`` a need already drawn from this assessment for the area, if any.
    Raises like ``needs_from_assessment`` when the user may not draw needs from it.
    """
    visible = permissions.restrict(Assessment.objects.select_related("round"), user, "view")
    assessment = visible.filter(pk=assessment.pk).first()
    if assessment is None:
        raise PermissionDenied(_("You may not see this assessment."))
    _check_from_assessment(user, assessment)
    scores = scoring.score_assessment(assessment)
    gaps = [a for a in scores.areas if a.gap is not None and a.gap > 0]
    if not gaps:
        return []
    answers = list(
        Answer.objects.filter(
            assessment=assessment,
            question__questionnaire_id=assessment.round.questionnaire_id,
            question__kind=QuestionKind.MATURITY,
            question__area_id__in=[a.area.pk for a in gaps],
            level__isnull=False,
        )
        .select_related("question")
        .order_by("question__position", "question__code")
    )
    existing = {
        need.area_id: need
        for need in Need.objects.filter(assessment=assessment, archived_at__isnull=True).exclude(
            status=NeedStatus.WITHDRAWN
        )
    }
    proposals = []
    for area_score in gaps:
        area = area_score.area
        behind = [
            a for a in answers if a.question.area_id == area.pk and a.level < area_score.target
        ]
        gap = scoring.display(area_score.gap)
        proposals.append(
            {
                "area": area,
                "score": scoring.display(area_score.score),
                "target": scoring.display(area_score.target),
                "gap": gap,
                "title": str(area.name),
                "priority": _default_priority(gap),
                "answers": behind,
                "existing": existing.get(area.pk),
            }
        )
    return proposals


@transaction.atomic
def needs_from_assessment(assessment, selections, *, user):
    """Create draft needs from a validated assessment's gaps (all or nothing).

    ``selections`` is a list of dicts, one per need: ``area`` (an Area or its id, one of the
    proposals' areas), ``title`` (text or multilingual value), and optionally
    ``description``, ``priority`` (1-5), ``support`` (kinds from ``choices.Support``),
    ``tfa_category`` and ``answers`` (ids among the proposal's answers; default: all of
    them). Errors come back keyed by the area's code.
    """
    locked = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("round")
        .filter(pk=assessment.pk)
    )
    current = permissions.restrict(locked, user, "view").first()
    if current is None:
        raise PermissionDenied(_("You may not see this assessment."))
    proposals = {p["area"].pk: p for p in propose_needs(current, user=user)}
    if not selections:
        raise ValidationError(_("Choose at least one area to turn into a need."))
    errors = {}
    created = []
    seen = set()
    for selection in selections:
        area = selection.get("area")
        area_id = getattr(area, "pk", area)
        proposal = proposals.get(area_id)
        if proposal is None:
            errors.setdefault(str(area_id), []).append(
                _("This area has no gap to turn into a need in this assessment.")
            )
            continue
        key = proposal["area"].code
        if area_id in seen:
            errors.setdefault(key, []).append(_("This area is chosen twice."))
            continue
        seen.add(area_id)
        if proposal["existing"] is not None:
            errors.setdefault(key, []).append(
                _("A need was already drawn from this assessment for this area: %(need)s.")
                % {"need": proposal["existing"]}
            )
            continue
        allowed = {a.pk: a for a in proposal["answers"]}
        wanted = selection.get("answers")
        if wanted is None:
            chosen = list(allowed.values())
        else:
            ids = [getattr(a, "pk", a) for a in wanted]
            unknown = [str(i) for i in ids if i not in allowed]
            if unknown:
                errors.setdefault(key, []).append(
                    _("These answers are not behind this area's gap: %(ids)s.")
                    % {"ids": ", ".join(unknown)}
                )
                continue
            chosen = [allowed[i] for i in ids]
        need = Need(
            organisation_id=current.organisation_id,
            area=proposal["area"],
            title=selection.get("title") or proposal["title"],
            description=selection.get("description") or "",
            priority=(
                proposal["priority"]
                if selection.get("priority") in (None, "")
                else selection["priority"]
            ),
            support=[str(kind) for kind in selection.get("support") or []],
            tfa_category=selection.get("tfa_category") or "",
            assessment=current,
        )
        try:
            need.full_clean()
        except ValidationError as error:
            for message in error.messages:
                errors.setdefault(key, []).append(message)
            continue
        created.append((need, chosen))
    if errors:
        raise ValidationError(errors)
    for need, chosen in created:
        _save(need, user)
        need.answers.set(chosen)
        record_event(
            NEEDS_FROM_ASSESSMENT,
            need,
            actor=user,
            new={"assessment": str(current), "area": need.area.code},
            organisation=current.organisation,
        )
    return [need for need, _chosen in created]


# --- needs entered directly, edits ----------------------------------------------------


def clean_support(values):
    values = list(values or [])
    unknown = sorted({str(v) for v in values} - set(Support.values))
    if unknown:
        raise ValidationError(
            {"support": _("Unknown kinds of support: %(kinds)s.") % {"kinds": ", ".join(unknown)}}
        )
    return [v for v in Support.values if v in values]


@transaction.atomic
def create_need(
    *,
    organisation,
    area,
    title,
    user,
    description="",
    priority=3,
    support=(),
    tfa_category="",
    assessment=None,
    answers=(),
):
    """A draft need entered directly by the administration (or the Secretariat)."""
    if not permissions.can(user, "add", Need) or not answers_for(user, organisation.pk):
        raise PermissionDenied(
            _("Only the administration's NCPs and head of administration enter its needs.")
        )
    if tfa_category and tfa_category not in TfaCategory.values:
        raise ValidationError({"tfa_category": _("Unknown TFA category.")})
    need = Need(
        organisation=organisation,
        area=area,
        title=title,
        description=description,
        priority=priority,
        support=clean_support(support),
        tfa_category=tfa_category or "",
        assessment=assessment,
    )
    need.full_clean()
    answers = list(answers)
    check_answers(need, answers)
    _save(need, user)
    if answers:
        need.answers.set(answers)
    return need


def check_answers(need, answers):
    """The answers behind a need belong to its assessment, of its administration."""
    if need.assessment_id is not None and need.assessment.organisation_id != need.organisation_id:
        raise ValidationError({"assessment": _("The assessment must be the administration's.")})
    wrong = [a for a in answers if a.assessment_id != need.assessment_id]
    if wrong:
        raise ValidationError(
            {"answers": _("The answers behind a need must come from its assessment.")}
        )


# --- statuses ---------------------------------------------------------------------------


def _change_status(need, current, status, event, user, **fields):
    """Move the locked row ``current`` to ``status`` (checked against the transitions), save
    it with ``fields``, record ``event`` with the old and new status; ``need`` follows."""
    old = _transition(current, status)
    for name, value in fields.items():
        setattr(current, name, value)
    _save(current, user)
    record_event(
        event,
        current,
        actor=user,
        old={"status": old},
        new={"status": current.status},
        organisation=current.organisation,
    )
    return _sync(need, current)


@transaction.atomic
def publish(need, *, user, version=None):
    """draft -> published: visible to every signed-in user (partners included)."""
    current = _lock_need(need, user, version)
    if not answers_for(user, current.organisation_id):
        raise PermissionDenied(
            _("Only the administration's NCPs and head of administration publish its needs.")
        )
    return _change_status(
        need, current, NeedStatus.PUBLISHED, NEED_PUBLISHED, user, published_at=timezone.now()
    )


@transaction.atomic
def withdraw(need, *, user, version=None):
    """Any open status -> withdrawn (final), by the administration or the Secretariat."""
    current = _lock_need(need, user, version)
    if not answers_for(user, current.organisation_id):
        raise PermissionDenied(
            _("Only the administration's NCPs and head of administration withdraw its needs.")
        )
    return _change_status(need, current, NeedStatus.WITHDRAWN, NEED_WITHDRAWN, user)


@transaction.atomic
def set_need_status(need, status, *, user, version=None):
    """matched / in_progress / met, set by hand by the region's ROCB officers (or the
    Secretariat); the administration cannot set them."""
    if status not in ROCB_NEED_STATUSES:
        raise ValidationError({"status": _("Only matched, in progress and met are set this way.")})
    current = _lock_need(need, user, version)
    if not oversees(user, current.organisation):
        raise PermissionDenied(
            _("Only the region's ROCB officers and the Secretariat set this status.")
        )
    return _change_status(need, current, status, NEED_STATUS_CHANGED, user)


# --- regional needs ---------------------------------------------------------------------


def _check_region(user, region):
    actor = permissions.get_actor(user)
    if region is None or region.parent_id is not None:
        raise ValidationError({"region": _("Regional needs belong to a region.")})
    if not (actor.is_secretariat or region.pk in actor.rocb_region_ids):
        raise PermissionDenied(
            _("Only the region's ROCB officers and the Secretariat group needs of the region.")
        )


def _check_member_needs(region, needs):
    """Published needs of member administrations of ``region``."""
    errors = []
    for need in needs:
        if need.status != NeedStatus.PUBLISHED:
            errors.append(
                _("%(need)s is not published: only published needs are grouped.") % {"need": need}
            )
        elif need.organisation.region_id != region.pk:
            errors.append(
                _("%(need)s is a need of %(organisation)s, outside the region.")
                % {"need": need, "organisation": need.organisation}
            )
        elif need.archived_at is not None:
            errors.append(_("%(need)s is archived.") % {"need": need})
    if errors:
        raise ValidationError({"needs": errors})


def _member_needs(user, needs):
    ids = [getattr(n, "pk", n) for n in needs]
    found = {
        n.pk: n
        for n in permissions.restrict(
            Need.objects.select_related("organisation"), user, "view"
        ).filter(pk__in=ids)
    }
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError({"needs": _("Unknown needs: %(ids)s.") % {"ids": ", ".join(missing)}})
    return [found[i] for i in dict.fromkeys(ids)]


@transaction.atomic
def group_needs(region, needs, *, title, area, user, priority=3, description=""):
    """A draft regional need standing for published needs of several members of ``region``."""
    _check_region(user, region)
    needs = _member_needs(user, needs)
    _check_member_needs(region, needs)
    if len({n.organisation_id for n in needs}) < 2:
        raise ValidationError(
            {"needs": _("A regional need groups the needs of at least two members.")}
        )
    regional = RegionalNeed(
        region=region, area=area, title=title, description=description, priority=priority
    )
    regional.full_clean()
    _save(regional, user)
    regional.needs.set(needs)
    record_event(
        REGIONAL_NEED_GROUPED,
        regional,
        actor=user,
        new={"needs": [str(n) for n in needs]},
    )
    return regional


def _lock_regional(regional, user):
    base = RegionalNeed.objects.select_related("region").select_for_update(of=("self",))
    current = permissions.restrict(base, user, "change").filter(pk=regional.pk).first()
    if current is None:
        if (
            permissions.restrict(RegionalNeed.objects.all(), user, "view")
            .filter(pk=regional.pk)
            .exists()
        ):
            raise PermissionDenied(_("You may read this regional need but not change it."))
        raise PermissionDenied(_("You may not see this regional need."))
    if current.archived_at is not None:
        raise ValidationError(_("This regional need is archived."))
    if current.status in (RegionalNeedStatus.MET, RegionalNeedStatus.WITHDRAWN):
        raise ValidationError(_("This regional need is closed."))
    return current


@transaction.atomic
def add_to_regional_need(regional, need, *, user):
    current = _lock_regional(regional, user)
    (need,) = _member_needs(user, [need])
    _check_member_needs(current.region, [need])
    if current.needs.filter(pk=need.pk).exists():
        raise ValidationError({"needs": _("This need is already part of the regional need.")})
    current.needs.add(need)
    _touch(current, user, added=need)
    return current


@transaction.atomic
def remove_from_regional_need(regional, need, *, user):
    current = _lock_regional(regional, user)
    need_id = getattr(need, "pk", need)
    members = list(current.needs.select_related("organisation"))
    if need_id not in {n.pk for n in members}:
        raise ValidationError({"needs": _("This need is not part of the regional need.")})
    remaining = [n for n in members if n.pk != need_id]
    if len({n.organisation_id for n in remaining}) < 2:
        raise ValidationError(
            {
                "needs": _(
                    "A regional need stands for the needs of at least two members: archive it "
                    "instead."
                )
            }
        )
    current.needs.remove(need_id)
    _touch(current, user, removed=next(n for n in members if n.pk == need_id))
    return current


def _touch(current, user, *, added=None, removed=None):
    _save(current, user)  # a new version: open forms of the regional need become stale
    record_event(
        REGIONAL_NEED_CHANGED,
        current,
        actor=user,
        old={"need": str(removed)} if removed is not None else None,
        new={"need": str(added)} if added is not None else None,
    )


@transaction.atomic
def publish_regional_need(regional, *, user):
    """draft -> published: part of the region's plan of needs, visible to all signed in."""
    current = _lock_regional(regional, user)
    if current.status != RegionalNeedStatus.DRAFT:
        raise ValidationError(_("Only a draft regional need can be published."))
    current.status = RegionalNeedStatus.PUBLISHED
    _save(current, user)
    record_event(
        REGIONAL_NEED_PUBLISHED,
        current,
        actor=user,
        old={"status": RegionalNeedStatus.DRAFT},
        new={"status": current.status},
    )
    return current


def region_plan(region, user):
    """The region's plan of needs: its published regional needs, highest priority first,
    through the permission door, with their member needs."""
    return (
        permissions.restrict(RegionalNeed.objects.all(), user, "view")
        .filter(region=region, status=RegionalNeedStatus.PUBLISHED, archived_at__isnull=True)
        .select_related("area", "region")
        .prefetch_related("needs__organisation")
        .order_by("priority", "area__position", "pk")
    )
