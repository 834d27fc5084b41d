"""Small factory functions for tests: keyword defaults, no magic, one row per call.

``network()`` builds the standard cast every permission test needs::

    net = network()
    net.uruguay, net.brazil          # member administrations in AMS / AMS-SAM
    net.rocb_org, net.secretariat_org, net.idb
    net.users["ncp_uy"]              # NCP (capacity building) of Uruguay
    net.users["ncp_br"]              # NCP of Brazil (out of scope for Uruguay's records)
    net.users["rocb"]                # ROCB officer of AMS
    net.users["secretariat"]         # WCO Secretariat officer
    net.users["partner"]             # IDB focal point
    net.users["reader"]              # signed in, a person without appointments
    net.people["ncp_uy"]             # the Person behind each user

Appointments start on ``START`` (2020-01-01) so they are current under any frozen clock
from then on.
"""

import datetime
import itertools
from types import SimpleNamespace

from django.contrib.auth import get_user_model

from cbnet.directory.models import Appointment, Organisation, Person, Region

START = datetime.date(2020, 1, 1)
PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)


def _n():
    return next(_counter)


def region(code=None, name=None, parent=None, **kwargs):
    code = code or f"R{_n()}"
    existing = Region.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return Region.objects.create(code=code, name=name or f"Region {code}", parent=parent, **kwargs)


def ams():
    """The AMS region and its South America sub-region: (AMS, AMS-SAM)."""
    parent = region(
        "AMS",
        "Americas and Caribbean",
        names={
            "es": "Américas y el Caribe",
            "fr": "Amériques et Caraïbes",
            "pt": "Américas e Caribe",
        },
    )
    sam = region("AMS-SAM", "South America", parent=parent, names={"es": "América del Sur"})
    return parent, sam


def organisation(name=None, kind="member_administration", country="", region=None, **kwargs):
    if kind == "member_administration" and not country:
        country = "UY"
    return Organisation.objects.create(
        name=name or f"Organisation {_n()}", kind=kind, country=country, region=region, **kwargs
    )


def user(username=None, password=PASSWORD, **kwargs):
    username = username or f"user{_n()}"
    kwargs.setdefault("email", f"{username}@example.org")
    return get_user_model().objects.create_user(username=username, password=password, **kwargs)


def person(given_name="Ana", family_name=None, organisation=None, user=None, **kwargs):
    return Person.objects.create(
        given_name=given_name,
        family_name=family_name or f"Person{_n()}",
        organisation=organisation,
        user=user,
        **kwargs,
    )


def appointment(person, organisation=None, role="staff", domain=None, start_date=START, **kwargs):
    if domain is None:
        domain = "capacity_building" if role in ("ncp", "alternate_ncp") else ""
    return Appointment.objects.create(
        person=person,
        organisation=organisation or person.organisation,
        role=role,
        domain=domain,
        start_date=start_date,
        **kwargs,
    )


def member(username, organisation, role=None, *, given_name="Ana", family_name=None, **kwargs):
    """A user with a Person in ``organisation`` and (if ``role``) a current appointment."""
    account = user(username)
    someone = person(
        given_name, family_name or username.replace(".", " ").title(), organisation, account
    )
    if role:
        appointment(someone, organisation, role, **kwargs)
    return account


def network():
    """Regions, organisations and one user per role (see the module docstring)."""
    ams_region, sam = ams()
    uruguay = organisation(
        "Dirección Nacional de Aduanas (Uruguay)",
        country="UY",
        region=ams_region,
        subregion=sam,
        acronym="DNA",
        website="https://www.aduanas.gub.uy",
    )
    brazil = organisation(
        "Receita Federal do Brasil", country="BR", region=ams_region, subregion=sam, acronym="RFB"
    )
    rocb_org = organisation("ROCB Americas and Caribbean", kind="rocb", region=ams_region)
    secretariat_org = organisation("WCO Secretariat", kind="wco_secretariat", country="BE")
    idb = organisation(
        "Inter-American Development Bank",
        kind="development_partner",
        acronym="IDB",
        iati_ref="XM-DAC-46012",
    )
    users = {
        "ncp_uy": member("ncp.uy", uruguay, "ncp", given_name="Lucía", family_name="Ramírez"),
        "ncp_br": member("ncp.br", brazil, "ncp", given_name="João", family_name="Silva"),
        "rocb": member(
            "rocb.ams", rocb_org, "rocb_officer", given_name="Carla", family_name="Mena"
        ),
        "secretariat": member(
            "secretariat", secretariat_org, "secretariat_officer", family_name="Dubois"
        ),
        "partner": member("partner.idb", idb, "partner_focal_point", family_name="Smith"),
        "reader": member("viewer", None, None, given_name="Vera", family_name="Viewer"),
    }
    people = {key: account.person for key, account in users.items()}
    return SimpleNamespace(
        ams=ams_region,
        sam=sam,
        uruguay=uruguay,
        brazil=brazil,
        rocb_org=rocb_org,
        secretariat_org=secretariat_org,
        idb=idb,
        users=users,
        people=people,
    )
