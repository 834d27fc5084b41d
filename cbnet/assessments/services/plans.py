"""National capacity-building plans: an administration's workplan over its needs.

A ``Plan`` (title, period, summary) has ``Milestone``s, each tied (optionally) to one of the
administration's needs, with an owner (a person of the administration), a due date and a
status. A milestone is *overdue* when its due date has passed and it is neither done nor
cancelled (computed, never stored)::

    plan = create_plan(organisation=uy, title="Plan 2026-2027", starts_on=..., ends_on=...,
                       user=ncp)
    save_milestones(plan, [{"title": "Train 20 risk analysts", "due_on": date, "need": need,
                            "owner": person, "status": "planned"}], user=ncp)

Who: whoever may change the plan (``AdministrationRecordPolicy``: the administration's
capacity-building NCPs and head, the region's ROCB officers, the Secretariat). Refusals raise
``ValidationError`` (keyed by field, or by milestone row) or ``PermissionDenied``; nothing is
half-written.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.choices import MilestoneStatus, NeedStatus
from cbnet.assessments.models import Milestone, Need, Plan
from cbnet.core import permissions
from cbnet.core.models import StaleObjectError
from cbnet.directory.models import Person

CLOSED_MILESTONE_STATUSES = frozenset({MilestoneStatus.DONE, MilestoneStatus.CANCELLED})
MILESTONE_FIELDS = ("title", "due_on", "need", "owner", "status", "position")


def is_overdue(milestone, today=None):
    today = today or timezone.localdate()
    return milestone.due_on < today and milestone.status not in CLOSED_MILESTONE_STATUSES


def plan_needs(organisation_id):
    """Needs a plan's milestones may address: the administration's, not withdrawn."""
    return (
        Need.objects.filter(organisation_id=organisation_id, archived_at__isnull=True)
        .exclude(status=NeedStatus.WITHDRAWN)
        .select_related("area")
        .order_by("priority", "pk")
    )


def plan_owners(organisation_id):
    """People who may own a milestone: the administration's people."""
    return Person.objects.filter(
        organisation_id=organisation_id, archived_at__isnull=True
    ).order_by("family_name", "given_name", "pk")


@transaction.atomic
def create_plan(*, organisation, title, starts_on, ends_on, user, summary=""):
    if not permissions.can(user, "add", Plan):
        raise PermissionDenied(_("You may not add capacity-building plans."))
    plan = Plan(
        organisation=organisation,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        summary=summary,
    )
    plan.full_clean()
    plan._history_user = user
    plan.save()
    if not permissions.can(user, "change", plan):
        raise PermissionDenied(_("You may only plan for administrations you answer for."))
    return plan


def _lock_plan(plan, user, version=None):
    base = Plan.objects.select_for_update(of=("self",))
    current = permissions.restrict(base, user, "view").filter(pk=plan.pk).first()
    if current is None:
        raise PermissionDenied(_("You may not see this plan."))
    if not permissions.can(user, "change", current):
        raise PermissionDenied(_("You may read this plan but not change it."))
    if current.archived_at is not None:
        raise ValidationError(_("This plan is archived."))
    if version not in (None, ""):
        try:
            seen = int(version)
        except (TypeError, ValueError):
            raise ValidationError({"version": _("A whole number is required.")}) from None
        if seen != current.version:
            raise StaleObjectError(current)
    return current


def check_milestone(plan, milestone):
    """The milestone's need and owner belong to the plan's administration."""
    errors = {}
    if milestone.need_id is not None and milestone.need.organisation_id != plan.organisation_id:
        errors["need"] = _("The need must be the plan's administration's.")
    if milestone.owner_id is not None and milestone.owner.organisation_id != plan.organisation_id:
        errors["owner"] = _("The owner must be a person of the plan's administration.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_milestones(plan, rows, *, user, delete=(), version=None):
    """Create or update the plan's milestones in one go (all or nothing).

    ``rows``: dicts with ``MILESTONE_FIELDS`` and, to update, ``id``; ``delete``: ids of the
    plan's milestones to remove. ``version`` is the plan's version the user's form was based
    on (stale: ``StaleObjectError``). Errors come back keyed ``"<row number>"`` (from 1).
    The plan's version goes up once.
    """
    current = _lock_plan(plan, user, version)
    existing = {m.pk: m for m in current.milestones.select_related("need", "owner")}
    errors = {}
    to_save = []
    for number, row in enumerate(rows, start=1):
        pk = row.get("id")
        if pk:
            milestone = existing.get(pk)
            if milestone is None:
                errors[str(number)] = [_("This milestone is not the plan's.")]
                continue
        else:
            milestone = Milestone(plan=current)
        for name in MILESTONE_FIELDS:
            if name in row:
                setattr(milestone, name, row[name])
        try:
            milestone.full_clean(exclude=["plan"])
            check_milestone(current, milestone)
        except ValidationError as error:
            errors[str(number)] = error.messages
            continue
        to_save.append(milestone)
    unknown = [str(pk) for pk in delete if pk not in existing]
    if unknown:
        errors["delete"] = [
            _("These milestones are not the plan's: %(ids)s.") % {"ids": ", ".join(unknown)}
        ]
    if errors:
        raise ValidationError(errors)
    for milestone in to_save:
        milestone._history_user = user
        milestone.save()
    for pk in delete:
        existing[pk].delete()
    current._history_user = user
    current.save()
    return current
