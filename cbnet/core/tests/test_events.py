"""Workflow events: what each directory operation records, who may read it, and the pages."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cbnet.core import permissions, services
from cbnet.core.events import (
    UnknownEventError,
    events_for,
    events_visible_to,
    record_event,
    value_rows,
)
from cbnet.core.models import Event
from cbnet.core.testing import factories as f
from cbnet.directory import services as directory
from cbnet.directory.accounts.services import invite
from cbnet.directory.models import Appointment, Person

pytestmark = pytest.mark.django_db
DAY = datetime.date(2024, 3, 1)


@pytest.fixture
def net():
    return f.network()


def only_event():
    events = list(Event.objects.all())
    assert len(events) == 1, [e.name for e in events]
    return events[0]


def person_ref(person):
    return {"model": "directory.person", "id": person.pk, "repr": str(person)}


# --- each operation records exactly one event -------------------------------------------


def test_appoint_records_appointment_created(net):
    marta = f.person("Marta", "Pérez", net.uruguay)
    appointment = directory.appoint(marta, net.uruguay, "staff", DAY, user=net.users["ncp_uy"])
    event = only_event()
    assert event.name == "appointment.created"
    assert (event.content_type.model_class(), event.object_id) == (Appointment, appointment.pk)
    assert event.actor == net.users["ncp_uy"]
    assert event.organisation == net.uruguay
    assert event.old is None
    assert event.new["person"] == person_ref(marta)
    assert event.new["role"] == "staff"
    assert event.new["start_date"] == "2024-03-01"


def test_end_appointment_records_old_and_new_end_date(net):
    marta = f.person("Marta", "Pérez", net.uruguay)
    appointment = f.appointment(marta, role="staff")
    directory.end_appointment(appointment, DAY, net.users["ncp_uy"])
    event = only_event()
    assert event.name == "appointment.ended"
    assert event.object_id == appointment.pk
    assert event.old == {"end_date": None}
    assert event.new == {"end_date": "2024-03-01"}
    assert event.actor == net.users["ncp_uy"]
    assert event.organisation == net.uruguay


def test_hand_over_records_one_event_with_outgoing_and_incoming_person(net):
    successor = f.person("Marta", "Pérez", net.uruguay)
    ended, new = directory.hand_over(
        net.uruguay, "ncp", "capacity_building", successor, DAY, net.users["rocb"]
    )
    event = only_event()
    assert event.name == "ncp.handed_over"
    assert event.object_id == net.uruguay.pk and event.organisation == net.uruguay
    assert event.old["person"] == person_ref(net.people["ncp_uy"])
    assert event.new["person"] == person_ref(successor)
    assert event.actor == net.users["rocb"]
    # Shown with the appointment's field labels and the role's label.
    assert ("person", "Lucía Ramírez", "Marta Pérez") in [
        (str(label), str(old), str(new)) for label, old, new in value_rows(event)
    ]
    assert ("role", "National Contact Point", "National Contact Point") in [
        (str(label), str(old), str(new)) for label, old, new in value_rows(event)
    ]


def test_confirm_contacts_records_who_and_when(net):
    directory.confirm_contacts(net.uruguay, net.users["ncp_uy"], on=DAY)
    event = only_event()
    assert event.name == "contacts.confirmed"
    assert event.old == {"contacts_confirmed_on": None, "contacts_confirmed_by": None}
    assert event.new == {
        "contacts_confirmed_on": "2024-03-01",
        "contacts_confirmed_by": person_ref(net.people["ncp_uy"]),
    }
    assert event.organisation == net.uruguay


def test_invite_records_person_invited(net, smtp_server):
    marta = f.person("Marta", "Pérez", net.uruguay, email="marta@example.org")
    invite(marta, by_user=net.users["ncp_uy"])
    event = only_event()
    assert event.name == "person.invited"
    assert (event.content_type.model_class(), event.object_id) == (Person, marta.pk)
    assert event.new == {"email": "marta@example.org"}
    assert event.actor == net.users["ncp_uy"]
    assert len(smtp_server.messages) == 1


def test_archive_and_restore_record_their_events(net):
    marta = f.person("Marta", "Pérez", net.uruguay)
    services.archive(marta, net.users["ncp_uy"])
    archived = only_event()
    assert archived.name == "record.archived"
    assert archived.old == {"archived_at": None} and archived.new["archived_at"]
    assert archived.organisation == net.uruguay
    services.restore(marta, net.users["ncp_uy"])
    restored = Event.objects.get(name="record.restored")
    assert restored.old == archived.new and restored.new == {"archived_at": None}
    assert Event.objects.count() == 2


def test_a_command_records_no_actor(net):
    directory.confirm_contacts(net.brazil, None, on=DAY)
    assert only_event().actor is None


# --- a failed operation records nothing ---------------------------------------------------


def test_an_appointment_out_of_scope_is_rolled_back_with_its_event(net):
    colleague = f.person("João", "Costa", net.brazil)
    with pytest.raises(PermissionDenied):
        directory.appoint(colleague, net.brazil, "staff", DAY, user=net.users["ncp_uy"])
    assert not Appointment.objects.filter(person=colleague).exists()
    assert not Event.objects.exists()


def test_a_refused_handover_records_nothing(net):
    with pytest.raises(ValidationError):
        directory.hand_over(
            net.uruguay, "ncp", "capacity_building", net.people["ncp_uy"], DAY, net.users["rocb"]
        )
    with pytest.raises(PermissionDenied):
        directory.hand_over(
            net.brazil, "ncp", "capacity_building", net.people["reader"], DAY, net.users["ncp_uy"]
        )
    assert not Event.objects.exists()


def test_a_failed_invitation_mail_rolls_the_event_back(net, settings):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    marta = f.person("Marta", "Pérez", net.uruguay, email="marta@example.org")
    with pytest.raises(OSError):
        invite(marta, by_user=net.users["ncp_uy"])
    assert not Event.objects.exists()


# --- the model and the registry -----------------------------------------------------------


def test_unknown_names_are_refused(net):
    with pytest.raises(UnknownEventError):
        record_event("appointment.teleported", net.uruguay, actor=None)
    assert not Event.objects.exists()


def test_events_are_never_changed(net):
    event = record_event("record.archived", net.uruguay, actor=None)
    event.name = "record.restored"
    with pytest.raises(ValidationError):
        event.save()
    assert Event.objects.get().name == "record.archived"


# --- reading through the permission door --------------------------------------------------


class HideBrazilPolicy(permissions.PersonPolicy):
    """Test-only: Brazil's people are confidential to everyone but the Secretariat."""

    def viewable(self, actor, qs):
        qs = super().viewable(actor, qs)
        return qs if actor.is_secretariat else qs.exclude(organisation__country="BR")


@pytest.fixture
def confidential(net, monkeypatch):
    monkeypatch.setitem(permissions.POLICIES, "directory.person", HideBrazilPolicy())
    secret = f.person("João", "Secreto", net.brazil)
    open_ = f.person("Marta", "Pérez", net.uruguay)
    record_event("person.invited", secret, actor=None, new={"email": "secret@example.org"})
    record_event("person.invited", open_, actor=None, new={"email": "marta@example.org"})
    return secret, open_


def test_events_follow_the_policy_of_their_record(net, confidential):
    secret, open_ = confidential
    seen = {e.object_id for e in events_visible_to(net.users["ncp_uy"])}
    assert seen == {open_.pk}
    assert {e.object_id for e in events_visible_to(net.users["secretariat"])} == {
        secret.pk,
        open_.pk,
    }
    assert events_for(secret, net.users["ncp_uy"]) == []
    assert len(events_for(secret, net.users["secretariat"])) == 1
    assert not events_visible_to(None).exists()


def test_the_feed_never_shows_events_about_records_out_of_view(client, net, confidential):
    client.force_login(net.users["ncp_uy"])
    page = client.get(reverse("activity")).content.decode()
    assert "Marta Pérez" in page
    assert "Secreto" not in page and "secret@example.org" not in page
    client.force_login(net.users["secretariat"])
    assert "João Secreto" in client.get(reverse("activity")).content.decode()


# --- the pages ----------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(reverse("activity"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_feed_shows_an_ncp_what_happened_in_the_network(client, net):
    directory.hand_over(
        net.brazil, "ncp", "capacity_building", net.people["reader"], DAY, net.users["rocb"]
    )
    directory.confirm_contacts(net.uruguay, net.users["ncp_uy"], on=DAY)
    client.force_login(net.users["ncp_uy"])
    response = client.get(reverse("activity"))
    page = response.content.decode()
    assert [row["event"].name for row in response.context["rows"]] == [
        "contacts.confirmed",
        "ncp.handed_over",
    ]
    assert "NCP handed over" in page and "Contacts confirmed" in page
    assert "Carla Mena (rocb.ams)" in page  # who handed over
    assert reverse("directory:organisation_detail", args=[net.brazil.pk]) in page
    assert reverse("activity") in client.get(reverse("home")).content.decode()  # navbar


def test_feed_filters(client, net):
    at = timezone.make_aware(datetime.datetime(2024, 3, 1, 12))
    record_event("record.archived", net.uruguay, actor=None, organisation=net.uruguay)
    record_event(
        "contacts.confirmed",
        net.brazil,
        actor=None,
        organisation=net.brazil,
        occurred_at=at,
    )
    record_event(
        "contacts.confirmed",
        net.uruguay,
        actor=None,
        organisation=net.uruguay,
        occurred_at=at - datetime.timedelta(days=30),
    )
    client.force_login(net.users["ncp_uy"])

    def shown(**params):
        rows = client.get(reverse("activity"), params).context["rows"]
        return [(row["event"].name, row["event"].object_id) for row in rows]

    assert len(shown()) == 3
    assert shown(kind="contacts.confirmed") == [
        ("contacts.confirmed", net.brazil.pk),
        ("contacts.confirmed", net.uruguay.pk),
    ]
    assert shown(organisation=net.uruguay.pk) == [
        ("record.archived", net.uruguay.pk),
        ("contacts.confirmed", net.uruguay.pk),
    ]
    assert shown(since="2024-02-15", until="2024-03-01") == [("contacts.confirmed", net.brazil.pk)]
    assert shown(kind="contacts.confirmed", until="2024-02-15") == [
        ("contacts.confirmed", net.uruguay.pk)
    ]
    assert shown(kind="no.such.kind") == []  # an invalid filter shows nothing, no error


def test_feed_pages_by_fifty(client, net):
    for _ in range(51):
        record_event("record.archived", net.uruguay, actor=net.users["secretariat"])
    client.force_login(net.users["ncp_uy"])
    first = client.get(reverse("activity"))
    assert len(first.context["rows"]) == 50
    assert 'rel="next"' in first.content.decode()
    assert len(client.get(reverse("activity"), {"page": 2}).context["rows"]) == 1


def _make_events(net, count):
    people = [f.person("Marta", f"Pérez{i}", net.uruguay) for i in range(count)]
    for person in people:
        appointment = f.appointment(person, role="staff")
        record_event("person.invited", person, actor=net.users["ncp_uy"], new={"email": "x"})
        record_event(
            "appointment.ended",
            appointment,
            actor=net.users["rocb"],
            old={"end_date": None},
            new={"end_date": DAY},
            organisation=net.uruguay,
        )
        record_event(
            "contacts.confirmed",
            net.uruguay,
            actor=None,
            new={"contacts_confirmed_by": person},
            organisation=net.uruguay,
        )


def test_feed_query_count_does_not_grow_with_rows(client, net):
    client.force_login(net.users["ncp_uy"])
    _make_events(net, 2)
    client.get(reverse("activity"))  # warm the content-type cache
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(reverse("activity")).context["rows"]) == 6
    _make_events(net, 10)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(reverse("activity")).context["rows"]) == 36
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_history_tab_shows_events_beside_row_changes(client, net):
    marta = f.person("Marta", "Pérez", net.uruguay)
    appointment = directory.appoint(marta, net.uruguay, "staff", DAY, user=net.users["ncp_uy"])
    appointment = Appointment.objects.get(pk=appointment.pk)
    later = DAY + datetime.timedelta(days=30)
    directory.end_appointment(appointment, later, net.users["rocb"])
    client.force_login(net.users["ncp_uy"])
    response = client.get(reverse("directory:appointment_history", args=[appointment.pk]))
    assert response.status_code == 200
    timeline = response.context["timeline"]
    assert [item["kind"] for item in timeline] == ["event", "change", "event", "change"]
    assert [item["event"].name for item in timeline if item["kind"] == "event"] == [
        "appointment.ended",
        "appointment.created",
    ]
    page = response.content.decode()
    assert "Appointment ended" in page and "Appointment created" in page
    assert "Carla Mena (rocb.ams)" in page
    # old → new, with the field's label and the date formatted for the reader.
    ended = timeline[0]
    assert [(str(label), old, new) for label, old, new in ended["rows"]] == [
        ("end date", "", "31 March 2024")
    ]


def test_docs_list_every_registered_event_name():
    from pathlib import Path

    from cbnet.core.events import EVENT_KINDS

    docs = Path(__file__).resolve().parents[3] / "docs" / "events.md"
    table = [line for line in docs.read_text().splitlines() if line.startswith("| `")]
    documented = {line.split("`")[1] for line in table}
    assert documented == set(EVENT_KINDS)
