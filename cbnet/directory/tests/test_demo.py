"""The demo network: complete, idempotent, and its logins work under the sign-in rules."""

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from cbnet.capabilities.models import Area, Framework
from cbnet.core.permissions import get_actor
from cbnet.directory.demo import AMS_MEMBERS, LOGIN_ROLES, demo_password, load_demo
from cbnet.directory.models import Appointment, Organisation, Person, Region, User

PROJECT_DIR = Path(__file__).resolve().parents[3]
SHARED_MEMBERS = PROJECT_DIR.parent / "shared" / "data" / "reference" / "ams-members.csv"
SUBREGIONS = {
    "Caribbean": "AMS-CAR",
    "Central America": "AMS-CAM",
    "North America": "AMS-NAM",
    "South America": "AMS-SAM",
}
MODELS = (Region, Organisation, Person, Appointment, Framework, Area)


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db, fast_hashing):
    load_demo()


def snapshot():
    return {
        model.__name__: (
            model.objects.count(),
            model.history.count(),
            sorted(model.objects.values_list("pk", "version")),
        )
        for model in MODELS
    } | {"users": sorted(User.objects.values_list("pk", "password"))}


def test_members_match_the_reference_list():
    if not SHARED_MEMBERS.exists():
        pytest.skip(f"{SHARED_MEMBERS} is absent: ../shared is not beside the project")
    with SHARED_MEMBERS.open(encoding="utf-8", newline="") as handle:
        reference = {row["iso2"]: row for row in csv.DictReader(handle)}
    ours = {m.iso2: m for m in AMS_MEMBERS}
    assert set(ours) == set(reference)
    for iso2, row in reference.items():
        member = ours[iso2]
        assert member.subregion == SUBREGIONS[row["subregion"]], iso2
        assert member.territory == (row["kind"] == "customs territory"), iso2
        assert member.country == row["name_en"], iso2


@pytest.mark.django_db
def test_loading_twice_changes_nothing(fast_hashing):
    first = load_demo()
    before = snapshot()
    second = load_demo()
    assert first["created"] > 300
    assert second == {"created": 0}
    assert snapshot() == before


@pytest.mark.django_db
def test_created_rows_have_history_with_the_demo_reason(demo):
    uruguay = Organisation.objects.get(country="UY", kind="member_administration")
    record = uruguay.history.earliest()
    assert record.history_type == "+"
    assert record.history_change_reason == "demo data"
    created = Person.history.filter(history_type="+", history_change_reason="demo data")
    assert created.count() == Person.objects.count()


@pytest.mark.django_db
def test_every_ams_member_has_a_current_ncp_and_alternate(demo):
    ams = Region.objects.get(code="AMS")
    members = Organisation.objects.filter(region=ams, kind="member_administration")
    assert members.count() == len(AMS_MEMBERS) == 31
    current = Appointment.objects.current().filter(domain="capacity_building")
    for member in members:
        assert member.subregion.parent_id == ams.pk, member
        assert member.time_zone and member.languages, member
        for role in ("ncp", "alternate_ncp"):
            assert current.filter(organisation=member, role=role).count() == 1, (member, role)


@pytest.mark.django_db
def test_the_network_around_the_members(demo):
    assert set(Region.objects.filter(parent__isnull=True).values_list("code", flat=True)) == {
        "AMS", "ESA", "EUR", "AP", "MENA", "WCA"
    }  # fmt: skip
    assert set(Region.objects.filter(parent__code="AMS").values_list("code", flat=True)) == {
        "AMS-CAR", "AMS-CAM", "AMS-NAM", "AMS-SAM"
    }  # fmt: skip
    assert all(set(r.names) == {"es", "fr", "pt"} for r in Region.objects.all())
    for code in ("ESA", "EUR", "AP", "MENA", "WCA"):
        assert Organisation.objects.filter(region__code=code, kind="member_administration").exists()
    assert Organisation.objects.filter(kind="member_administration", country="CN").exists()
    partners = Organisation.objects.filter(kind="development_partner")
    assert {"IDB", "IMF", "WB", "USAID", "CBSA", "CBP", "OAS"} <= set(
        partners.values_list("acronym", flat=True)
    )
    idb = partners.get(acronym="IDB")
    assert partners.get(name__startswith="Japan Special Fund").parent == idb
    assert Organisation.objects.filter(kind="wco_secretariat").count() == 1
    rocb = Organisation.objects.get(kind="rocb", region__code="AMS")
    assert not rocb.is_demo
    assert Organisation.objects.filter(kind="regional_training_centre", is_demo=True).exists()
    # Handover history over the years, and the stale / never confirmed contacts.
    uruguay = Organisation.objects.get(country="UY", kind="member_administration")
    ncps = uruguay.appointments.filter(role="ncp", domain="capacity_building")
    ncps = ncps.order_by("start_date")
    assert ncps.count() == 3 and ncps.last().end_date is None
    assert all(a.end_date == b.start_date for a, b in zip(ncps, list(ncps)[1:], strict=False))
    assert uruguay.contacts_stale()
    assert Organisation.objects.filter(contacts_confirmed_on__isnull=True).exists()
    assert (
        Organisation.objects.filter(
            kind="member_administration", contacts_confirmed_on__isnull=False
        )
        .exclude(pk=uruguay.pk)
        .exists()
    )
    # Fictional people only, at the reserved example.org domain; accents are kept.
    assert not Person.objects.exclude(email__endswith=".example.org").exists()
    assert Person.objects.filter(family_name="Ramírez").exists()
    assert Person.objects.filter(expertise__isnull=False).distinct().count() >= 3


@pytest.mark.django_db
def test_demo_logins_sign_in_with_their_roles(demo):
    request = RequestFactory().post("/")
    assert set(LOGIN_ROLES) == {
        "ncp.uy", "ncp.br", "rocb.ams", "secretariat", "partner.idb", "expert", "viewer"
    }  # fmt: skip
    users = {}
    for username in LOGIN_ROLES:
        user = authenticate(request, username=username, password=demo_password())
        assert user is not None, username
        users[username] = user
    uruguay = Organisation.objects.get(country="UY", kind="member_administration")
    brazil = Organisation.objects.get(country="BR", kind="member_administration")
    assert get_actor(users["ncp.uy"]).ncp_org_ids == {uruguay.pk}
    assert get_actor(users["ncp.br"]).ncp_org_ids == {brazil.pk}
    assert uruguay.region_id in get_actor(users["rocb.ams"]).rocb_region_ids
    assert get_actor(users["secretariat"]).is_secretariat and users["secretariat"].is_staff
    idb = Organisation.objects.get(acronym="IDB", kind="development_partner")
    assert get_actor(users["partner.idb"]).partner_org_ids == {idb.pk}
    expert = get_actor(users["expert"])
    assert expert.has_appointments and not expert.has_write_role
    assert users["expert"].person.expertise.exists()
    viewer = get_actor(users["viewer"])
    assert not viewer.has_appointments and not users["viewer"].person.appointments.exists()
    assert authenticate(request, username="ncp.uy", password="wrong") is None


@pytest.mark.django_db
def test_password_comes_from_the_environment(monkeypatch, fast_hashing):
    monkeypatch.setenv("CBNET_DEMO_PASSWORD", "another-demo-secret")
    load_demo()
    request = RequestFactory().post("/")
    assert authenticate(request, username="ncp.br", password="another-demo-secret") is not None


@pytest.mark.django_db
def test_command_prints_the_logins(fast_hashing):
    out = StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    for username in LOGIN_ROLES:
        assert username in text
    assert demo_password() in text
    assert "Customs administration of Uruguay (DNA)" in text
