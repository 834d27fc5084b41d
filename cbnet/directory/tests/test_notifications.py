"""The directory on the notifications: the NCP handover tells exactly the outgoing and
incoming NCP and the region's ROCB officers, in their languages; the yearly reminder to
confirm an administration's contacts goes to its NCPs once a year; invitations land in the
inbox too."""

import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.utils import formats, translation

from cbnet.core.notifications import services as notifications
from cbnet.core.notifications.models import Delivery, Notification
from cbnet.core.notifications.registry import Mode
from cbnet.core.testing import factories as f
from cbnet.directory import services
from cbnet.directory.accounts.services import invite
from cbnet.directory.notifications import CONTACTS_REMINDER, NCP_HANDED_OVER

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 10)


@pytest.fixture
def net():
    return f.network()


def body_of(message):
    return message.get_body(("plain",)).get_content()


def newcomer(net):
    return f.person(
        "Martín", "Suárez", net.uruguay, email="martin.suarez@aduanas.example", languages=["es"]
    )


@time_machine.travel(TODAY, tick=False)
def test_handover_notifies_exactly_the_three_parties(
    net, smtp_server, django_capture_on_commit_callbacks
):
    # Out of the picture: another region's ROCB, and an officer whose appointment ended.
    other_region = f.region("ESA", "East and Southern Africa")
    other_rocb = f.organisation("ROCB ESA", kind="rocb", region=other_region)
    f.member("rocb.esa", other_rocb, "rocb_officer")
    f.member("rocb.former", net.rocb_org, "rocb_officer", end_date=datetime.date(2025, 1, 1))
    martin = newcomer(net)

    with django_capture_on_commit_callbacks(execute=True):
        services.hand_over(
            net.uruguay, "ncp", "capacity_building", martin, TODAY, net.users["rocb"]
        )

    expected = {net.people["ncp_uy"].pk, martin.pk, net.people["rocb"].pk}
    rows = Notification.objects.filter(kind=NCP_HANDED_OVER)
    assert {row.recipient_id for row in rows} == expected and rows.count() == 3
    assert all(row.object_id == net.uruguay.pk for row in rows)
    assert all(row.actor == net.users["rocb"] for row in rows)
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        ["ncp.uy@example.org", "martin.suarez@aduanas.example", "rocb.ams@example.org"]
    )
    english = next(m for m in smtp_server.messages if m["To"] == "ncp.uy@example.org")
    assert "Dirección Nacional de Aduanas (Uruguay)" in english["Subject"]
    text = body_of(english)
    assert "Outgoing: Lucía Ramírez" in text and "Incoming: Martín Suárez" in text
    assert "National Contact Point (Capacity building)" in text
    assert "10 March 2026" in text
    assert net.uruguay.get_absolute_url() in text


@time_machine.travel(TODAY, tick=False)
def test_the_incoming_ncp_reads_the_handover_in_spanish(
    net, smtp_server, django_capture_on_commit_callbacks
):
    martin = newcomer(net)
    with django_capture_on_commit_callbacks(execute=True):
        services.hand_over(
            net.uruguay, "ncp", "capacity_building", martin, TODAY, net.users["rocb"]
        )
    spanish = next(m for m in smtp_server.messages if m["To"] == martin.email)
    assert spanish["Content-Language"] == "es"
    text = body_of(spanish)
    with translation.override("es"):
        date = formats.date_format(TODAY, "DATE_FORMAT")
    assert date in text and date != "10 March 2026"
    assert "Hola, Martín:" in text
    assert "Punto Nacional de Contacto (Fortalecimiento de capacidades)" in text


@time_machine.travel(TODAY, tick=False)
def test_a_refused_handover_notifies_no_one(net, smtp_server, django_capture_on_commit_callbacks):
    from django.core.exceptions import PermissionDenied

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(PermissionDenied):
            services.hand_over(
                net.uruguay, "ncp", "capacity_building", newcomer(net), TODAY, net.users["ncp_br"]
            )
    assert smtp_server.messages == []
    assert not Notification.objects.exists()


@time_machine.travel(TODAY, tick=False)
def test_other_handovers_send_no_ncp_notification(
    net, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.hand_over(
            net.uruguay, "head_of_administration", "", newcomer(net), TODAY, net.users["rocb"]
        )
    assert not Notification.objects.exists() and smtp_server.messages == []


# --- the yearly reminder --------------------------------------------------------------------


def confirm(org, on):
    services.confirm_contacts(org, None, on=on)


def test_stale_administrations_ncps_are_reminded_once_a_year(net, smtp_server, capsys):
    confirm(net.uruguay, datetime.date(2025, 3, 9))  # 366 days before TODAY: stale
    confirm(net.brazil, datetime.date(2025, 3, 10))  # exactly a year: still fresh
    alternate = f.member("alt.uy", net.uruguay, "alternate_ncp", given_name="Rosa")
    peru = f.organisation("SUNAT (Peru)", country="PE", region=net.ams)  # never confirmed
    f.member("ncp.pe", peru, "ncp", given_name="Pedro")
    ended = f.member("old.uy", net.uruguay, "ncp", domain="pmm", end_date=TODAY)

    with time_machine.travel(TODAY, tick=False):
        call_command("send_reminders")
        call_command("send_reminders")  # the same day: nothing new
    reminded = sorted(m["To"] for m in smtp_server.messages)
    assert reminded == sorted(["ncp.uy@example.org", alternate.email, "ncp.pe@example.org"])
    assert ended.email not in reminded and "ncp.br@example.org" not in reminded
    out = capsys.readouterr().out
    assert "remind_stale_contacts: 3 sent, 0 already sent, 0 failed" in out
    assert "remind_stale_contacts: 0 sent, 3 already sent, 0 failed" in out

    uy = next(m for m in smtp_server.messages if m["To"] == "ncp.uy@example.org")
    assert "Dirección Nacional de Aduanas (Uruguay)" in uy["Subject"]
    assert "last confirmed on 9 March 2025" in body_of(uy)
    pe = next(m for m in smtp_server.messages if m["To"] == "ncp.pe@example.org")
    assert "never been confirmed" in body_of(pe)
    assert Delivery.objects.filter(kind=CONTACTS_REMINDER).count() == 3

    # Later the same year: no second reminder for those still stale; Brazil, stale by
    # now, gets its first. The next year, all four again.
    with time_machine.travel(datetime.date(2026, 11, 1), tick=False):
        call_command("send_reminders")
    assert [m["To"] for m in smtp_server.messages[3:]] == ["ncp.br@example.org"]
    with time_machine.travel(datetime.date(2027, 1, 5), tick=False):
        call_command("send_reminders")
    assert len(smtp_server.messages) == 8


def test_confirming_stops_the_reminders(net, smtp_server):
    confirm(net.uruguay, datetime.date(2025, 1, 1))
    confirm(net.brazil, TODAY)
    with time_machine.travel(TODAY, tick=False):
        confirm(net.uruguay, TODAY)
        call_command("send_reminders")
    assert smtp_server.messages == []


def test_reminders_respect_preferences_and_failures_are_retried(net, smtp_server, settings):
    from django.core.management.base import CommandError

    confirm(net.brazil, TODAY)
    notifications.set_preference(net.people["ncp_uy"], CONTACTS_REMINDER, Mode.OFF)
    with time_machine.travel(TODAY, tick=False):
        call_command("send_reminders")
    assert smtp_server.messages == []  # off: the inbox only
    assert Notification.objects.filter(kind=CONTACTS_REMINDER).count() == 1

    notifications.set_preference(net.people["ncp_uy"], CONTACTS_REMINDER, Mode.IMMEDIATE)
    Delivery.objects.all().delete()
    Notification.objects.all().delete()
    good_port, settings.EMAIL_PORT = settings.EMAIL_PORT, _closed_port()
    with time_machine.travel(TODAY, tick=False):
        with pytest.raises(CommandError, match="1 reminder"):
            call_command("send_reminders")
        assert not Delivery.objects.exists() and not Notification.objects.exists()
        settings.EMAIL_PORT = good_port
        call_command("send_reminders")
    assert [m["To"] for m in smtp_server.messages] == ["ncp.uy@example.org"]


def _closed_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- invitations ----------------------------------------------------------------------------


def test_an_invitation_is_in_the_inbox_without_its_secret_link(net, smtp_server, settings):
    marta = f.person("Marta", "Pérez", net.uruguay, email="marta@example.org")
    # Even a person who chose "off" for everything gets their invitation.
    invite(marta, by_user=net.users["ncp_uy"])
    (row,) = Notification.objects.filter(recipient=marta)
    assert row.kind == "account.invitation" and row.emailed_at is not None
    assert "link" not in row.context and "/accounts/invitation/" not in str(row.context)
    assert row.context["username"] == "marta"
    assert "/accounts/invitation/" in body_of(smtp_server.messages[0])
    assert notifications.subject_of(row, "en").startswith("You are invited to CBNet")
