"""The directory API, by declaration (cbnet.core.testing.api), plus the rules only it has."""

import datetime
import itertools
import re

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from cbnet.capabilities.models import Area, Framework
from cbnet.core.testing import factories
from cbnet.core.testing.api import APITests
from cbnet.directory.models import Appointment, Organisation, Person, Region

_n = itertools.count(1)


def other_region():
    return factories.region("EUR", "Europe")


class TestRegionAPI(APITests):
    model = Region
    in_scope_user = None  # only the Secretariat writes regions
    out_of_scope_user = "rocb"

    def make_object(self, net):
        return factories.region(f"T{next(_n)}", "Testland", names={"es": "Tierra de prueba"})

    def create_data(self, net):
        return {"code": f"NEW{next(_n)}", "name": "New region", "names": {"fr": "Nouvelle"}}

    def update_data(self, net, obj):
        return {"name": "Renamed region"}

    def protected_object(self, net, obj):
        return factories.organisation(region=obj)

    def filter_params(self, net, obj):
        return [({"q": obj.code.lower()}, True), ({"parent": net.ams.pk}, False)]


class TestOrganisationAPI(APITests):
    model = Organisation
    in_scope_user = "rocb"  # the region's ROCB officer: full rights in AMS
    out_of_scope_user = "ncp_br"

    def make_object(self, net):
        return factories.organisation(
            f"Aduana {next(_n)}", country="AR", region=net.ams, subregion=net.sam
        )

    def create_data(self, net):
        return {
            "name": f"Aduana Nacional {next(_n)}",
            "kind": "member_administration",
            "country": "PY",
            "region": net.ams.pk,
            "languages": ["es", "gn"],
        }

    def update_data(self, net, obj):
        return {"acronym": "DNA-AR", "website": "https://www.afip.gob.ar"}

    def out_of_scope_create(self, net):
        return {**self.create_data(net), "region": other_region().pk}

    def out_of_scope_update(self, net, obj):
        return {"region": other_region().pk, "subregion": None}

    def protected_object(self, net, obj):
        return factories.person(organisation=obj)

    def filter_params(self, net, obj):
        return [
            ({"q": "aduana"}, True),
            ({"kind": "member_administration"}, True),
            ({"kind": "rocb"}, False),
            ({"region": net.ams.pk}, True),
            ({"country": "BR"}, False),
        ]

    def make_rows(self, net, count):
        # Each with a current NCP, so current_ncps must stay prefetched.
        for _ in range(count):
            org = self.make_object(net)
            factories.appointment(factories.person(organisation=org), org, "ncp")


class TestPersonAPI(APITests):
    model = Person
    in_scope_user = "ncp_uy"
    out_of_scope_user = "ncp_br"

    def make_object(self, net):
        return factories.person("Mateo", "Rodríguez", net.uruguay, email="mateo@example.org")

    def create_data(self, net):
        return {
            "given_name": "Marta",
            "family_name": "Pérez",
            "organisation": net.uruguay.pk,
            "email": "marta.perez@example.org",
            "languages": ["es"],
        }

    def update_data(self, net, obj):
        return {"phone": "+598 2 915 0007", "title": "Head of training"}

    def out_of_scope_create(self, net):
        return {**self.create_data(net), "organisation": net.brazil.pk}

    def out_of_scope_update(self, net, obj):
        return {"organisation": net.brazil.pk}

    def protected_object(self, net, obj):
        return factories.appointment(obj, net.uruguay, "staff")

    def filter_params(self, net, obj):
        return [
            ({"q": "rodriguez"}, True),  # accent-insensitive
            ({"q": "RODRÍGUEZ mateo"}, True),
            ({"q": "silva"}, False),
            ({"organisation": net.uruguay.pk}, True),
            ({"organisation": net.brazil.pk}, False),
        ]

    def make_rows(self, net, count):
        framework = Framework.objects.create(code=f"fw{next(_n)}", kind="other", name="F")
        area = Area.objects.create(framework=framework, code="1", name="Area")
        for _ in range(count):
            self.make_object(net).expertise.add(area)


class TestAppointmentAPI(APITests):
    model = Appointment
    in_scope_user = "ncp_uy"
    out_of_scope_user = "ncp_br"

    def make_object(self, net):
        someone = factories.person("Inés", "Suárez", net.uruguay)
        return factories.appointment(someone, net.uruguay, "staff", note="Trainer")

    def create_data(self, net):
        someone = factories.person("Pablo", "Núñez", net.uruguay)
        return {
            "person": someone.pk,
            "organisation": net.uruguay.pk,
            "role": "expert",
            "start_date": "2024-03-01",
        }

    def update_data(self, net, obj):
        return {"end_date": "2025-06-30", "note": "Moved to another unit"}

    def out_of_scope_create(self, net):
        # NCP appointments are recorded by the ROCB or the Secretariat only.
        return {**self.create_data(net), "role": "alternate_ncp", "domain": "pmm"}

    def out_of_scope_update(self, net, obj):
        return {"role": "ncp", "domain": "elearning"}

    def filter_params(self, net, obj):
        return [
            ({"role": "staff"}, True),
            ({"role": "ncp"}, False),
            ({"organisation": net.uruguay.pk}, True),
            ({"q": "suarez"}, True),
        ]


# --- rules beyond the generic cases ---------------------------------------------------


def token_client(user, **headers):
    from rest_framework.authtoken.models import Token

    client = APIClient(**headers)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def net(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return factories.network()


def detail(basename, pk):
    return reverse(f"api:directory-{basename}-detail", args=[pk])


def test_ncp_changes_only_self_service_fields_of_own_administration(net):
    client = token_client(net.users["ncp_uy"])
    url = detail("organisation", net.uruguay.pk)
    ok = client.patch(
        url, {"website": "https://www.aduanas.gub.uy/es", "version": 1}, format="json"
    )
    assert ok.status_code == 200, ok.content
    refused = client.patch(
        url, {"name": "Aduanas", "iati_ref": "UY-1", "version": 2}, format="json"
    )
    assert refused.status_code == 403
    assert "iati_ref" in refused.json()["detail"] and "name" in refused.json()["detail"]
    net.uruguay.refresh_from_db()
    assert net.uruguay.name == "Dirección Nacional de Aduanas (Uruguay)"
    # Sending an unchanged value of a restricted field is not a change (a full PUT works).
    body = client.get(url).json()
    body["languages"] = ["es"]
    assert client.put(url, body, format="json").status_code == 200


def test_ncp_reads_but_cannot_change_another_administration(net):
    client = token_client(net.users["ncp_uy"])
    url = detail("organisation", net.brazil.pk)
    assert client.get(url).status_code == 200
    response = client.patch(url, {"website": "https://example.org", "version": 1}, format="json")
    assert response.status_code == 403


def test_ncp_cannot_archive_own_administration(net):
    response = token_client(net.users["ncp_uy"]).delete(detail("organisation", net.uruguay.pk))
    assert response.status_code == 403


def test_current_ncps_are_derived_from_current_appointments(net):
    with time_machine.travel(datetime.datetime(2024, 6, 1, 12, tzinfo=datetime.UTC), tick=False):
        old = factories.person("Olga", "Antigua", net.brazil)
        factories.appointment(
            old,
            net.brazil,
            "alternate_ncp",
            start_date=datetime.date(2019, 1, 1),
            end_date=datetime.date(2023, 1, 1),
        )
        new = factories.person("Nuno", "Novo", net.brazil)
        factories.appointment(
            new, net.brazil, "alternate_ncp", start_date=datetime.date(2023, 1, 1)
        )
        body = token_client(net.users["reader"]).get(detail("organisation", net.brazil.pk)).json()
    people = {(row["name"], row["role"]) for row in body["current_ncps"]}
    assert people == {("João Silva", "ncp"), ("Nuno Novo", "alternate_ncp")}


def test_model_validation_errors_are_field_errors(net):
    client = token_client(net.users["secretariat"])
    response = client.post(
        reverse("api:directory-appointment-list"),
        {
            "person": net.people["ncp_br"].pk,
            "organisation": net.brazil.pk,
            "role": "ncp",
            "domain": "",
            "start_date": "2024-01-01",
            "end_date": "2023-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"domain", "end_date"}
    duplicate = client.post(
        reverse("api:directory-region-list"), {"code": "AMS", "name": "Again"}, format="json"
    )
    assert duplicate.status_code == 400
    assert "code" in duplicate.json()


def test_overlapping_ncp_is_refused_with_the_models_message(net):
    client = token_client(net.users["rocb"])
    someone = factories.person("Otra", "Persona", net.uruguay)
    response = client.post(
        reverse("api:directory-appointment-list"),
        {
            "person": someone.pk,
            "organisation": net.uruguay.pk,
            "role": "ncp",
            "domain": "capacity_building",
            "start_date": "2024-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "Another person holds this role" in response.json()["start_date"][0]


def test_malformed_json_values_are_400_not_500(net):
    client = token_client(net.users["secretariat"])
    url = detail("organisation", net.uruguay.pk)
    for bad in ({"languages": 5}, {"languages": {"es": 1}}, {"region": "x"}, {"version": "x"}):
        response = client.patch(url, {"version": 1, **bad}, format="json")
        assert response.status_code == 400, (bad, response.content)
    response = client.patch(
        detail("region", net.ams.pk), {"version": 1, "names": ["es"]}, format="json"
    )
    assert response.status_code == 400
    response = client.patch(
        detail("region", net.ams.pk), {"version": 1, "names": {"xx": "?"}}, format="json"
    )
    assert response.status_code == 400


def test_person_user_link_is_read_only(net):
    client = token_client(net.users["ncp_uy"])
    someone = factories.person("Sin", "Cuenta", net.uruguay)
    response = client.patch(
        detail("person", someone.pk),
        {"user": net.users["secretariat"].pk, "version": someone.version},
        format="json",
    )
    assert response.status_code == 200
    someone.refresh_from_db()
    assert someone.user_id is None


def test_everyone_edits_own_person_record(net):
    client = token_client(net.users["reader"])
    me = net.people["reader"]
    response = client.patch(
        detail("person", me.pk),
        {"mobile": "+32 470 00 00 00", "version": me.version},
        format="json",
    )
    assert response.status_code == 200, response.content


# --- authentication -------------------------------------------------------------------


def test_token_endpoint_gives_a_working_token(net):
    client = APIClient()
    response = client.post(
        reverse("api:token"), {"username": "ncp.uy", "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get(reverse("api:directory-person-list")).status_code == 200


def test_token_endpoint_refuses_wrong_password_and_throttles(net):
    client = APIClient(REMOTE_ADDR="10.0.0.7")
    url = reverse("api:token")
    codes = [
        client.post(url, {"username": "ncp.uy", "password": "wrong"}, format="json").status_code
        for _ in range(6)
    ]
    assert codes[0] == 400
    assert codes[-1] == 429
    right = client.post(url, {"username": "ncp.uy", "password": factories.PASSWORD}, format="json")
    assert right.status_code == 429  # locked out even with the right password


def ended_ncp(net):
    """Uruguay's NCP hands over: their only appointment ends today."""
    appointment = net.people["ncp_uy"].appointments.get()
    appointment.end_date = datetime.date.today()
    appointment.save()
    return net.users["ncp_uy"]


def test_token_endpoint_refuses_person_whose_appointments_ended(net):
    ended_ncp(net)
    response = APIClient().post(
        reverse("api:token"), {"username": "ncp.uy", "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 400


def test_existing_token_stops_working_when_appointments_end(net):
    client = token_client(net.users["ncp_uy"])
    url = reverse("api:directory-person-list")
    assert client.get(url).status_code == 200
    ended_ncp(net)
    client2 = token_client(net.users["ncp_uy"])
    response = client2.get(url)
    assert response.status_code == 401


def test_session_of_person_whose_appointments_ended_gets_401_not_redirect(net, client):
    client.force_login(net.users["ncp_uy"])
    url = reverse("api:directory-person-list")
    assert client.get(url).status_code == 200
    ended_ncp(net)
    response = client.get(url)
    assert response.status_code == 401


def test_anonymous_api_is_401_but_docs_page_redirects_to_login(db, client):
    assert client.get(reverse("api:directory-person-list")).status_code == 401
    assert client.get(reverse("api:schema")).status_code == 401
    response = client.get(reverse("api:docs"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_schema_and_docs_for_signed_in_users(net, client):
    client.force_login(net.users["reader"])
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/directory/people/{id}/"]["patch"]
    assert {"400", "401", "403", "404", "409", "412", "428"} <= set(operation["responses"])
    for path in schema["paths"].values():
        for method, operation in path.items():
            assert {"400", "401", "403", "404"} <= set(operation["responses"]), method
    docs = client.get(reverse("api:docs"))
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.content.decode())
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:  # served by the platform itself, no CDN
        assert asset.startswith("/static/"), asset
        assert client.get(asset).status_code == 200, asset


def test_token_for_officers_needs_their_authenticator_code_where_required(net, settings):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.CBNET_REQUIRE_2FA_FOR_OFFICERS = True
    device = TOTPDevice.objects.create(user=net.users["rocb"], name="phone", confirmed=True)
    url = reverse("api:token")
    credentials = {"username": "rocb.ams", "password": factories.PASSWORD}
    without = APIClient().post(url, credentials, format="json")
    assert without.status_code == 400
    assert "otp" in without.json()
    code = f"{totp(device.bin_key):06d}"
    with_code = APIClient().post(url, {**credentials, "otp": code}, format="json")
    assert with_code.status_code == 200, with_code.content
    # An NCP is not an officer: the password is enough.
    ncp = APIClient().post(
        url, {"username": "ncp.uy", "password": factories.PASSWORD}, format="json"
    )
    assert ncp.status_code == 200


def test_schema_generates_without_warnings():
    """Every choice set has its own name (ENUM_NAME_OVERRIDES): clients get stable types."""
    import io

    from django.core.management import call_command

    errors = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=io.StringIO(), stderr=errors)
    assert "Warning" not in errors.getvalue()
