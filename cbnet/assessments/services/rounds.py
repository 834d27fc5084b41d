"""Assessment rounds: open a round for a region or sub-region, extend it, add administrations.

::

    from cbnet.assessments.services import rounds

    round_ = rounds.open_round(
        name="AMS self-assessment 2027",
        questionnaire=dsa_v1,
        region=ams,
        subregion=None,               # or a sub-region of ``region``: its members only
        organisations=None,           # or an explicit list of the region's administrations
        opens_on=date(2027, 3, 1),
        due_on=date(2027, 4, 30),
        time_zone=None,               # default: the region's ROCB's, else settings.TIME_ZONE
        user=request.user,
    )
    rounds.extend_round(round_, date(2027, 5, 15), user=request.user)
    rounds.add_administrations(round_, [haiti], user=request.user)

Who may: the region's ROCB officers and the Secretariat (``RoundPolicy``). Opening a round
creates one ``Assessment`` per administration (status ``not_started``), which freezes the
questionnaire version (``Questionnaire.is_frozen``: a version some round uses), records the
event ``round.opened`` and tells each administration's capacity-building NCP, alternate NCP
and head of administration (notification ``round.opened``). A refused operation raises
``ValidationError`` (a dict keyed by form field) or ``PermissionDenied`` and writes nothing.

A round closes at 23:59:59 on its due date in its time zone (``Round.closes_at``); the
workflow refuses saves and submissions after that. Reminders before and after the due date
are sent by ``cbnet/assessments/notifications.py`` (``remind_assessments_due``).
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.models import Assessment, Questionnaire, Round
from cbnet.core import permissions
from cbnet.core.events import record_event, register_event
from cbnet.directory.choices import Domain, OrganisationKind, Role
from cbnet.directory.models import Appointment, Organisation, Person, Region

OPENED = "round.opened"
EXTENDED = "round.extended"
ADMINISTRATIONS_ADDED = "round.administrations_added"

register_event(OPENED, _("Assessment round opened"))
register_event(EXTENDED, _("Assessment round's due date extended"))
register_event(ADMINISTRATIONS_ADDED, _("Administrations added to an assessment round"))

# Notification kinds (templates in templates/assessments/emails/).
NOTIFY_OPENED = "round.opened"
NOTIFY_EXTENDED = "round.extended"

try:
    from cbnet.core.notifications.registry import Mode, register_kind
except ImportError:  # an installation without the notifications app
    register_kind = None
else:
    register_kind(
        NOTIFY_OPENED,
        label=_("Assessment rounds opened for your administration"),
        template="assessments/emails/round_opened",
        default_mode=Mode.IMMEDIATE,
    )
    register_kind(
        NOTIFY_EXTENDED,
        label=_("Due dates of your administration's assessment rounds extended"),
        template="assessments/emails/round_extended",
        default_mode=Mode.IMMEDIATE,
    )

# Statuses of a round, from its dates in its own time zone.
UPCOMING, OPEN, CLOSED = "upcoming", "open", "closed"
ROUND_STATUS_CHOICES = (
    (UPCOMING, _("Upcoming")),
    (OPEN, _("Open")),
    (CLOSED, _("Closed")),
)
# Dates a round may have (beyond them time-zone arithmetic leaves the calendar).
EARLIEST = datetime.date(2000, 1, 1)
LATEST = datetime.date(2199, 12, 31)
# Assessments that no longer need the administration's work.
DONE_STATUSES = ("submitted", "validated")


# --- time -------------------------------------------------------------------------------


def zone_of(name):
    """``ZoneInfo(name)``, or None when ``name`` is not an IANA time zone."""
    if not name or name not in zoneinfo.available_timezones():
        return None
    return zoneinfo.ZoneInfo(name)


def local_date(time_zone, now=None):
    """Today's date in ``time_zone`` (a round's) at ``now``."""
    zone = zone_of(time_zone) or zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return (now or timezone.now()).astimezone(zone).date()


def round_status(round_, now=None):
    """``upcoming``, ``open`` or ``closed``, in the round's time zone."""
    now = now or timezone.now()
    if now < round_.opens_at:
        return UPCOMING
    if now > round_.closes_at:
        return CLOSED
    return OPEN


def status_q(status, now=None, zones=None):
    """A filter on rounds in ``status`` (see ``round_status``), exact in each round's zone.

    Rounds use few time zones: one condition per zone compares the dates with that zone's
    date today. ``zones`` are the zones to consider (default: those in use)."""
    now = now or timezone.now()
    if zones is None:
        zones = Round.objects.order_by().values_list("time_zone", flat=True).distinct()
    condition = Q(pk__in=[])
    for name in set(zones):
        today = local_date(name, now)
        if status == UPCOMING:
            dates = Q(opens_on__gt=today)
        elif status == CLOSED:
            dates = Q(due_on__lt=today)
        else:
            dates = Q(opens_on__lte=today, due_on__gte=today)
        condition |= Q(time_zone=name) & dates
    return condition


# --- who --------------------------------------------------------------------------------


def rocb_of(region):
    """The ROCB organisation of ``region`` (a sub-region's: its parent's), or None."""
    region_id = region.parent_id or region.pk
    return (
        Organisation.objects.filter(
            kind=OrganisationKind.ROCB, region_id=region_id, archived_at__isnull=True
        )
        .order_by("pk")
        .first()
    )


def default_time_zone(region):
    """The time zone of the region's ROCB, else ``settings.TIME_ZONE``."""
    rocb = rocb_of(region) if region is not None else None
    if rocb is not None and zone_of(rocb.time_zone):
        return rocb.time_zone
    return settings.TIME_ZONE


def members(region, subregion=None):
    """The current member administrations of ``region`` (or of its ``subregion``)."""
    queryset = Organisation.objects.filter(
        kind=OrganisationKind.MEMBER_ADMINISTRATION, archived_at__isnull=True, region=region
    )
    if subregion is not None:
        queryset = queryset.filter(subregion=subregion)
    return queryset.order_by("name", "pk")


def contacts_by_organisation(organisation_ids, on=None):
    """{organisation id: [Person]}: each administration's current capacity-building NCP and
    alternate NCP and its head of administration (``workflow.assessment_contacts``, for many
    administrations in two queries)."""
    roles = Q(role__in=[Role.NCP, Role.ALTERNATE_NCP], domain=Domain.CAPACITY_BUILDING) | Q(
        role=Role.HEAD_OF_ADMINISTRATION
    )
    pairs = list(
        Appointment.objects.current(on=on or timezone.localdate())
        .filter(roles, organisation_id__in=list(organisation_ids), archived_at__isnull=True)
        .values_list("organisation_id", "person_id")
        .distinct()
    )
    people = Person.objects.filter(
        pk__in={person_id for _org, person_id in pairs}, archived_at__isnull=True
    ).select_related("user")
    people = {person.pk: person for person in people}
    result = {}
    for organisation_id, person_id in sorted(pairs):
        if person_id in people:
            result.setdefault(organisation_id, []).append(people[person_id])
    return result


def _date_error(value):
    if value is not None and not EARLIEST <= value <= LATEST:
        return _("Choose a date between %(first)s and %(last)s.") % {
            "first": EARLIEST.isoformat(),
            "last": LATEST.isoformat(),
        }
    return None


def _check_may_manage(user, region):
    """The region's ROCB officers and the Secretariat open and change its rounds."""
    actor = permissions.get_actor(user)
    if not permissions.can(user, "add", Round):
        raise PermissionDenied(_("Only ROCB officers and the Secretariat open assessment rounds."))
    if not actor.is_secretariat and region is not None and region.pk not in actor.rocb_region_ids:
        raise PermissionDenied(_("Only the region's ROCB officers open its assessment rounds."))


def _check_change(user, round_):
    """The round re-read under a row lock through the permission door."""
    try:
        current = (
            permissions.restrict(Round.objects.select_for_update(of=("self",)), user, "view")
            .select_related("region", "subregion", "questionnaire")
            .get(pk=round_.pk)
        )
    except Round.DoesNotExist:
        raise PermissionDenied(_("You may not see this round.")) from None
    if not permissions.can(user, "change", current):
        raise PermissionDenied(_("Only the region's ROCB officers change its assessment rounds."))
    if current.archived_at is not None:
        raise ValidationError(_("This round is archived."))
    return current


def _check_administrations(organisations, region, subregion):
    """The organisations, each a current member administration of the region (sub-region)."""
    allowed = set(members(region, subregion).values_list("pk", flat=True))
    wrong = [org for org in organisations if org.pk not in allowed]
    if wrong:
        where = subregion or region
        raise ValidationError(
            {
                "organisations": _("Not a member administration of %(region)s: %(names)s.")
                % {"region": where, "names": ", ".join(sorted(str(org) for org in wrong))}
            }
        )


def _assessment_context(round_):
    return {
        # The round by name (its page is public to signed-in users, but keep it plain).
        "round": {"id": round_.pk, "name": round_.name},
        "questionnaire": str(round_.questionnaire),
        "opens_on": round_.opens_on,
        "due_on": round_.due_on,
        "time_zone": round_.time_zone,
    }


def _notify(kind, assessments, round_, *, user, context=None):
    """Tell each assessment's administration's people (after the transaction commits)."""
    try:
        from cbnet.core.notifications.services import notify
    except ImportError:
        return 0
    contacts = contacts_by_organisation([a.organisation_id for a in assessments])
    sent = 0
    for assessment in assessments:
        recipients = contacts.get(assessment.organisation_id, [])
        if not recipients:
            continue
        extra = {
            **_assessment_context(round_),
            "assessment": assessment,
            "organisation": assessment.organisation,
            **(context or {}),
        }
        sent += len(notify(recipients, kind, obj=assessment, context=extra, actor=user))
    return sent


def _create_assessments(round_, organisations, user):
    created = []
    for organisation in organisations:
        assessment = Assessment(round=round_, organisation=organisation)
        assessment._history_user = user
        assessment.save()
        created.append(assessment)
    return created


# --- operations -------------------------------------------------------------------------


@transaction.atomic
def open_round(
    *,
    name,
    questionnaire,
    region,
    subregion=None,
    organisations=None,
    opens_on,
    due_on,
    time_zone=None,
    instructions="",
    user,
):
    """Open a round: the Round, one not-started Assessment per administration (which freezes
    the questionnaire version), the event ``round.opened``, and a message to each
    administration's people. Returns the Round."""
    if region is not None and region.parent_id is not None:
        raise ValidationError(
            {"region": _("Choose a region; a sub-region goes in the sub-region field.")}
        )
    _check_may_manage(user, region)
    errors = {}
    if region is None:
        errors["region"] = _("Choose a region.")
    if questionnaire is None:
        errors["questionnaire"] = _("Choose a questionnaire.")
    elif questionnaire.archived_at is not None:
        errors["questionnaire"] = _("This questionnaire is archived.")
    elif not questionnaire.questions.exists():
        errors["questionnaire"] = _("This questionnaire has no questions yet.")
    if time_zone in (None, ""):
        time_zone = default_time_zone(region)
    elif zone_of(time_zone) is None:
        errors["time_zone"] = _("%(zone)s is not a time zone (use a name like %(example)s).") % {
            "zone": time_zone,
            "example": "America/Montevideo",
        }
    if subregion is not None and region is not None and subregion.parent_id != region.pk:
        errors["subregion"] = _("The sub-region must belong to the round's region.")
    for field, value in (("opens_on", opens_on), ("due_on", due_on)):
        if _date_error(value):
            errors[field] = _date_error(value)
    if opens_on and due_on and due_on < opens_on and "due_on" not in errors:
        errors["due_on"] = _("The due date cannot be before the opening date.")
    if errors:
        raise ValidationError(errors)
    if organisations is None or len(organisations) == 0:
        organisations = list(members(region, subregion))
        if not organisations:
            raise ValidationError(
                {
                    "organisations": _("%(region)s has no member administrations.")
                    % {"region": subregion or region}
                }
            )
    else:
        organisations = list(dict.fromkeys(organisations))  # once each, in order
        _check_administrations(organisations, region, subregion)
    round_ = Round(
        name=(name or "").strip(),
        questionnaire=questionnaire,
        region=region,
        subregion=subregion,
        opens_on=opens_on,
        due_on=due_on,
        time_zone=time_zone,
        instructions=instructions or "",
    )
    round_.full_clean()
    round_._history_user = user
    round_.save()
    assessments = _create_assessments(round_, organisations, user)
    record_event(
        OPENED,
        round_,
        actor=user,
        new={
            "questionnaire": questionnaire,
            "opens_on": opens_on,
            "due_on": due_on,
            "time_zone": time_zone,
            "administrations": len(assessments),
        },
    )
    _notify(NOTIFY_OPENED, assessments, round_, user=user)
    return round_


@transaction.atomic
def extend_round(round_, due_on, *, user, version=None):
    """Move the round's due date later (it closes at 23:59:59 that day in its time zone);
    a closed round opens again. Tells the people of administrations not done yet."""
    current = _check_change(user, round_)
    if version not in (None, "") and str(version) != str(current.version):
        from cbnet.core.models import StaleObjectError

        raise StaleObjectError(current)
    if not isinstance(due_on, datetime.date):
        raise ValidationError({"due_on": _("Enter a valid date.")})
    if _date_error(due_on):
        raise ValidationError({"due_on": _date_error(due_on)})
    if due_on <= current.due_on:
        raise ValidationError(
            {
                "due_on": _("The new due date must be after the current one (%(date)s).")
                % {"date": current.due_on.isoformat()}
            }
        )
    old = current.due_on
    current.due_on = due_on
    current.full_clean()
    current._history_user = user
    current.save()
    record_event(EXTENDED, current, actor=user, old={"due_on": old}, new={"due_on": due_on})
    waiting = list(
        current.assessments.exclude(status__in=DONE_STATUSES)
        .filter(archived_at__isnull=True)
        .select_related("organisation")
    )
    _notify(NOTIFY_EXTENDED, waiting, current, user=user, context={"old_due_on": old})
    round_.due_on, round_.version, round_.updated = current.due_on, current.version, current.updated
    return current


@transaction.atomic
def add_administrations(round_, organisations, *, user):
    """Add member administrations of the round's region (sub-region) to a round that has not
    closed; returns their new assessments."""
    current = _check_change(user, round_)
    if round_status(current) == CLOSED:
        raise ValidationError(_("This round is closed: extend its due date first."))
    organisations = list(dict.fromkeys(organisations or []))
    if not organisations:
        raise ValidationError({"organisations": _("Choose at least one administration.")})
    _check_administrations(organisations, current.region, current.subregion)
    already = set(
        current.assessments.filter(organisation__in=organisations).values_list(
            "organisation__name", flat=True
        )
    )
    if already:
        raise ValidationError(
            {
                "organisations": _("Already in this round: %(names)s.")
                % {"names": ", ".join(sorted(already))}
            }
        )
    created = _create_assessments(current, organisations, user)
    record_event(
        ADMINISTRATIONS_ADDED,
        current,
        actor=user,
        new={"administrations": [str(org) for org in organisations]},
    )
    _notify(NOTIFY_OPENED, created, current, user=user)
    return created


def questionnaires_for_rounds():
    """Questionnaire versions a round may use: not archived, with questions."""
    return (
        Questionnaire.objects.filter(archived_at__isnull=True, questions__isnull=False)
        .distinct()
        .order_by("code", "-version")
    )


def regions_for(user):
    """Top-level regions the user may open rounds in."""
    actor = permissions.get_actor(user)
    queryset = Region.objects.filter(parent__isnull=True, archived_at__isnull=True)
    if not actor.is_secretariat:
        queryset = queryset.filter(pk__in=actor.rocb_region_ids)
    return queryset.order_by("code")
