"""Every rule of cbnet/core/permissions.py, per directory model and action.

The cast comes from ``factories.network()`` plus rows out of everyone's scope: France's
administration (region EUR), another partner (IMF), an organisation recorded with only a
sub-region, and people and appointments in each of them.
"""

import datetime
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cbnet.capabilities.models import Framework
from cbnet.core.permissions import (
    ORGANISATION_SELF_SERVICE_FIELDS,
    access_object,
    can,
    check_fields,
    editable_fields,
    get_actor,
    restrict,
)
from cbnet.core.testing import factories
from cbnet.directory.auth import account_in_good_standing
from cbnet.directory.models import Appointment, Organisation, Person, Region

pytestmark = pytest.mark.django_db
USERS = ("anonymous", "reader", "ncp_uy", "ncp_br", "rocb", "secretariat", "partner")


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    net = factories.network()
    eur = factories.region("EUR", "Europe")
    france = factories.organisation("Douane (France)", country="FR", region=eur)
    imf = factories.organisation("IMF", kind="development_partner", acronym="IMF")
    sam_only = factories.organisation("Sub-region only", country="PY", subregion=net.sam)
    people = {
        "uy": factories.person("Raúl", "Méndez", net.uruguay),
        "br": factories.person("Ana", "Souza", net.brazil),
        "fr": factories.person("Luc", "Moreau", france),
        "idb": factories.person("Grace", "Brown", net.idb),
        "imf": factories.person("Omar", "Saleh", imf),
        "sam_only": factories.person("Elena", "Díaz", sam_only),
    }
    appointments = {
        "uy_ncp": Appointment.objects.get(person=net.people["ncp_uy"], role="ncp"),
        "uy_staff": factories.appointment(people["uy"], role="staff"),
        "br_staff": factories.appointment(people["br"], role="staff"),
        "fr_staff": factories.appointment(people["fr"], role="staff"),
        "idb_staff": factories.appointment(people["idb"], role="staff"),
        "imf_staff": factories.appointment(people["imf"], role="staff"),
    }
    orgs = {
        "uruguay": net.uruguay,
        "brazil": net.brazil,
        "france": france,
        "idb": net.idb,
        "imf": imf,
        "sam_only": sam_only,
    }
    users = {"anonymous": AnonymousUser(), **net.users}
    return SimpleNamespace(net=net, orgs=orgs, people=people, appointments=appointments,
                           users=users, eur=eur)  # fmt: skip


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def allowed(world, user_key, model, action, keys):
    """Which of ``keys`` the user may ``action``, via the restricted queryset and can()."""
    objects = {
        "organisation": world.orgs,
        "person": world.people,
        "appointment": world.appointments,
    }
    rows = objects[model]
    user = world.users[user_key]
    pks = set(
        restrict(type(rows[keys[0]]).objects.all(), user, action).values_list("pk", flat=True)
    )
    by_queryset = {key for key in keys if rows[key].pk in pks}
    by_can = {key for key in keys if can(user, action, rows[key])}
    assert by_queryset == by_can, (user_key, model, action)
    return by_queryset


ORG_KEYS = ("uruguay", "brazil", "france", "idb", "imf", "sam_only")
PERSON_KEYS = ("uy", "br", "fr", "idb", "imf", "sam_only")
APPOINTMENT_KEYS = ("uy_ncp", "uy_staff", "br_staff", "fr_staff", "idb_staff", "imf_staff")
ALL = {"organisation": set(ORG_KEYS), "person": set(PERSON_KEYS),
       "appointment": set(APPOINTMENT_KEYS)}  # fmt: skip
KEYS = {"organisation": ORG_KEYS, "person": PERSON_KEYS, "appointment": APPOINTMENT_KEYS}

EXPECTED = {
    # (model, action): {user: keys allowed}
    ("organisation", "change"): {
        "anonymous": set(), "reader": set(), "ncp_uy": {"uruguay"}, "ncp_br": {"brazil"},
        "rocb": {"uruguay", "brazil", "sam_only"}, "secretariat": ALL["organisation"],
        "partner": {"idb"},
    },
    ("organisation", "delete"): {
        "anonymous": set(), "reader": set(), "ncp_uy": set(), "ncp_br": set(),
        "rocb": {"uruguay", "brazil", "sam_only"}, "secretariat": ALL["organisation"],
        "partner": set(),
    },
    ("person", "change"): {
        "anonymous": set(), "reader": set(), "ncp_uy": {"uy"}, "ncp_br": {"br"},
        "rocb": {"uy", "br", "sam_only"}, "secretariat": ALL["person"], "partner": {"idb"},
    },
    ("person", "delete"): {
        "anonymous": set(), "reader": set(), "ncp_uy": {"uy"}, "ncp_br": {"br"},
        "rocb": {"uy", "br", "sam_only"}, "secretariat": ALL["person"], "partner": {"idb"},
    },
    ("appointment", "change"): {
        "anonymous": set(), "reader": set(), "ncp_uy": {"uy_staff"}, "ncp_br": {"br_staff"},
        "rocb": {"uy_ncp", "uy_staff", "br_staff"}, "secretariat": ALL["appointment"],
        "partner": {"idb_staff"},
    },
    ("appointment", "delete"): {
        "anonymous": set(), "reader": set(), "ncp_uy": {"uy_staff"}, "ncp_br": {"br_staff"},
        "rocb": {"uy_ncp", "uy_staff", "br_staff"}, "secretariat": ALL["appointment"],
        "partner": {"idb_staff"},
    },
}  # fmt: skip


@pytest.mark.parametrize("model", ["organisation", "person", "appointment"])
@pytest.mark.parametrize("user_key", USERS)
def test_view(world, user_key, model):
    expected = set() if user_key == "anonymous" else ALL[model]
    assert allowed(world, user_key, model, "view", KEYS[model]) == expected


@pytest.mark.parametrize("case", sorted(EXPECTED))
@pytest.mark.parametrize("user_key", USERS)
def test_change_and_delete(world, user_key, case):
    model, action = case
    assert allowed(world, user_key, model, action, KEYS[model]) == EXPECTED[case][user_key]


@pytest.mark.parametrize(
    "model, users_who_may_add",
    [
        (Region, {"secretariat"}),
        (Organisation, {"secretariat", "rocb"}),
        (Person, {"secretariat", "rocb", "ncp_uy", "ncp_br", "partner"}),
        (Appointment, {"secretariat", "rocb", "ncp_uy", "ncp_br", "partner"}),
        (Framework, {"secretariat"}),
    ],
)
def test_add(world, model, users_who_may_add):
    assert {key for key in USERS if can(world.users[key], "add", model)} == users_who_may_add
    for key in USERS:
        qs = restrict(model.objects.all(), world.users[key], "add")
        assert (qs.query.is_empty() is False) == (key in users_who_may_add)


@pytest.mark.parametrize("model", [Region, Framework])
def test_default_policy_reads_for_all_writes_for_the_secretariat(world, model):
    row = (
        world.net.ams
        if model is Region
        else Framework.objects.create(code="f", kind="other", name="F")
    )
    for key in USERS:
        assert can(world.users[key], "view", row) == (key != "anonymous")
        for action in ("change", "delete"):
            assert can(world.users[key], action, row) == (key == "secretariat")


def test_everyone_may_edit_their_own_person_record_but_not_archive_it(world):
    for key in ("reader", "ncp_br", "partner", "rocb"):
        user = world.users[key]
        assert can(user, "change", user.person), key
    reader = world.users["reader"]
    assert not can(reader, "delete", reader.person)
    assert not can(reader, "change", world.users["ncp_uy"].person)


def test_ncp_cannot_change_ncp_or_alternate_appointments_of_own_administration(world):
    alternate = factories.appointment(world.people["uy"], role="alternate_ncp")
    elearning = factories.appointment(world.people["uy"], role="ncp", domain="elearning")
    ncp = world.users["ncp_uy"]
    for appointment in (alternate, elearning, world.appointments["uy_ncp"]):
        assert can(ncp, "view", appointment)
        assert not can(ncp, "change", appointment)
        assert not can(ncp, "delete", appointment)
        assert can(world.users["rocb"], "change", appointment)


# --- field-level rule for organisations --------------------------------------------------------


@pytest.mark.parametrize(
    "user_key, org_key, expected",
    [
        ("secretariat", "france", None),
        ("rocb", "uruguay", None),
        ("rocb", "sam_only", None),
        ("rocb", "france", set()),
        ("ncp_uy", "uruguay", set(ORGANISATION_SELF_SERVICE_FIELDS)),
        ("ncp_uy", "brazil", set()),
        ("partner", "idb", set(ORGANISATION_SELF_SERVICE_FIELDS)),
        ("partner", "imf", set()),
        ("reader", "uruguay", set()),
    ],
)
def test_editable_fields(world, user_key, org_key, expected):
    assert editable_fields(world.users[user_key], world.orgs[org_key]) == expected


def test_ncp_changes_only_self_service_fields_of_own_administration(world):
    ncp, uruguay = world.users["ncp_uy"], world.orgs["uruguay"]
    check_fields(ncp, uruguay, {"website", "languages", "contacts_confirmed_on"})
    for field in ("name", "kind", "country", "region", "subregion", "parent", "iati_ref"):
        with pytest.raises(PermissionDenied) as refused:
            check_fields(ncp, uruguay, {"website", field})
        assert field in str(refused.value)
    check_fields(world.users["rocb"], uruguay, {"name", "iati_ref", "region"})


# --- where rights come from ------------------------------------------------------------------


def test_rocb_scope_is_its_region_and_the_regions_subregions(world):
    actor = get_actor(world.users["rocb"])
    ams_family = set(Region.objects.filter(code__startswith="AMS").values_list("pk", flat=True))
    assert actor.rocb_region_ids == ams_family
    assert world.eur.pk not in actor.rocb_region_ids
    # An ROCB attached to a sub-region reaches only that sub-region.
    sub_rocb = factories.organisation("ROCB SAM", kind="rocb", region=world.net.sam)
    officer = factories.member("rocb.sam", sub_rocb, "rocb_officer")
    assert get_actor(officer).rocb_region_ids == {world.net.sam.pk}
    assert not can(officer, "change", world.orgs["france"])


@pytest.mark.parametrize(
    "role, org_kind, gives",
    [
        ("alternate_ncp", "member_administration", "ncp"),
        ("ncp", "member_administration", "ncp"),
        ("secretariat_officer", "member_administration", None),
        ("rocb_officer", "member_administration", None),
        ("partner_focal_point", "member_administration", None),
        ("head_of_administration", "member_administration", None),
        ("expert", "member_administration", None),
        ("partner_focal_point", "development_partner", "partner"),
        ("staff", "development_partner", None),
        ("secretariat_officer", "wco_secretariat", "secretariat"),
        ("staff", "wco_secretariat", None),
    ],
)
def test_rights_come_from_the_role_in_the_right_kind_of_organisation(world, role, org_kind, gives):
    org = factories.organisation(
        kind=org_kind,
        country="CL" if org_kind == "member_administration" else "",
        region=world.net.ams,
    )
    user = factories.member("someone", org, role)
    actor = get_actor(user)
    assert actor.has_appointments
    assert (org.pk in actor.ncp_org_ids) == (gives == "ncp")
    assert (org.pk in actor.partner_org_ids) == (gives == "partner")
    assert actor.is_secretariat == (gives == "secretariat")
    assert actor.has_write_role == (gives is not None)
    assert not actor.rocb_region_ids


def test_archived_future_and_ended_appointments_give_no_rights(world):
    person = world.people["uy"]
    user = factories.user("someone")
    person.user = user
    person.save()
    today = datetime.date(2026, 3, 10)
    archived = factories.appointment(
        person, role="alternate_ncp", start_date=datetime.date(2020, 1, 1)
    )
    archived.mark_archived()
    archived.save()
    factories.appointment(
        person, role="ncp", domain="pmm", start_date=today + datetime.timedelta(1)
    )
    factories.appointment(
        person, role="ncp", domain="elearning", start_date=datetime.date(2020, 1, 1), end_date=today
    )
    with time_machine.travel(today, tick=False):
        assert get_actor(fresh(user)).ncp_org_ids == frozenset()
    with time_machine.travel(today + datetime.timedelta(1), tick=False):
        assert get_actor(fresh(user)).ncp_org_ids == {world.orgs["uruguay"].pk}


def test_superuser_is_treated_as_secretariat(world):
    root = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    assert get_actor(root).is_secretariat
    assert can(root, "change", world.orgs["france"])


def test_handover_moves_the_ncp_rights_on_the_day(world):
    """The NCP's appointment ends on D: on D - 1 they hold the rights, on D they do not."""
    day = datetime.date(2026, 6, 1)
    ncp_user = world.users["ncp_uy"]
    appointment = world.appointments["uy_ncp"]
    appointment.end_date = day
    appointment.save()
    successor = factories.member("ncp.uy2", world.orgs["uruguay"], "ncp", start_date=day)
    uruguay, colleague = world.orgs["uruguay"], world.people["uy"]

    with time_machine.travel(day - datetime.timedelta(days=1), tick=False):
        before = fresh(ncp_user)
        assert get_actor(before).ncp_org_ids == {uruguay.pk}
        assert can(before, "change", colleague)
        assert not can(fresh(successor), "change", colleague)
        assert account_in_good_standing(before)
    with time_machine.travel(day, tick=False):
        after = fresh(ncp_user)
        assert get_actor(after).ncp_org_ids == frozenset()
        assert not can(after, "change", colleague)
        assert can(fresh(successor), "change", colleague)
        # Had appointments, holds none today: the account can no longer sign in.
        assert not account_in_good_standing(after)
    # The actor on a given date is also a query.
    assert get_actor(ncp_user, on=day - datetime.timedelta(days=1)).ncp_org_ids == {uruguay.pk}
    assert get_actor(ncp_user, on=day).ncp_org_ids == frozenset()


def test_reader_without_appointments_keeps_signing_in(world):
    reader = world.users["reader"]
    assert account_in_good_standing(reader)
    assert not get_actor(reader).has_write_role


# --- the door -----------------------------------------------------------------------------


def test_access_object(world):
    brazil = world.orgs["brazil"]
    users = world.users
    with pytest.raises(Http404):
        access_object(Organisation, users["anonymous"], brazil.pk)
    with pytest.raises(Http404):
        access_object(Organisation, users["reader"], "not-a-number")
    with pytest.raises(Http404):
        access_object(Organisation, users["reader"], 10**9)
    assert access_object(Organisation, users["ncp_uy"], brazil.pk) == brazil
    with pytest.raises(PermissionDenied):
        access_object(Organisation, users["ncp_uy"], brazil.pk, "change")
    assert access_object(Organisation, users["ncp_br"], brazil.pk, "change") == brazil
    with pytest.raises(PermissionDenied):
        access_object(Organisation, users["ncp_br"], brazil.pk, "delete")


def test_unknown_action_is_an_error(world):
    with pytest.raises(ValueError):
        restrict(Organisation.objects.all(), world.users["secretariat"], "purge")


def test_restricted_manager_is_the_same_door(world):
    ncp = world.users["ncp_uy"]
    assert set(Person.objects.restrict(ncp, "change")) == set(
        restrict(Person.objects.all(), ncp, "change")
    )


def test_own_person_record_offers_only_contact_fields(world):
    reader = world.users["reader"]
    own = reader.person
    assert editable_fields(reader, own) == {
        "given_name", "family_name", "title", "email", "phone", "mobile", "languages",
        "expertise",
    }  # fmt: skip
    with pytest.raises(PermissionDenied):
        check_fields(reader, own, ["organisation"])
    check_fields(reader, own, ["phone"])
    # The NCP keeps every field of the people of their own administration.
    assert editable_fields(world.users["ncp_uy"], world.people["uy"]) is None
    assert editable_fields(world.users["ncp_uy"], world.people["br"]) == set()


def test_focal_point_cannot_hand_out_partner_rights(world):
    partner = world.users["partner"]
    outsider = world.people["br"]
    grant = Appointment(
        person=outsider,
        organisation=world.orgs["idb"],
        role="partner_focal_point",
        start_date=datetime.date(2020, 1, 1),
    )
    grant.save()
    assert not can(partner, "change", grant)
    assert can(partner, "change", world.appointments["idb_staff"])
    assert can(world.users["secretariat"], "change", grant)


def test_ncp_cannot_move_their_own_record_to_another_organisation(world):
    ncp = world.users["ncp_uy"]
    own = ncp.person
    assert "organisation" not in editable_fields(ncp, own)
    with pytest.raises(PermissionDenied):
        check_fields(ncp, own, ["organisation"])
    assert editable_fields(world.users["rocb"], own) is None
