"""Target levels: what an administration aims for per capability area (gap = target − score).

``set_targets(organisation, {area: level or None}, user=...)`` writes them all or nothing:
``None`` removes a target. Who: the administration's capacity-building NCPs and head, its
region's ROCB officers, the Secretariat (``PermissionDenied`` otherwise). A level must be
between 0 and the maximum of the maturity scale the framework's questionnaires use
(``ValidationError`` naming the area). Records the event ``assessment.targets_changed``.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.models import AreaTarget, Questionnaire
from cbnet.capabilities.models import MaturityLevel
from cbnet.core import permissions
from cbnet.core.events import record_event, register_event

TARGETS_CHANGED = "assessment.targets_changed"
register_event(TARGETS_CHANGED, _("Target levels changed"))


def may_set_targets(user, organisation):
    """The administration's NCPs and head, its region's ROCB officers, the Secretariat."""
    actor = permissions.get_actor(user)
    if actor.is_secretariat or organisation.pk in actor.assessment_org_ids:
        return True
    return organisation.region_id in actor.rocb_region_ids or (
        organisation.subregion_id is not None and organisation.subregion_id in actor.rocb_region_ids
    )


def scale_max(framework):
    """The highest level of the scale the framework's (latest) questionnaire uses, else of
    any scale (4 on the WCO maturity scale)."""
    scale_id = (
        Questionnaire.objects.filter(framework=framework, scale__isnull=False)
        .order_by("-created")
        .values_list("scale_id", flat=True)
        .first()
    )
    levels = MaturityLevel.objects.all()
    if scale_id is not None:
        levels = levels.filter(scale_id=scale_id)
    top = levels.aggregate(top=Max("level"))["top"]
    return Decimal(4 if top is None else top)


def check_level(area, level, top):
    """The level as a Decimal with two places, or a ValidationError naming the area."""
    try:
        value = Decimal(str(level))
    except (InvalidOperation, ValueError, TypeError):
        value = None
    if value is None or not value.is_finite():
        raise ValidationError(
            _("%(area)s: the target level must be a number.") % {"area": area.code}
        )
    if value < 0 or value > top:
        raise ValidationError(
            _("%(area)s: the target level must be between 0 and %(top)s.")
            % {"area": area.code, "top": top}
        )
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError(
            _("%(area)s: the target level has at most two decimals.") % {"area": area.code}
        )
    return value.quantize(Decimal("0.01"))


@transaction.atomic
def set_targets(organisation, levels, *, user):
    """Set (or, with None, remove) the target level of each area given; returns the number
    of targets changed. All or nothing."""
    if organisation.kind != "member_administration" or not may_set_targets(user, organisation):
        raise PermissionDenied
    if not levels:
        return 0
    frameworks = {area.framework_id for area in levels}
    if len(frameworks) != 1:
        raise ValidationError(_("Targets are set for the areas of one framework at a time."))
    top = scale_max(levels and next(iter(levels)).framework)
    errors = []
    checked = {}
    for area, level in levels.items():
        if level is None or level == "":
            checked[area] = None
            continue
        try:
            checked[area] = check_level(area, level, top)
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    existing = {
        t.area_id: t
        for t in AreaTarget.objects.select_for_update().filter(
            organisation=organisation, area__in=list(levels)
        )
    }
    old, new = {}, {}
    for area, level in checked.items():
        target = existing.get(area.pk)
        before = target.level if target else None
        if before == level:
            continue
        old[area.code], new[area.code] = before, level
        if level is None:
            target.delete()
        elif target is None:
            AreaTarget.objects.create(organisation=organisation, area=area, level=level)
        else:
            target.level = level
            target.save()
    if new:
        record_event(TARGETS_CHANGED, organisation, actor=user, old=old, new=new)
    return len(new)
