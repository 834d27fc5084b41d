"""The directory's kinds of message and its yearly reminder (found by the notifications app
at start-up; see docs/notifications.md)."""

import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cbnet.core.notifications.registry import (
    Mode,
    ReminderResult,
    register_kind,
    register_reminder,
)

INVITATION = "account.invitation"
NCP_HANDED_OVER = "ncp.handed_over"
CONTACTS_REMINDER = "contacts.reminder"

register_kind(
    INVITATION,
    label=_("Invitation to CBNet"),
    template="directory/emails/invitation",
    # Always e-mailed at once: the person has no account yet, so no preferences either.
    mandatory=True,
)
register_kind(
    NCP_HANDED_OVER,
    label=_("NCP handovers (yours, and in your region)"),
    template="directory/emails/ncp_handed_over",
    default_mode=Mode.IMMEDIATE,
)
register_kind(
    CONTACTS_REMINDER,
    label=_("Yearly reminder to confirm your administration's contacts"),
    template="directory/emails/contacts_reminder",
    default_mode=Mode.IMMEDIATE,
)


def handover_recipients(organisation, ended, new, on_date):
    """The outgoing and incoming person and the ROCB officers of the organisation's region
    (current appointments on ``on_date`` at a ROCB organisation of that region)."""
    from cbnet.directory.choices import OrganisationKind, Role
    from cbnet.directory.models import Appointment

    people = [ended.person if ended is not None else None, new.person]
    if organisation.region_id is not None:
        officers = (
            Appointment.objects.current(on=on_date)
            .filter(
                role=Role.ROCB_OFFICER,
                organisation__kind=OrganisationKind.ROCB,
                organisation__region_id=organisation.region_id,
                archived_at__isnull=True,
            )
            .select_related("person__user")
            .order_by("person_id")
        )
        people += [appointment.person for appointment in officers]
    return people


def notify_handover(organisation, ended, new, on_date, user):
    """Tell the outgoing NCP, the incoming NCP and the region's ROCB officers (after the
    handover's transaction commits)."""
    from cbnet.core.notifications.services import notify

    return notify(
        handover_recipients(organisation, ended, new, on_date),
        NCP_HANDED_OVER,
        obj=organisation,
        actor=user,
        context={
            "organisation": organisation,
            "role": new.role,
            "domain": new.domain,
            "outgoing": ended.person if ended is not None else None,
            "incoming": new.person,
            "on_date": on_date,
        },
    )


@register_reminder
def remind_stale_contacts(today):
    """Ask the NCPs (and alternates) of every member administration whose contacts were
    last confirmed over a year ago, or never, to confirm them: once a year per person and
    administration (a new NCP appointed later in the year gets their own)."""
    from cbnet.core.notifications.services import notify_once
    from cbnet.core.permissions import NCP_ROLES
    from cbnet.core.tables import STALE_AFTER_DAYS
    from cbnet.directory.choices import OrganisationKind
    from cbnet.directory.models import Appointment

    limit = today - datetime.timedelta(days=STALE_AFTER_DAYS)
    stale = Q(organisation__contacts_confirmed_on__isnull=True) | Q(
        organisation__contacts_confirmed_on__lt=limit
    )
    appointments = (
        Appointment.objects.current(on=today)
        .filter(stale)
        .filter(
            role__in=NCP_ROLES,
            archived_at__isnull=True,
            person__archived_at__isnull=True,
            organisation__kind=OrganisationKind.MEMBER_ADMINISTRATION,
            organisation__archived_at__isnull=True,
        )
        .select_related("person__user", "organisation")
        .order_by("organisation_id", "person_id")
    )
    result = ReminderResult()
    for appointment in appointments:
        organisation = appointment.organisation
        result.add(
            notify_once,
            appointment.person,
            CONTACTS_REMINDER,
            period=str(today.year),
            obj=organisation,
            context={
                "organisation": organisation,
                "confirmed_on": organisation.contacts_confirmed_on,
            },
        )
    return result
