"""Notifications: inbox rows, e-mails over a real SMTP server in the recipient's language,
preferences (immediate, digest, off), digests sent once a day, unsubscribe links that work
once, and the inbox pages (own rows only, constant query count)."""

import datetime
import re
from urllib.parse import urlparse

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation

from cbnet.core.notifications import services
from cbnet.core.notifications.models import Delivery, Notification, Preference
from cbnet.core.notifications.registry import Mode
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 10)


@pytest.fixture
def net():
    return f.network()


def body_of(message):
    return message.get_body(("plain",)).get_content()


def send(net, kind, who, *, capture, **context):
    people = [net.people[name] for name in who]
    with capture(execute=True):
        return services.notify(
            people,
            kind,
            obj=net.uruguay,
            context={"what": "Uruguay's NCP changed", "on_date": TODAY, **context},
        )


def test_immediate_recipients_get_an_inbox_row_and_one_email_each(
    net, kind, smtp_server, django_capture_on_commit_callbacks
):
    rows = send(net, kind, ["ncp_uy", "rocb", "ncp_uy"], capture=django_capture_on_commit_callbacks)

    assert len(rows) == 2  # duplicates skipped
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "ncp.uy@example.org",  # people without an address of their own: their account's
        "rocb.ams@example.org",
    ]
    stored = Notification.objects.get(recipient=net.people["ncp_uy"])
    assert stored.kind == kind and stored.emailed_at is not None and stored.read_at is None
    assert stored.content_type.model == "organisation" and stored.object_id == net.uruguay.pk
    assert stored.context["on_date"] == "2026-03-10"  # JSON in the database
    message = smtp_server.messages[0]
    assert message["Subject"].strip() == "Uruguay's NCP changed — Capacity building"
    assert "10 March 2026" in body_of(message)  # rendered back as a date
    assert net.uruguay.get_absolute_url() in body_of(message)


def test_each_recipient_reads_their_own_language(
    net, kind, smtp_server, django_capture_on_commit_callbacks
):
    lucia = net.people["ncp_uy"]
    lucia.languages = ["ES", "en"]  # IATI-style upper case still counts
    lucia.save()
    send(net, kind, ["ncp_uy", "rocb"], capture=django_capture_on_commit_callbacks)

    by_to = {m["To"]: m for m in smtp_server.messages}
    spanish, english = by_to["ncp.uy@example.org"], by_to["rocb.ams@example.org"]
    assert spanish["Content-Language"] == "es" and english["Content-Language"] == "en"
    with translation.override("es"):
        spanish_date = formats.date_format(TODAY, "DATE_FORMAT")
    assert spanish_date != formats.date_format(TODAY, "DATE_FORMAT")
    assert spanish_date in body_of(spanish)
    assert "Hola, Lucía:" in body_of(spanish)  # "Dear %(name)s," as translated
    assert "Fortalecimiento de capacidades" in spanish["Subject"]
    assert "Dear Carla," in body_of(english)


def test_off_means_inbox_only_and_digest_waits_for_send_digests(
    net, kind, smtp_server, django_capture_on_commit_callbacks
):
    services.set_preference(net.people["ncp_uy"], kind, Mode.OFF)
    services.set_preference(net.people["rocb"], kind, Mode.DIGEST)
    send(net, kind, ["ncp_uy", "rocb"], capture=django_capture_on_commit_callbacks)

    assert smtp_server.messages == []
    assert Notification.objects.filter(recipient=net.people["ncp_uy"], mode="off").exists()
    assert Notification.objects.filter(recipient=net.people["rocb"], mode="digest").exists()

    with time_machine.travel(TODAY, tick=False):
        call_command("send_digests")
    assert [m["To"] for m in smtp_server.messages] == ["rocb.ams@example.org"]
    digest = smtp_server.messages[0]
    assert "1" in digest["Subject"]
    assert "Uruguay's NCP changed" in body_of(digest)
    assert reverse("notifications:preferences") in body_of(digest)


def test_digests_are_sent_once_a_day_even_if_run_twice(
    net, kind, smtp_server, django_capture_on_commit_callbacks, capsys
):
    services.set_preference(net.people["rocb"], kind, Mode.DIGEST)
    send(net, kind, ["rocb"], capture=django_capture_on_commit_callbacks)
    send(net, kind, ["rocb"], capture=django_capture_on_commit_callbacks, what="Second")

    with time_machine.travel(TODAY, tick=False):
        call_command("send_digests")
        call_command("send_digests")
        assert len(smtp_server.messages) == 1
        assert body_of(smtp_server.messages[0]).count("\n- ") == 2
        # Something new the same day waits for tomorrow's digest.
        send(net, kind, ["rocb"], capture=django_capture_on_commit_callbacks, what="Third")
        call_command("send_digests")
    assert len(smtp_server.messages) == 1
    with time_machine.travel(TODAY + datetime.timedelta(days=1), tick=False):
        call_command("send_digests")
        call_command("send_digests")
    assert len(smtp_server.messages) == 2
    assert "Third" in body_of(smtp_server.messages[1])
    assert "Second" not in body_of(smtp_server.messages[1])
    assert Delivery.objects.filter(kind="digest").count() == 2
    out = capsys.readouterr().out
    assert "send_digests 2026-03-10: 1 sent" in out and "send_digests 2026-03-10: 0 sent" in out


def test_a_failed_digest_keeps_nothing_and_is_retried(
    net, kind, smtp_server, settings, django_capture_on_commit_callbacks
):
    from django.core.management.base import CommandError

    services.set_preference(net.people["rocb"], kind, Mode.DIGEST)
    send(net, kind, ["rocb"], capture=django_capture_on_commit_callbacks)
    good_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = f.free_port() if hasattr(f, "free_port") else _closed_port()
    with time_machine.travel(TODAY, tick=False):
        with pytest.raises(CommandError, match="could not be sent"):
            call_command("send_digests")
        assert not Delivery.objects.exists()
        assert Notification.objects.get().digest_sent_at is None
        settings.EMAIL_PORT = good_port
        call_command("send_digests")
    assert len(smtp_server.messages) == 1


def _closed_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_read_notifications_are_left_out_of_the_digest(
    net, kind, smtp_server, django_capture_on_commit_callbacks
):
    services.set_preference(net.people["rocb"], kind, Mode.DIGEST)
    (row,) = send(net, kind, ["rocb"], capture=django_capture_on_commit_callbacks)
    services.mark_read(net.users["rocb"], row.pk)
    with time_machine.travel(TODAY, tick=False):
        call_command("send_digests")
    assert smtp_server.messages == []


# --- transactions ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_operation_sends_nothing_and_a_committed_one_does(kind, smtp_server):
    net = f.network()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            services.notify([net.people["ncp_uy"]], kind, context={"what": "never"})
            raise RuntimeError("the operation failed after notifying")
    assert smtp_server.messages == []
    assert not Notification.objects.exists()

    with transaction.atomic():
        services.notify([net.people["ncp_uy"]], kind, context={"what": "real"})
        assert smtp_server.messages == []  # not before the commit
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["Subject"].startswith("real")


def test_unknown_kinds_are_refused(net):
    with pytest.raises(ValueError, match="register_kind"):
        services.notify([net.people["ncp_uy"]], "no.such.kind")


# --- unsubscribe ----------------------------------------------------------------------------


def unsubscribe_path(message):
    match = re.search(r"https?://\S+/notifications/unsubscribe/\S+", body_of(message))
    assert match, body_of(message)
    header = message["List-Unsubscribe"].strip()  # a long header is folded
    assert header == f"<{match.group(0)}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return urlparse(match.group(0)).path


def test_an_unsubscribe_link_works_once(net, kind, smtp_server, django_capture_on_commit_callbacks):
    send(net, kind, ["ncp_uy"], capture=django_capture_on_commit_callbacks)
    path = unsubscribe_path(smtp_server.messages[0])
    anonymous = Client()

    page = anonymous.get(path)  # mail scanners open links: a GET changes nothing
    assert page.status_code == 200 and b'id="unsubscribe-confirm"' in page.content
    assert services.mode_for(net.people["ncp_uy"], kind) == Mode.IMMEDIATE

    page = anonymous.post(path)  # the button, or the mail client's one-click POST
    assert page.status_code == 200 and b"You are unsubscribed" in page.content
    assert b"Something happened" in page.content
    assert services.mode_for(net.people["ncp_uy"], kind) == Mode.OFF

    for again in (anonymous.post(path), anonymous.get(path)):
        assert again.status_code == 200 and b"already been used" in again.content

    # Off: the next one reaches the inbox only.
    send(net, kind, ["ncp_uy"], capture=django_capture_on_commit_callbacks)
    assert len(smtp_server.messages) == 1
    assert Notification.objects.filter(recipient=net.people["ncp_uy"]).count() == 2


def flip(token):
    """The token with its last character changed (the signature no longer matches)."""
    return token[:-1] + ("B" if token[-1] == "A" else "A")


def test_a_tampered_unsubscribe_link_gives_a_clear_page(
    net, kind, smtp_server, django_capture_on_commit_callbacks
):
    send(net, kind, ["ncp_uy"], capture=django_capture_on_commit_callbacks)
    path = unsubscribe_path(smtp_server.messages[0])
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = services.unsubscribe_token(net.people["ncp_br"].pk, kind, 0)  # then altered
    for bad in (flip(token), flip(forged), "garbage", token.replace(":", "", 1)):
        response = Client().post(reverse("notifications:unsubscribe", args=[bad]))
        assert response.status_code == 400, bad
        assert b"This link is not valid" in response.content
        assert Client().get(reverse("notifications:unsubscribe", args=[bad])).status_code == 400
    assert not Preference.objects.exists()


def test_mandatory_kinds_carry_no_unsubscribe_link(net, smtp_server):
    marta = f.person("Marta", "Pérez", net.uruguay, email="marta@example.org")
    from cbnet.directory.accounts.services import invite

    invite(marta, by_user=net.users["ncp_uy"])
    (message,) = smtp_server.messages
    assert message["List-Unsubscribe"] is None
    assert "/notifications/unsubscribe/" not in body_of(message)
    # A hand-made link for the mandatory kind is refused.
    token = services.unsubscribe_token(marta.pk, "account.invitation", 0)
    response = Client().post(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 400


# --- pages ----------------------------------------------------------------------------------


def notify_many(net, kind, who, n):
    for i in range(n):
        services.notify([net.people[who]], kind, context={"what": f"Item {i}"})


def test_inbox_shows_only_own_notifications_unread_first(client, net, kind):
    notify_many(net, kind, "ncp_uy", 3)
    notify_many(net, kind, "ncp_br", 1)
    first = Notification.objects.filter(recipient=net.people["ncp_uy"]).order_by("id").first()
    services.mark_read(net.users["ncp_uy"], first.pk)
    client.force_login(net.users["ncp_uy"])

    page = client.get(reverse("notifications:inbox"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('id="notification-') == 3
    assert html.index("Item 2") < html.index("Item 1") < html.index("Item 0")  # read last
    assert 'id="unread-badge">2<' in html
    assert "Item 0" in html and all(
        f"notification-{n.pk}" not in html
        for n in Notification.objects.filter(recipient=net.people["ncp_br"])
    )


def test_marking_read_is_for_ones_own_notifications(client, net, kind):
    notify_many(net, kind, "ncp_uy", 2)
    theirs = Notification.objects.filter(recipient=net.people["ncp_uy"]).first()
    client.force_login(net.users["ncp_br"])
    assert client.post(reverse("notifications:mark_read", args=[theirs.pk])).status_code == 404
    client.post(reverse("notifications:mark_all_read"))
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    assert client.get(reverse("notifications:mark_read", args=[theirs.pk])).status_code == 405

    client.force_login(net.users["ncp_uy"])
    response = client.post(reverse("notifications:mark_read", args=[theirs.pk]))
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is not None
    client.post(reverse("notifications:mark_all_read"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    page = client.get(reverse("notifications:inbox"))
    assert b'id="unread-badge"' not in page.content


def test_inbox_query_count_does_not_grow_with_rows(
    client, net, kind, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(net.users["ncp_uy"])
    notify_many(net, kind, "ncp_uy", 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("notifications:inbox")).status_code == 200
    notify_many(net, kind, "ncp_uy", 40)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("notifications:inbox"))
    assert page.content.decode().count('id="notification-') == 25  # one page
    assert len(many) == len(few)
    assert b'rel="next"' in page.content
    assert client.get(reverse("notifications:inbox") + "?page=2").status_code == 200
    assert client.get(reverse("notifications:inbox") + "?page=zz").status_code == 200


def test_the_badge_costs_one_query(client, net, kind):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    notify_many(net, kind, "ncp_uy", 1)
    client.force_login(net.users["ncp_uy"])
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("notifications:preferences"))
    counts = [q["sql"] for q in queries if "notifications_notification" in q["sql"]]
    assert len(counts) == 1 and "COUNT(" in counts[0].upper()


def test_preferences_page_sets_a_mode_per_kind(client, net, kind):
    client.force_login(net.users["ncp_uy"])
    page = client.get(reverse("notifications:preferences"))
    assert page.status_code == 200
    assert b"Something happened" in page.content
    assert b"account.invitation" not in page.content  # mandatory kinds are not offered
    data = {name: "immediate" for name in _kind_names(page)}
    data[kind] = "digest"
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    assert services.mode_for(net.people["ncp_uy"], kind) == Mode.DIGEST
    assert Preference.objects.filter(person=net.people["ncp_uy"]).count() == 1  # only changes

    data[kind] = "loud"
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 200  # the form again, with the error, never a 500
    assert services.mode_for(net.people["ncp_uy"], kind) == Mode.DIGEST


def _kind_names(page):
    return set(re.findall(r'type="radio" name="([^"]+)"', page.content.decode()))


def test_pages_need_a_login_but_the_unsubscribe_page_does_not(client, net, kind):
    for name in ("notifications:inbox", "notifications:preferences"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response.url
    token = services.unsubscribe_token(net.people["ncp_uy"].pk, kind, 0)
    assert client.get(reverse("notifications:unsubscribe", args=[token])).status_code == 200


def test_a_link_for_someone_since_deleted_or_an_unknown_kind_is_not_valid(client, net, kind):
    ghost = f.person("Gone", "Away")
    token = services.unsubscribe_token(ghost.pk, kind, 0)
    ghost.delete()
    for bad in (token, services.unsubscribe_token(net.people["ncp_uy"].pk, "no.such.kind", 0)):
        url = reverse("notifications:unsubscribe", args=[bad])
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 400
            assert b"This link is not valid" in response.content
    assert not Preference.objects.exists()
