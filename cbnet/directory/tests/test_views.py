"""Directory pages: the generic five-user cases per model, then what is particular to each."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from cbnet.core.testing import factories as f
from cbnet.core.testing.views import ModelViewTests
from cbnet.directory.models import Appointment, Organisation, Person, Region


class TestRegionViews(ModelViewTests):
    model = Region
    in_scope_user = "secretariat"
    out_of_scope_user = "rocb"
    edit_changes = {"name": "Europe (renamed)"}

    def make_object(self, net):
        return f.region("EUR", "Europe")

    def create_data(self, net):
        return {"code": "AMS-CAR", "name": "Caribbean", "names": "{}", "parent": net.ams.pk}

    def import_rows(self, net):
        return [
            ["code", "name", "parent"],
            ["ESA", "East and Southern Africa", ""],
            ["AMS-NAM", "North America", "AMS"],
        ]

    def make_rows(self, net, count):
        for _ in range(count):
            f.region(parent=net.ams)


class TestOrganisationViews(ModelViewTests):
    model = Organisation
    in_scope_user = "ncp_uy"  # edits Uruguay's website
    out_of_scope_user = "ncp_br"
    add_user = "rocb"
    archive_user = "rocb"
    edit_changes = {"website": "https://www.aduanas.gub.uy/nuevo"}

    def make_object(self, net):
        return net.uruguay

    def create_data(self, net):
        return {
            "name": "Dirección General de Aduanas (Paraguay)",
            "kind": "member_administration",
            "country": "PY",
            "region": net.ams.pk,
            "subregion": net.sam.pk,
            "languages": "es, gn",
        }

    def import_rows(self, net):
        return [
            ["name", "kind", "country", "region", "subregion", "languages"],
            ["Aduana de Chile", "member_administration", "Chile", "AMS", "AMS-SAM", "es"],
            ["Customs of Peru", "Member administration", "PE", "AMS", "AMS-SAM", "es, qu"],
        ]

    def make_rows(self, net, count):
        for _ in range(count):
            organisation = f.organisation(region=net.ams, subregion=net.sam, country="AR")
            f.appointment(f.person(organisation=organisation), role="ncp")

    def test_ncp_cannot_change_name(self, client, net):
        client.force_login(net.users["ncp_uy"])
        response = client.get(reverse("directory:organisation_edit", args=[net.uruguay.pk]))
        form = response.context["form"]
        assert form.fields["name"].disabled and not form.fields["website"].disabled
        data = self.edit_form_data(net, net.uruguay, "ncp_uy")
        data["name"] = "Renamed by the NCP"
        response = client.post(reverse("directory:organisation_edit", args=[net.uruguay.pk]), data)
        assert response.status_code == 200
        assert "name" in response.context["form"].errors
        assert Organisation.objects.get(pk=net.uruguay.pk).name == net.uruguay.name

    def test_rocb_changes_name_in_region(self, client, net):
        client.force_login(net.users["rocb"])
        data = self.edit_form_data(net, net.uruguay, "rocb")
        data["name"] = "Aduanas del Uruguay"
        response = client.post(reverse("directory:organisation_edit", args=[net.uruguay.pk]), data)
        assert response.status_code == 302
        assert Organisation.objects.get(pk=net.uruguay.pk).name == "Aduanas del Uruguay"

    def test_ncp_cannot_add_organisation(self, client, net):
        client.force_login(net.users["ncp_uy"])
        assert client.get(reverse("directory:organisation_add")).status_code == 403

    @pytest.fixture
    def march_2026(self):
        with time_machine.travel(datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)):
            yield

    def test_confirm_contacts(self, client, march_2026, net):
        url = reverse("directory:organisation_confirm_contacts", args=[net.uruguay.pk])
        client.force_login(net.users["ncp_br"])
        assert client.post(url).status_code == 403
        client.force_login(net.users["ncp_uy"])
        page = client.get(net.uruguay.get_absolute_url()).content.decode()
        assert 'id="confirm-contacts"' in page and "never been confirmed" in page
        assert client.post(url).status_code == 302
        uruguay = Organisation.objects.get(pk=net.uruguay.pk)
        assert uruguay.contacts_confirmed_on == datetime.date(2026, 3, 1)
        assert uruguay.contacts_confirmed_by == net.people["ncp_uy"]
        page = client.get(net.uruguay.get_absolute_url()).content.decode()
        assert "Lucía Ramírez" in page and "Contacts confirmed on" in page
        history = client.get(reverse("directory:organisation_history", args=[net.uruguay.pk]))
        latest = history.context["entries"][0]
        assert latest["user"] == net.users["ncp_uy"]
        changes = {str(label): (old, new) for label, old, new in latest["changes"]}
        assert changes["contacts confirmed by"] == ("", "Lucía Ramírez")
        assert changes["contacts confirmed on"] == ("", datetime.date(2026, 3, 1))

    def test_detail_shows_current_ncp_and_handover_history(self, client, net):
        earlier = f.person("Sofía", "Castro", net.uruguay)
        f.appointment(earlier, role="ncp", start_date=datetime.date(2015, 1, 1), end_date=f.START)
        client.force_login(net.users["reader"])
        response = client.get(net.uruguay.get_absolute_url())
        capacity = response.context["ncp_by_domain"][0]
        assert capacity["ncp"].person == net.people["ncp_uy"]
        assert [a.person for a in response.context["ncp_history"]] == [
            net.people["ncp_uy"],
            earlier,
        ]

    def test_stale_filter(self, client, net):
        Organisation.objects.filter(pk=net.brazil.pk).update(
            contacts_confirmed_on=datetime.date.today()
        )
        client.force_login(net.users["reader"])
        response = client.get(reverse("directory:organisation_list"), {"freshness": "stale"})
        listed = {row.record.pk for row in response.context["table"].paginated_rows}
        assert net.uruguay.pk in listed and net.brazil.pk not in listed


class TestPersonViews(ModelViewTests):
    model = Person
    edit_changes = {"phone": "+598 2 915 0000"}

    def make_object(self, net):
        return f.person("Martín", "Ramírez", net.uruguay, email="martin@aduanas.gub.uy")

    def create_data(self, net):
        return {
            "given_name": "José",
            "family_name": "Pérez",
            "organisation": net.uruguay.pk,
            "email": "jose.perez@aduanas.gub.uy",
            "languages": "es",
        }

    def import_rows(self, net):
        return [
            ["given_name", "family_name", "organisation", "email", "languages"],
            ["Ana", "Suárez", "DNA", "ana.suarez@aduanas.gub.uy", "es, en"],
            [
                "Pedro",
                "Gómez",
                "Dirección Nacional de Aduanas (Uruguay)",
                "pedro@aduanas.gub.uy",
                "",
            ],
        ]

    def make_rows(self, net, count):
        for _ in range(count):
            f.person(organisation=net.brazil, languages=["pt"])

    def test_search_ignores_accents(self, client, net):
        person = self.make_object(net)
        client.force_login(net.users["reader"])
        response = client.get(reverse("directory:person_list"), {"q": "ramirez"})
        listed = {row.record.pk for row in response.context["table"].paginated_rows}
        assert person.pk in listed and net.people["ncp_uy"].pk in listed
        assert net.people["ncp_br"].pk not in listed

    def test_ncp_cannot_move_person_to_another_administration(self, client, net):
        person = self.make_object(net)
        client.force_login(net.users["ncp_uy"])
        data = self.edit_form_data(net, person, "ncp_uy")
        data["organisation"] = net.brazil.pk
        response = client.post(reverse("directory:person_edit", args=[person.pk]), data)
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
        assert Person.objects.get(pk=person.pk).organisation == net.uruguay

    def test_ncp_cannot_import_people_of_another_administration(self, client, net):
        client.force_login(net.users["ncp_uy"])
        rows = [["given_name", "family_name", "organisation"], ["Rui", "Costa", "RFB"]]
        from cbnet.core.testing.views import _upload, csv_text

        response = client.post(
            reverse("directory:person_import"), {"file": _upload(csv_text(rows))}
        )
        assert response.status_code == 200
        assert [e.row for e in response.context["result"].errors] == [2]
        assert not Person.objects.filter(family_name="Costa").exists()

    def test_import_reports_unknown_organisation_and_cp1252(self, client, net):
        client.force_login(net.users["ncp_uy"])
        text = "given_name,family_name,organisation\nJosé,Núñez,DNA\nAna,Paz,Nowhere Customs\n"
        from cbnet.core.testing.views import _upload

        response = client.post(
            reverse("directory:person_import"), {"file": _upload(text.encode("cp1252"))}
        )
        errors = response.context["result"].errors
        assert [(e.row, e.field) for e in errors] == [(3, "organisation")]
        assert not Person.objects.filter(family_name="Núñez").exists()

    def test_vcard(self, client, net):
        person = self.make_object(net)
        client.force_login(net.users["reader"])
        response = client.get(reverse("directory:person_vcard", args=[person.pk]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/vcard")
        import vobject

        card = vobject.readOne(response.content.decode("utf-8"))
        assert card.fn.value == "Martín Ramírez"
        assert card.email.value == "martin@aduanas.gub.uy"
        assert card.org.value == [net.uruguay.name]

    def test_language_filter(self, client, net):
        speaker = f.person("Jean", "Dupont", net.brazil, languages=["fr", "pt"])
        client.force_login(net.users["reader"])
        response = client.get(reverse("directory:person_list"), {"language": "fr"})
        listed = {row.record.pk for row in response.context["table"].paginated_rows}
        assert listed == {speaker.pk}


class TestAppointmentViews(ModelViewTests):
    model = Appointment
    edit_changes = {"note": "Customs modernisation unit"}

    def make_object(self, net):
        colleague = f.person("Martín", "Ramírez", net.uruguay, email="martin@aduanas.gub.uy")
        return f.appointment(colleague, role="staff")

    def create_data(self, net):
        colleague = f.person("Inés", "Olivera", net.uruguay)
        return {
            "person": colleague.pk,
            "organisation": net.uruguay.pk,
            "role": "staff",
            "domain": "",
            "start_date": "2024-05-01",
        }

    def import_rows(self, net):
        f.person("Inés", "Olivera", net.uruguay, email="ines@aduanas.gub.uy")
        f.person("Pablo", "Lima", net.uruguay, email="pablo@aduanas.gub.uy")
        return [
            ["person", "organisation", "role", "start_date"],
            ["ines@aduanas.gub.uy", "DNA", "staff", "2024-01-01"],
            ["pablo@aduanas.gub.uy", "DNA", "Expert", "2024-02-01"],
        ]

    def make_rows(self, net, count):
        for _ in range(count):
            f.appointment(f.person(organisation=net.brazil), role="staff")

    def test_ncp_cannot_record_an_ncp_appointment(self, client, net):
        client.force_login(net.users["ncp_uy"])
        data = self.create_data(net)
        data.update(role="alternate_ncp", domain="capacity_building")
        before = Appointment.objects.count()
        response = client.post(reverse("directory:appointment_add"), data)
        assert response.status_code == 200
        assert "role" in response.context["form"].errors
        assert Appointment.objects.count() == before

    def test_rocb_records_an_ncp_appointment(self, client, net):
        client.force_login(net.users["rocb"])
        data = self.create_data(net)
        data.update(role="alternate_ncp", domain="capacity_building")
        response = client.post(reverse("directory:appointment_add"), data)
        assert response.status_code == 302

    def test_domain_is_required_for_ncp(self, client, net):
        client.force_login(net.users["rocb"])
        data = self.create_data(net)
        data.update(role="ncp", domain="")
        response = client.post(reverse("directory:appointment_add"), data)
        assert response.status_code == 200
        assert "domain" in response.context["form"].errors

    def test_ncp_cannot_edit_ncp_appointment(self, client, net):
        ncp_appointment = net.people["ncp_uy"].appointments.get()
        client.force_login(net.users["ncp_uy"])
        assert (
            client.get(reverse("directory:appointment_edit", args=[ncp_appointment.pk])).status_code
            == 403
        )

    def test_search_matches_person_and_organisation(self, client, net):
        client.force_login(net.users["reader"])
        url = reverse("directory:appointment_list")
        by_person = client.get(url, {"q": "lucia ramirez"}).context["table"].paginated_rows
        assert {row.record.person_id for row in by_person} == {net.people["ncp_uy"].pk}
        by_org = client.get(url, {"q": "receita"}).context["table"].paginated_rows
        assert {row.record.organisation_id for row in by_org} == {net.brazil.pk}

    def test_held_on_finds_the_ncp_on_a_date(self, client, net):
        before = f.person("Sofía", "Castro", net.uruguay)
        f.appointment(before, role="ncp", start_date=datetime.date(2015, 1, 1), end_date=f.START)
        client.force_login(net.users["reader"])
        url = reverse("directory:appointment_list")
        params = {"role": "ncp", "organisation": net.uruguay.pk}
        rows = client.get(url, {**params, "held_on": "2019-03-14"}).context["table"].paginated_rows
        assert [row.record.person for row in rows] == [before]
        rows = client.get(url, {**params, "current": "yes"}).context["table"].paginated_rows
        assert [row.record.person for row in rows] == [net.people["ncp_uy"]]


@pytest.mark.django_db
def test_home_shows_organisation_appointments_and_confirm_box(client):
    net = f.network()
    client.force_login(net.users["ncp_uy"])
    page = client.get(reverse("home")).content.decode()
    assert net.uruguay.name in page
    assert f'id="confirm-box-{net.uruguay.pk}"' in page
    client.force_login(net.users["reader"])
    page = client.get(reverse("home")).content.decode()
    assert "confirm-box" not in page


@pytest.mark.django_db
def test_language_switch_is_remembered(client):
    net = f.network()
    client.force_login(net.users["reader"])
    response = client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert response.status_code == 302
    assert client.cookies["django_language"].value == "es"
    page = client.get(reverse("directory:person_list")).content.decode()
    assert '<html lang="es">' in page


@pytest.mark.django_db
def test_language_switch_works_before_sign_in(client):
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.cookies["django_language"].value == "fr"
