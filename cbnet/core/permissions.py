"""Who may see and change what: the one place that decides.

A user's rights come from their Person's *current* appointments (``Actor``). Each model has
one policy that answers, as a query filter, which rows an actor may ``view``, ``change`` or
``delete`` (archive), whether they may ``add`` at all, and which fields of a row they may
edit. Pages, API, exports and search fetch rows only through ``restrict()``.

Rules (docs/permissions.md explains them with examples):

- Anonymous users see nothing. Every signed-in user reads every region's organisations,
  people, appointments and capability frameworks.
- Secretariat officers change everything.
- ROCB officers change the organisations of their region (and its sub-regions), and those
  organisations' people and appointments, NCP appointments included.
- NCPs and alternate NCPs change their own administration's people and appointments except
  the appointments that confer rights (``RIGHTS_ROLES``: NCP, alternate NCP, partner focal
  point); on their administration's own record only ``ORGANISATION_SELF_SERVICE_FIELDS``.
- Partner focal points do the same for their own organisation.
- Everyone may edit their own person record, ``PERSON_SELF_SERVICE_FIELDS`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ACTIONS = ("view", "add", "change", "delete")

# Fields of an organisation's own record that its NCPs / focal points may change.
ORGANISATION_SELF_SERVICE_FIELDS = frozenset(
    {"website", "languages", "contacts_confirmed_on", "contacts_confirmed_by"}
)
# Appointments that only the region's ROCB officers or the Secretariat record.
NCP_ROLES = frozenset({"ncp", "alternate_ncp"})
# Appointments that confer rights: an NCP or focal point cannot hand them out themselves.
RIGHTS_ROLES = NCP_ROLES | {"partner_focal_point"}
# Fields of their own person record that anyone may change.
PERSON_SELF_SERVICE_FIELDS = frozenset(
    {"given_name", "family_name", "title", "email", "phone", "mobile", "languages", "expertise"}
)


@dataclass
class Actor:
    """What a user may do today, derived from their current appointments."""

    user_id: int | None = None
    person_id: int | None = None
    is_authenticated: bool = False
    is_secretariat: bool = False
    rocb_region_ids: frozenset[int] = field(default_factory=frozenset)
    ncp_org_ids: frozenset[int] = field(default_factory=frozenset)
    partner_org_ids: frozenset[int] = field(default_factory=frozenset)
    # Administrations whose needs assessment this actor fills in: capacity-building NCP or
    # alternate, or head of administration.
    assessment_org_ids: frozenset[int] = field(default_factory=frozenset)
    has_appointments: bool = False

    @property
    def is_rocb(self):
        return bool(self.rocb_region_ids)

    @property
    def self_service_org_ids(self):
        """Organisations whose people and non-NCP appointments this actor maintains."""
        return self.ncp_org_ids | self.partner_org_ids

    @property
    def has_write_role(self):
        return self.is_secretariat or self.is_rocb or bool(self.self_service_org_ids)


ANONYMOUS = Actor()


def get_actor(user, *, on=None) -> Actor:
    """The actor for ``user`` today (or on date ``on``), cached on the user object."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    if on is None:
        cached = getattr(user, "_cbnet_actor", None)
        if cached is not None:
            return cached
    actor = build_actor(user, on=on or timezone.localdate())
    if on is None:
        user._cbnet_actor = actor
    return actor


def build_actor(user, *, on) -> Actor:
    Appointment = apps.get_model("directory", "Appointment")
    Region = apps.get_model("directory", "Region")
    appointments = list(
        Appointment.objects.current(on=on)
        .filter(person__user_id=user.pk, archived_at__isnull=True, person__archived_at__isnull=True)
        .values_list(
            "role", "domain", "organisation_id", "organisation__kind", "organisation__region_id"
        )
    )
    is_secretariat = bool(user.is_superuser)
    rocb_regions, ncp_orgs, partner_orgs, assessment_orgs = set(), set(), set(), set()
    for role, domain, org_id, org_kind, region_id in appointments:
        if role == "secretariat_officer" and org_kind == "wco_secretariat":
            is_secretariat = True
        elif role == "rocb_officer" and org_kind == "rocb" and region_id:
            rocb_regions.add(region_id)
        elif role in NCP_ROLES and org_kind == "member_administration":
            ncp_orgs.add(org_id)
            if domain == "capacity_building":
                assessment_orgs.add(org_id)
        elif role == "head_of_administration" and org_kind == "member_administration":
            assessment_orgs.add(org_id)
        elif role == "partner_focal_point" and org_kind == "development_partner":
            partner_orgs.add(org_id)
    if rocb_regions:
        # An ROCB's scope is its region and the region's sub-regions.
        rocb_regions |= set(
            Region.objects.filter(parent_id__in=rocb_regions).values_list("pk", flat=True)
        )
    person_id = getattr(getattr(user, "person", None), "pk", None) if _has_person(user) else None
    return Actor(
        user_id=user.pk,
        person_id=person_id,
        is_authenticated=True,
        is_secretariat=is_secretariat,
        rocb_region_ids=frozenset(rocb_regions),
        ncp_org_ids=frozenset(ncp_orgs),
        partner_org_ids=frozenset(partner_orgs),
        assessment_org_ids=frozenset(assessment_orgs),
        has_appointments=bool(appointments),
    )


def _has_person(user):
    try:
        return user.person is not None
    except Exception:  # RelatedObjectDoesNotExist: an account without a person
        return False


# --- policies -------------------------------------------------------------------------


class Policy:
    """Default policy: signed-in users read; only the Secretariat writes."""

    def viewable(self, actor, qs):
        return qs if actor.is_authenticated else qs.none()

    def changeable(self, actor, qs):
        return qs if actor.is_secretariat else qs.none()

    def deletable(self, actor, qs):
        return self.changeable(actor, qs)

    def can_add(self, actor):
        return actor.is_secretariat

    def editable_fields(self, actor, obj):
        """Names of the fields ``actor`` may change on ``obj``; ``None`` means all."""
        return None


class OrganisationPolicy(Policy):
    def _region_scope(self, actor):
        return Q(region_id__in=actor.rocb_region_ids) | Q(subregion_id__in=actor.rocb_region_ids)

    def changeable(self, actor, qs):
        if actor.is_secretariat:
            return qs
        if not actor.is_authenticated:
            return qs.none()
        return qs.filter(self._region_scope(actor) | Q(pk__in=actor.self_service_org_ids))

    def deletable(self, actor, qs):
        if actor.is_secretariat:
            return qs
        if not actor.is_rocb:
            return qs.none()
        return qs.filter(self._region_scope(actor))

    def can_add(self, actor):
        return actor.is_secretariat or actor.is_rocb

    def editable_fields(self, actor, obj):
        if actor.is_secretariat:
            return None
        in_rocb_region = obj.region_id in actor.rocb_region_ids or (
            obj.subregion_id is not None and obj.subregion_id in actor.rocb_region_ids
        )
        if in_rocb_region:
            return None
        if obj.pk in actor.self_service_org_ids:
            return set(ORGANISATION_SELF_SERVICE_FIELDS)
        return set()


def _org_scope(actor, prefix):
    """Q over ``prefix`` (an organisation relation) for the organisations the actor maintains."""
    return (
        Q(**{f"{prefix}__region_id__in": actor.rocb_region_ids})
        | Q(**{f"{prefix}__subregion_id__in": actor.rocb_region_ids})
        | Q(**{f"{prefix}_id__in": actor.self_service_org_ids})
    )


class PersonPolicy(Policy):
    def changeable(self, actor, qs):
        if actor.is_secretariat:
            return qs
        if not actor.is_authenticated:
            return qs.none()
        own = Q(pk=actor.person_id) if actor.person_id else Q(pk__in=[])
        return qs.filter(_org_scope(actor, "organisation") | own)

    def deletable(self, actor, qs):
        if actor.is_secretariat:
            return qs
        if not actor.is_authenticated:
            return qs.none()
        return qs.filter(_org_scope(actor, "organisation"))

    def can_add(self, actor):
        return actor.has_write_role

    def editable_fields(self, actor, obj):
        if actor.is_secretariat:
            return None
        org = obj.organisation
        if org is not None and (
            org.region_id in actor.rocb_region_ids
            or (org.subregion_id is not None and org.subregion_id in actor.rocb_region_ids)
        ):
            return None
        # Checked before the administration's scope: an NCP cannot move themselves elsewhere.
        if actor.person_id is not None and obj.pk == actor.person_id:
            return set(PERSON_SELF_SERVICE_FIELDS)
        if org is not None and org.pk in actor.self_service_org_ids:
            return None
        return set()


class AppointmentPolicy(Policy):
    def changeable(self, actor, qs):
        if actor.is_secretariat:
            return qs
        if not actor.is_authenticated:
            return qs.none()
        rocb = Q(organisation__region_id__in=actor.rocb_region_ids) | Q(
            organisation__subregion_id__in=actor.rocb_region_ids
        )
        self_service = Q(organisation_id__in=actor.self_service_org_ids) & ~Q(role__in=RIGHTS_ROLES)
        return qs.filter(rocb | self_service)

    def can_add(self, actor):
        return actor.has_write_role


class JobPolicy(Policy):
    """Background jobs (cbnet/core/jobs.py): whoever started one, and the Secretariat, see
    it; nobody changes one through the door (the worker records its progress)."""

    def viewable(self, actor, qs):
        if actor.is_secretariat:
            return qs
        if not actor.is_authenticated:
            return qs.none()
        return qs.filter(user_id=actor.user_id)

    def changeable(self, actor, qs):
        return qs.none()

    def can_add(self, actor):
        return False


POLICIES: dict[str, Policy] = {
    "directory.organisation": OrganisationPolicy(),
    "directory.person": PersonPolicy(),
    "directory.appointment": AppointmentPolicy(),
    "core.job": JobPolicy(),
}
DEFAULT_POLICY = Policy()


def policy_for(model) -> Policy:
    return POLICIES.get(model._meta.label_lower, DEFAULT_POLICY)


def register_policy(label, policy):
    """Apps that arrive later declare their model's policy here, in one line."""
    POLICIES[label] = policy


# --- the door -------------------------------------------------------------------------


def restrict(qs, user, action="view"):
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    actor = get_actor(user)
    policy = policy_for(qs.model)
    if action == "view":
        return policy.viewable(actor, qs)
    if action == "add":
        return qs if policy.can_add(actor) else qs.none()
    if action == "change":
        return policy.changeable(actor, policy.viewable(actor, qs))
    return policy.deletable(actor, policy.viewable(actor, qs))


def can(user, action, obj_or_model) -> bool:
    """Whether ``user`` may do ``action`` on a row (or, for "add", on the model)."""
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    if action == "add":
        return policy_for(model).can_add(get_actor(user))
    if getattr(obj_or_model, "pk", None) is None:
        return False
    return restrict(model._default_manager.all(), user, action).filter(pk=obj_or_model.pk).exists()


def editable_fields(user, obj):
    """Field names ``user`` may change on ``obj`` (``None``: every field)."""
    return policy_for(type(obj)).editable_fields(get_actor(user), obj)


def check_fields(user, obj, changed_fields):
    """Refuse a change to fields the user may not edit on this row."""
    allowed = editable_fields(user, obj)
    if allowed is None:
        return
    refused = sorted(set(changed_fields) - allowed)
    if refused:
        raise PermissionDenied(
            _("You may not change these fields: %(fields)s.") % {"fields": ", ".join(refused)}
        )


def access_object(model, user, pk, action="view"):
    """The row ``pk`` if ``user`` may ``action`` it; 404 if not viewable, 403 if viewable only."""
    from django.http import Http404

    base = model._default_manager.all()
    try:
        obj = restrict(base, user, "view").get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if action != "view" and not can(user, action, obj):
        raise PermissionDenied
    return obj
