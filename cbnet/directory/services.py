"""Business operations on the directory: contact confirmation, appointments and handovers.

Each function is atomic and checks the caller's rights through ``cbnet.core.permissions``
(raising ``PermissionDenied``); every write passes ``full_clean()`` and leaves a history row
attributed to the user. ``user=None`` marks a trusted caller (a management command or a data
load) and skips the permission check; views and the API always pass ``request.user``.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cbnet.core.events import record_event
from cbnet.core.permissions import NCP_ROLES, can, check_fields
from cbnet.directory.choices import ROLES_WITH_DOMAIN
from cbnet.directory.models import Appointment, Organisation
from cbnet.directory.notifications import notify_handover

CONFIRMATION_FIELDS = ("contacts_confirmed_on", "contacts_confirmed_by")


def _person_of(user):
    if user is None:
        return None
    try:
        return user.person
    except Exception:  # RelatedObjectDoesNotExist: an account without a person
        return None


def _save(obj, user, reason):
    obj.full_clean()
    obj._history_user = user
    obj._change_reason = reason
    obj.save()
    return obj


def _require(user, action, obj):
    if user is not None and not can(user, action, obj):
        raise PermissionDenied(_("You may not change this record."))


@transaction.atomic
def confirm_contacts(organisation, user, *, on=None):
    """Record that ``user`` confirmed ``organisation``'s contacts are current (today).

    Allowed to the administration's NCPs and alternates (the contact confirmation is one of
    the few fields they change on their own record), the focal points of a partner for their
    own organisation, the region's ROCB officers and the Secretariat. Only the two
    confirmation fields are written, on a fresh copy of the row, so the confirmation never
    overwrites a concurrent edit of other fields.
    """
    if user is not None:
        _require(user, "change", organisation)
        check_fields(user, organisation, CONFIRMATION_FIELDS)
    row = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = {
        "contacts_confirmed_on": row.contacts_confirmed_on,
        "contacts_confirmed_by": row.contacts_confirmed_by,
    }
    row.contacts_confirmed_on = on or timezone.localdate()
    row.contacts_confirmed_by = _person_of(user)
    row.full_clean()
    row._history_user = user
    row._change_reason = "contacts confirmed"
    row.save(update_fields=list(CONFIRMATION_FIELDS))
    after = {name: getattr(row, name) for name in CONFIRMATION_FIELDS}
    record_event("contacts.confirmed", row, actor=user, old=before, new=after, organisation=row)
    for name in (*CONFIRMATION_FIELDS, "version", "updated"):
        setattr(organisation, name, getattr(row, name))
    return organisation


@transaction.atomic
def appoint(
    person, organisation, role, start_date, *, domain="", user=None, end_date=None, note=""
):
    """Appoint ``person`` to ``role`` (and ``domain`` for NCPs) in ``organisation``.

    The new appointment must fall inside what ``user`` may change: an NCP records their
    administration's staff and heads, never NCP or alternate-NCP appointments, which the
    region's ROCB officers and the Secretariat record. Overlapping NCPs for the same
    domain are refused by the model's validation (use ``hand_over``).
    """
    appointment = _appoint(person, organisation, role, start_date, domain, user, end_date, note)
    record_event(
        "appointment.created",
        appointment,
        actor=user,
        new=_appointment_values(appointment),
        organisation=organisation,
    )
    return appointment


def _appointment_values(appointment):
    names = ("person", "organisation", "role", "domain", "start_date", "end_date")
    return {name: getattr(appointment, name) for name in names if getattr(appointment, name)}


def _appoint(person, organisation, role, start_date, domain, user, end_date=None, note=""):
    if user is not None and not can(user, "add", Appointment):
        raise PermissionDenied(_("You may not record appointments."))
    appointment = Appointment(
        person=person,
        organisation=organisation,
        role=role,
        domain=domain,
        start_date=start_date,
        end_date=end_date,
        note=note,
    )
    _save(appointment, user, "appointed")
    # A write that lands outside the writer's scope is rolled back with the transaction.
    _require(user, "change", appointment)
    return appointment


@transaction.atomic
def end_appointment(appointment, on_date, user):
    """End ``appointment`` on ``on_date``: from that day the person no longer holds the role.

    A stale copy of the appointment is refused (``StaleObjectError``) rather than
    overwriting a concurrent change.
    """
    old_end = appointment.end_date
    _end_appointment(appointment, on_date, user)
    record_event(
        "appointment.ended",
        appointment,
        actor=user,
        old={"end_date": old_end},
        new={"end_date": on_date},
        organisation=appointment.organisation,
    )
    return appointment


def _end_appointment(appointment, on_date, user):
    _require(user, "change", appointment)
    if appointment.end_date is not None and appointment.end_date <= on_date:
        raise ValidationError(
            {
                "end_date": _("This appointment had already ended on %(date)s.")
                % {"date": appointment.end_date}
            }
        )
    appointment.end_date = on_date
    return _save(appointment, user, "appointment ended")


@transaction.atomic
def hand_over(organisation, role, domain, new_person, on_date, user):
    """Hand ``role`` (for ``domain``) in ``organisation`` over to ``new_person`` on ``on_date``.

    In one transaction, the appointment held on ``on_date`` ends that day and the new one
    starts that day, so the rights move on that date. For NCP and alternate-NCP roles only
    the region's ROCB officers and the Secretariat may do this. For those roles the outgoing
    and incoming person and the region's ROCB officers are notified (``ncp.handed_over``;
    the e-mails leave only once the handover has committed). Returns ``(ended, new)``;
    ``ended`` is ``None`` when the role was vacant.
    """
    domain = domain if role in ROLES_WITH_DOMAIN else ""
    current = (
        Appointment.objects.current(on=on_date)
        .select_for_update()
        .filter(organisation=organisation, role=role, domain=domain, archived_at__isnull=True)
        .order_by("start_date")
        .first()
    )
    if current is not None and current.person_id == new_person.pk:
        raise ValidationError(_("This person already holds the role on that date."))
    ended = _end_appointment(current, on_date, user) if current is not None else None
    new = _appoint(new_person, organisation, role, on_date, domain, user)
    record_event(
        "ncp.handed_over" if role in NCP_ROLES else "appointment.handed_over",
        organisation,
        actor=user,
        old={"person": current.person if current else None, "role": role, "domain": domain},
        new={"person": new_person, "role": role, "domain": domain},
        organisation=organisation,
    )
    if role in NCP_ROLES:
        notify_handover(organisation, ended, new, on_date, user)
    return ended, new
