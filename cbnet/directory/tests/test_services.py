"""Directory services: who may confirm contacts, appoint, end appointments and hand over."""

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from cbnet.core.models import StaleObjectError
from cbnet.core.permissions import get_actor
from cbnet.core.testing import factories
from cbnet.directory import services
from cbnet.directory.models import Appointment, Organisation

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def net():
    return factories.network()


def fresh(user):
    """The user re-read, so its cached rights are recomputed."""
    return get_user_model().objects.get(pk=user.pk)


def ncp_of(org, on=TODAY):
    return Appointment.objects.current(on=on).get(
        organisation=org, role="ncp", domain="capacity_building"
    )


# --- confirm_contacts ----------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("who", ["ncp_uy", "rocb", "secretariat"])
def test_confirm_contacts_by_those_allowed(net, who):
    user = net.users[who]
    services.confirm_contacts(net.uruguay, user)

    stored = Organisation.objects.get(pk=net.uruguay.pk)
    assert stored.contacts_confirmed_on == TODAY
    assert stored.contacts_confirmed_by == net.people[who]
    assert not stored.contacts_stale(TODAY)
    record = stored.history.filter(history_type="~").get()
    assert record.history_user == user and record.history_change_reason == "contacts confirmed"
    assert net.uruguay.version == stored.version == 2


@time_machine.travel(TODAY, tick=False)
def test_alternate_ncp_may_confirm(net):
    alternate = factories.member("alt.uy", net.uruguay, "alternate_ncp", family_name="Núñez")
    services.confirm_contacts(net.uruguay, alternate)
    assert Organisation.objects.get(pk=net.uruguay.pk).contacts_confirmed_by == alternate.person


@pytest.mark.parametrize("who", ["ncp_br", "partner", "reader"])
def test_confirm_contacts_refused_to_others(net, who):
    with pytest.raises(PermissionDenied):
        services.confirm_contacts(net.uruguay, net.users[who])
    stored = Organisation.objects.get(pk=net.uruguay.pk)
    assert stored.contacts_confirmed_on is None and stored.version == 1


def test_confirm_contacts_keeps_a_concurrent_edit(net):
    stale = Organisation.objects.get(pk=net.uruguay.pk)
    other = Organisation.objects.get(pk=net.uruguay.pk)
    other.website = "https://changed.example.org"
    other.save()

    services.confirm_contacts(stale, net.users["ncp_uy"], on=TODAY)

    stored = Organisation.objects.get(pk=net.uruguay.pk)
    assert stored.website == "https://changed.example.org"
    assert stored.contacts_confirmed_on == TODAY and stored.version == 3


# --- appoint ---------------------------------------------------------------------------------


def test_ncp_appoints_staff_in_own_administration(net):
    colleague = factories.person("Raúl", "Méndez", net.uruguay)
    appointment = services.appoint(
        colleague, net.uruguay, "head_of_administration", TODAY, user=net.users["ncp_uy"]
    )
    assert appointment.pk and appointment.is_current(TODAY)
    assert appointment.history.get().history_user == net.users["ncp_uy"]


def test_ncp_may_not_record_ncp_appointments(net):
    colleague = factories.person("Raúl", "Méndez", net.uruguay)
    with pytest.raises(PermissionDenied):
        services.appoint(
            colleague,
            net.uruguay,
            "alternate_ncp",
            TODAY,
            domain="capacity_building",
            user=net.users["ncp_uy"],
        )
    assert not Appointment.objects.filter(person=colleague).exists()
    assert not Appointment.history.filter(person_id=colleague.pk).exists()


def test_ncp_may_not_appoint_in_another_administration(net):
    someone = factories.person("Ana", "Souza", net.brazil)
    with pytest.raises(PermissionDenied):
        services.appoint(someone, net.brazil, "staff", TODAY, user=net.users["ncp_uy"])
    assert not Appointment.objects.filter(person=someone).exists()


def test_reader_may_not_appoint(net):
    someone = factories.person("Ana", "Souza", net.uruguay)
    with pytest.raises(PermissionDenied):
        services.appoint(someone, net.uruguay, "staff", TODAY, user=net.users["reader"])


def test_rocb_appoints_an_ncp_in_its_region(net):
    someone = factories.person("Ana", "Souza", net.brazil)
    appointment = services.appoint(
        someone, net.brazil, "ncp", TODAY, domain="elearning", user=net.users["rocb"]
    )
    assert appointment.domain == "elearning"


def test_appoint_validates(net):
    someone = factories.person("Ana", "Souza", net.uruguay)
    with pytest.raises(ValidationError) as missing_domain:
        services.appoint(someone, net.uruguay, "ncp", TODAY, user=net.users["secretariat"])
    assert "domain" in missing_domain.value.message_dict
    with pytest.raises(ValidationError) as overlap:
        services.appoint(someone, net.uruguay, "ncp", TODAY, domain="capacity_building", user=None)
    assert "start_date" in overlap.value.message_dict
    with pytest.raises(ValidationError):
        services.appoint(someone, net.idb, "ncp", TODAY, domain="pmm", user=None)


# --- end_appointment -------------------------------------------------------------------------


def test_end_appointment(net):
    colleague = factories.person("Raúl", "Méndez", net.uruguay)
    staff = factories.appointment(colleague, net.uruguay, "staff")
    services.end_appointment(staff, TODAY, net.users["ncp_uy"])
    staff.refresh_from_db()
    assert staff.end_date == TODAY and not staff.is_current(TODAY)
    assert staff.history.filter(history_type="~").get().history_user == net.users["ncp_uy"]

    with pytest.raises(ValidationError):  # already ended
        services.end_appointment(staff, TODAY + datetime.timedelta(days=1), net.users["ncp_uy"])


def test_end_appointment_refusals(net):
    ncp = ncp_of(net.uruguay)
    with pytest.raises(PermissionDenied):  # an NCP cannot end NCP appointments
        services.end_appointment(ncp, TODAY, net.users["ncp_uy"])
    with pytest.raises(ValidationError):  # before the start
        services.end_appointment(ncp, datetime.date(2019, 1, 1), net.users["rocb"])
    stale = Appointment.objects.get(pk=ncp.pk)
    Appointment.objects.get(pk=ncp.pk).save()
    with pytest.raises(StaleObjectError):
        services.end_appointment(stale, TODAY, net.users["rocb"])
    assert Appointment.objects.get(pk=ncp.pk).end_date is None


# --- hand_over -------------------------------------------------------------------------------


def test_hand_over_moves_the_rights_on_the_day(net):
    successor_user = factories.user("successor")
    successor = factories.person("Sofía", "Castro", net.uruguay, successor_user)
    predecessor = net.users["ncp_uy"]

    ended, new = services.hand_over(
        net.uruguay, "ncp", "capacity_building", successor, TODAY, net.users["rocb"]
    )

    assert ended.person == net.people["ncp_uy"] and ended.end_date == TODAY
    assert new.person == successor and new.start_date == TODAY and new.end_date is None
    assert ncp_of(net.uruguay, TODAY) == new
    assert ncp_of(net.uruguay, TODAY - datetime.timedelta(days=1)) == ended
    for on, holder, other in (
        (TODAY - datetime.timedelta(days=1), predecessor, successor_user),
        (TODAY, successor_user, predecessor),
    ):
        with time_machine.travel(on, tick=False):
            assert net.uruguay.pk in get_actor(fresh(holder)).ncp_org_ids
            assert net.uruguay.pk not in get_actor(fresh(other)).ncp_org_ids
    assert ended.history.filter(history_type="~").get().history_user == net.users["rocb"]
    assert new.history.get().history_user == net.users["rocb"]


@pytest.mark.parametrize("who", ["ncp_uy", "ncp_br", "partner", "reader"])
def test_hand_over_of_an_ncp_role_is_refused_to_others(net, who):
    successor = factories.person("Sofía", "Castro", net.uruguay)
    with pytest.raises(PermissionDenied):
        services.hand_over(
            net.uruguay, "ncp", "capacity_building", successor, TODAY, net.users[who]
        )
    assert ncp_of(net.uruguay).person == net.people["ncp_uy"]
    assert ncp_of(net.uruguay).end_date is None
    assert not Appointment.objects.filter(person=successor).exists()


def test_ncp_hands_over_a_head_of_administration(net):
    old = factories.person("Carlos", "Torres", net.uruguay)
    factories.appointment(old, net.uruguay, "head_of_administration")
    new_head = factories.person("Elena", "Díaz", net.uruguay)
    ended, new = services.hand_over(
        net.uruguay, "head_of_administration", "", new_head, TODAY, net.users["ncp_uy"]
    )
    assert ended.person == old and new.person == new_head


def test_hand_over_of_a_vacant_role_only_appoints(net):
    someone = factories.person("Elena", "Díaz", net.uruguay)
    ended, new = services.hand_over(
        net.uruguay, "ncp", "pmm", someone, TODAY, net.users["secretariat"]
    )
    assert ended is None and new.domain == "pmm"


def test_hand_over_to_the_holder_is_refused(net):
    with pytest.raises(ValidationError):
        services.hand_over(
            net.uruguay, "ncp", "capacity_building", net.people["ncp_uy"], TODAY, None
        )


def test_hand_over_is_all_or_nothing(net):
    """A successor that cannot be appointed leaves the current NCP in place."""
    later = factories.person("Paula", "Rojas", net.uruguay)
    successor = factories.person("Sofía", "Castro", net.uruguay)
    current = ncp_of(net.uruguay)
    # A successor already booked from a later date makes the new appointment overlap.
    services.end_appointment(current, TODAY + datetime.timedelta(days=30), None)
    factories.appointment(later, net.uruguay, "ncp", start_date=TODAY + datetime.timedelta(30))
    current.refresh_from_db()

    with pytest.raises(ValidationError):
        services.hand_over(
            net.uruguay, "ncp", "capacity_building", successor, TODAY, net.users["rocb"]
        )
    current.refresh_from_db()
    assert current.end_date == TODAY + datetime.timedelta(days=30)
    assert not Appointment.objects.filter(person=successor).exists()
