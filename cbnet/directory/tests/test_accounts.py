"""Accounts end to end: invitations and password resets over a real SMTP server, sign-in
refused after the last appointment ends, two-factor codes for officers, login throttling."""

import datetime
import re
from urllib.parse import urlparse

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cbnet.core.testing import factories as f
from cbnet.directory.accounts.services import invite
from cbnet.directory.models import Person

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PROTECTED = "/accounts/password_change/"  # any page that needs a signed-in user
NEW_PASSWORD = "Quilombo-de-la-aduana-42"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def net():
    return f.network()


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


def login(client, username, password=f.PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def body_of(message):
    return message.get_body(("plain",)).get_content()


def link_path(message, pattern):
    match = re.search(r"https?://[^\s]+" + pattern + r"[^\s]*", body_of(message))
    assert match, body_of(message)
    return urlparse(match.group(0)).path


def new_person(org, **kwargs):
    kwargs.setdefault("email", "marta.perez@aduanas.example")
    return f.person("Marta", "Pérez", org, **kwargs)


# --- login page --------------------------------------------------------------------------


def test_login_page_is_public_and_shows_demo_logins_only_in_the_demo(client, settings):
    settings.CBNET_DEMO = True
    page = client.get(LOGIN)
    assert page.status_code == 200
    assert b"ncp.uy" in page.content and b"make run" in page.content
    settings.CBNET_DEMO = False
    page = client.get(LOGIN)
    assert page.status_code == 200
    assert b"ncp.uy" not in page.content


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(PROTECTED)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_login_then_logout_by_post(client, net):
    response = login(client, "ncp.uy", next=PROTECTED)
    assert response.status_code == 302 and response.url == PROTECTED
    assert signed_in_user_id(client) == str(net.users["ncp_uy"].pk)
    assert client.get(PROTECTED).status_code == 200
    assert client.get("/accounts/logout/").status_code == 405  # never by a GET
    client.post("/accounts/logout/")
    assert signed_in_user_id(client) is None


def test_wrong_password_is_refused_with_the_generic_message(client, net):
    page = login(client, "ncp.uy", "wrong-password")
    assert page.status_code == 200
    assert signed_in_user_id(client) is None
    assert b"correct username and password" in page.content


# --- invitations -------------------------------------------------------------------------


def test_invitation_arrives_over_smtp_and_its_link_sets_a_password_and_signs_in(
    client, net, smtp_server
):
    marta = new_person(net.uruguay)
    user = invite(marta, by_user=net.users["ncp_uy"])

    marta.refresh_from_db()
    assert marta.user == user
    assert user.username == "marta.perez" and user.is_active and not user.has_usable_password()
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "marta.perez@aduanas.example"
    assert "CBNet" in message["Subject"]
    assert "marta.perez" in body_of(message)  # the username is in the mail

    path = link_path(message, "/accounts/invitation/")
    response = client.get(path)
    # Django moves the token out of the URL into the session before showing the form.
    assert response.status_code == 302
    form_page = client.get(response.url)
    assert form_page.status_code == 200 and b"new_password1" in form_page.content
    response = client.post(
        response.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user.pk)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    # The new password works at the login form, with a fresh browser.
    client.logout()
    assert login(client, "marta.perez", NEW_PASSWORD).status_code == 302
    assert signed_in_user_id(client) == str(user.pk)


def test_a_used_invitation_link_is_refused_with_a_clear_page(client, net, smtp_server):
    marta = new_person(net.uruguay)
    invite(marta, by_user=net.users["ncp_uy"])
    path = link_path(smtp_server.messages[0], "/accounts/invitation/")
    set_password_url = client.get(path).url
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    other_browser = client_class()
    page = other_browser.get(path)
    assert page.status_code == 200
    assert b"This link has already been used" in page.content
    assert b"new_password1" not in page.content
    # The same in the browser that used it.
    page = client.get(path)
    assert page.status_code == 200 and b"already been used" in page.content


def test_an_expired_or_mangled_invitation_link_says_so(client, net, smtp_server, settings):
    marta = new_person(net.uruguay)
    invite(marta, by_user=net.users["ncp_uy"])
    path = link_path(smtp_server.messages[0], "/accounts/invitation/")
    uidb64, token = path.rstrip("/").split("/")[-2:]
    altered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    page = client.get(f"/accounts/invitation/{uidb64}/{altered}/")
    assert page.status_code == 200 and b"This link is not valid" in page.content
    page = client.get("/accounts/invitation/bm9wZQ/abc-def/")  # no such user
    assert page.status_code == 200 and b"This link is not valid" in page.content
    with time_machine.travel(datetime.datetime.now() + datetime.timedelta(days=4)):
        page = client.get(path)
    assert page.status_code == 200 and b"This link has expired" in page.content


def client_class():
    from django.test import Client

    return Client()


def test_invitation_mail_is_written_in_the_persons_language(net, smtp_server):
    marta = new_person(net.uruguay, languages=["es", "en"])
    invite(marta, by_user=net.users["ncp_uy"])
    joao = f.person("Joana", "Souza", net.uruguay, email="joana@example.org", languages=["pt"])
    invite(joao, by_user=net.users["ncp_uy"], language="es")  # an explicit choice wins
    nobody = f.person("Jean", "Martin", net.uruguay, email="jean@example.org")
    with translation.override("fr"):
        invite(nobody, by_user=net.users["ncp_uy"])  # no languages: the active language

    spanish, explicit, french = smtp_server.messages
    assert spanish["Content-Language"] == "es" and explicit["Content-Language"] == "es"
    assert french["Content-Language"] == "fr"
    assert "Estimada" in body_of(spanish) or "Hola" in body_of(spanish)
    assert "invitado" in spanish["Subject"].lower()
    assert "invité" in french["Subject"].lower()
    # The link is the same kind whatever the language.
    assert "/accounts/invitation/" in body_of(french)


def test_only_people_one_maintains_can_be_invited(client, net, smtp_server):
    in_brazil = f.person("Pedro", "Costa", net.brazil, email="pedro@example.org")
    with pytest.raises(PermissionDenied):
        invite(in_brazil, by_user=net.users["ncp_uy"])
    with pytest.raises(PermissionDenied):
        invite(in_brazil, by_user=net.users["reader"])
    assert not smtp_server.messages
    in_brazil.refresh_from_db()
    assert in_brazil.user is None

    # ROCB officers and the Secretariat may.
    invite(in_brazil, by_user=net.users["rocb"])
    assert len(smtp_server.messages) == 1


def test_invite_view_is_post_only_scoped_and_reports_back(client, net, smtp_server):
    marta = new_person(net.uruguay)
    in_brazil = f.person("Pedro", "Costa", net.brazil, email="pedro@example.org")
    url = reverse("person_invite", args=[marta.pk])
    client.force_login(net.users["ncp_uy"])

    assert client.get(url).status_code == 405
    response = client.post(url, {"next": "/accounts/password_change/"})
    assert response.status_code == 302 and response.url == "/accounts/password_change/"
    assert len(smtp_server.messages) == 1
    notes = [str(note) for note in get_messages(response.wsgi_request)]
    assert notes == ["Invitation sent to marta.perez@aduanas.example."]
    assert client.post(reverse("person_invite", args=[in_brazil.pk])).status_code == 403
    assert client.post(reverse("person_invite", args=[999999])).status_code == 404
    assert len(smtp_server.messages) == 1

    # Without ``next``: back to the person's page, where the message shows.
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == marta.get_absolute_url()
    assert b"Invitation sent to" in response.content
    assert len(smtp_server.messages) == 2

    client.logout()
    response = client.post(url)
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_invite_needs_an_email_and_reuses_the_account(net, smtp_server):
    no_mail = f.person("Sin", "Correo", net.uruguay)
    with pytest.raises(ValidationError):
        invite(no_mail, by_user=net.users["ncp_uy"])

    marta = new_person(net.uruguay)
    first = invite(marta, by_user=net.users["ncp_uy"])
    again = invite(Person.objects.get(pk=marta.pk), by_user=net.users["secretariat"])
    assert first.pk == again.pk
    assert len(smtp_server.messages) == 2

    # Usernames stay unique: a second "marta.perez@..." becomes marta.perez2.
    twin = new_person(net.brazil, email="Marta.Perez@other.example")
    assert invite(twin, by_user=net.users["rocb"]).username == "marta.perez2"
    # No e-mail local part to use? given.family, accents dropped.
    assert invite(
        f.person("José", "Núñez", net.uruguay, email="+@example.org"), by_user=net.users["ncp_uy"]
    ).username in {"jose.nunez", "user"}


def test_a_failed_delivery_rolls_the_invitation_back(net, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    marta = new_person(net.uruguay)
    with pytest.raises(OSError):
        invite(marta, by_user=net.users["ncp_uy"])
    marta.refresh_from_db()
    assert marta.user is None


def _closed_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends


# --- password reset ----------------------------------------------------------------------


def test_password_reset_mail_arrives_and_its_link_works(client, net, smtp_server):
    response = client.post("/accounts/password_reset/", {"email": "ncp.uy@example.org"})
    assert response.status_code == 302 and response.url == "/accounts/password_reset/done/"
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "ncp.uy@example.org"

    path = link_path(message, "/accounts/reset/")
    form_url = client.get(path).url
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == "/accounts/reset/done/"
    assert client.get(response.url).status_code == 200

    assert login(client, "ncp.uy", f.PASSWORD).status_code == 200  # the old one is gone
    assert login(client, "ncp.uy", NEW_PASSWORD).status_code == 302
    # And the link does not work twice.
    client.logout()
    page = client.get(path)
    assert page.status_code == 200 and b"This link has already been used" in page.content


def test_password_reset_mail_is_in_the_users_interface_language(client, net, smtp_server):
    client.post(
        "/accounts/password_reset/", {"email": "ncp.uy@example.org"}, HTTP_ACCEPT_LANGUAGE="es"
    )
    message = smtp_server.messages[0]
    assert "contraseña" in message["Subject"].lower()
    assert "contraseña" in body_of(message).lower()


def test_password_reset_does_not_reveal_whether_an_address_is_known(client, net, smtp_server):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and response.url == "/accounts/password_reset/done/"
    assert not smtp_server.messages


def test_invited_person_who_lost_the_mail_can_use_password_reset(client, net, smtp_server):
    marta = new_person(net.uruguay)
    invite(marta, by_user=net.users["ncp_uy"])
    client.post("/accounts/password_reset/", {"email": "marta.perez@aduanas.example"})
    assert len(smtp_server.messages) == 2
    assert "/accounts/reset/" in body_of(smtp_server.messages[1])


# --- account standing ----------------------------------------------------------------------


def _end_appointments(user, on):
    for appointment in user.person.appointments.all():
        appointment.end_date = on
        appointment.save()


def test_a_person_whose_appointments_ended_cannot_sign_in_and_is_told_why(client, net):
    ncp = net.users["ncp_uy"]
    _end_appointments(ncp, datetime.date.today())
    page = login(client, "ncp.uy")
    assert page.status_code == 200
    assert signed_in_user_id(client) is None
    assert b"Your appointments have ended" in page.content

    # A wrong password says nothing about the account.
    page = login(client, "ncp.uy", "not-the-password")
    assert b"Your appointments have ended" not in page.content
    assert b"correct username and password" in page.content
    ncp.refresh_from_db()
    assert ncp.is_active  # the account is kept


def test_a_person_invited_without_appointments_signs_in_as_a_reader(client, net):
    assert login(client, "viewer").status_code == 302
    assert signed_in_user_id(client) == str(net.users["reader"].pk)


def test_an_open_session_is_signed_out_when_the_last_appointment_ends(client, net):
    ncp = net.users["ncp_uy"]
    for appointment in ncp.person.appointments.all():
        appointment.end_date = datetime.date(2024, 7, 1)
        appointment.save()
    with time_machine.travel(datetime.datetime(2024, 6, 30, 23, 59, tzinfo=datetime.UTC)) as clock:
        client.force_login(ncp)
        assert client.get(PROTECTED).status_code == 200
        clock.move_to(datetime.datetime(2024, 7, 1, 0, 0, 30, tzinfo=datetime.UTC))
        response = client.get(PROTECTED)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
        assert signed_in_user_id(client) is None
        page = client.get(response.url)
        assert b"Your appointments have ended" in page.content


# --- two-factor sign-in ----------------------------------------------------------------------


def code_for(device, at=None):
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)).zfill(
        device.digits
    )


@pytest.mark.parametrize("role", ["rocb", "secretariat"])
def test_officers_set_up_and_then_use_a_totp_authenticator(client, net, settings, role):
    settings.CBNET_REQUIRE_2FA_FOR_OFFICERS = True
    officer = net.users[role]
    with time_machine.travel(datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)) as clock:
        response = login(client, officer.username, next=PROTECTED)
        assert response.status_code == 302
        assert signed_in_user_id(client) == str(officer.pk)

        # Password alone does not open pages: first set up an authenticator.
        response = client.get(PROTECTED)
        assert response.status_code == 302
        assert response.url.startswith(reverse("two_factor_setup"))
        assert "next=%2Faccounts%2Fpassword_change%2F" in response.url
        setup = client.get(response.url)
        assert setup.status_code == 200
        assert b"<svg" in setup.content
        device = TOTPDevice.objects.get(user=officer, confirmed=False)
        secret = setup.context["secret"]
        assert secret.encode() in setup.content
        assert setup.context["otpauth_uri"].startswith("otpauth://totp/CBNet")

        # The API refuses the unverified session with JSON, not a redirect.
        api = client.get("/api/directory/people/")
        assert api.status_code == 403 and "detail" in api.json()

        wrong = client.post(
            response.url, {"token": "000000" if code_for(device) != "000000" else "111111"}
        )
        assert wrong.status_code == 200 and wrong.context["form"].errors
        clock.shift(31)  # past django-otp's throttling delay after a failure
        device.refresh_from_db()
        done = client.post(response.url, {"token": code_for(device), "next": PROTECTED})
        assert done.status_code == 302 and done.url == PROTECTED
        device.refresh_from_db()
        assert device.confirmed
        assert client.get(PROTECTED).status_code == 200

        # Next sign-in: the code page, not set-up.
        client.post("/accounts/logout/")
        clock.shift(60)
        login(client, officer.username)
        response = client.get(PROTECTED)
        assert response.url.startswith(reverse("two_factor_verify"))
        assert client.get(reverse("two_factor_setup")).url.startswith(reverse("two_factor_verify"))
        done = client.post(response.url, {"token": code_for(device), "next": PROTECTED})
        assert done.status_code == 302
        assert client.get(PROTECTED).status_code == 200


def test_a_totp_code_cannot_be_replayed(client, net, settings):
    settings.CBNET_REQUIRE_2FA_FOR_OFFICERS = True
    officer = net.users["rocb"]
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    with time_machine.travel(datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)):
        code = code_for(device)
        client.force_login(officer)
        assert client.post(reverse("two_factor_verify"), {"token": code}).status_code == 302
        other = client_class()
        other.force_login(officer)
        page = other.post(reverse("two_factor_verify"), {"token": code})
        assert page.status_code == 200 and page.context["form"].errors
        assert other.get(PROTECTED).status_code == 302


def test_two_factor_is_not_asked_when_the_setting_is_off(client, net, settings):
    settings.CBNET_REQUIRE_2FA_FOR_OFFICERS = False
    for username in ("rocb.ams", "secretariat"):
        client.logout()
        login(client, username)
        assert client.get(PROTECTED).status_code == 200
    # The two-factor pages send such users on.
    assert client.get(reverse("two_factor_setup")).status_code == 302


@pytest.mark.parametrize("role", ["ncp_uy", "partner", "reader"])
def test_two_factor_is_never_asked_of_ncps_partners_or_readers(client, net, settings, role):
    settings.CBNET_REQUIRE_2FA_FOR_OFFICERS = True
    login(client, net.users[role].username)
    assert client.get(PROTECTED).status_code == 200


# --- throttling ---------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_out_even_for_the_right_one(client, net):
    for _attempt in range(4):
        page = login(client, "ncp.uy", "wrong-password")
        assert page.status_code == 200
    locked = login(client, "ncp.uy", "wrong-password")  # the fifth failure locks
    assert locked.status_code == 429
    page = login(client, "ncp.uy")  # the right password, too late
    assert page.status_code == 429
    assert signed_in_user_id(client) is None
    assert b"Too many sign-in attempts" in page.content
    assert b"15 minutes" in page.content
    assert b"Forgot your password?" in page.content
    # Another account from the same address is not locked (username + address).
    assert login(client, "ncp.br").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, net):
    with time_machine.travel(datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)) as clock:
        for _attempt in range(5):
            login(client, "ncp.uy", "wrong-password")
        assert login(client, "ncp.uy").status_code == 429
        clock.shift(16 * 60)
        assert login(client, "ncp.uy").status_code == 302
