"""Fixtures shared by the whole suite: Chromium for Playwright, a real SMTP server, and the
PostgreSQL plumbing (cbnet/core/testing/pg.py). See scripts/test.sh for the two legs."""

import email
import email.policy
import os
import socket
from dataclasses import dataclass, field

import pytest
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import StaticFilesStorage
from django.test import override_settings

pytest_plugins = ["cbnet.core.testing.pg"]

# Playwright's sync API runs an event loop in the test thread for the rest of the session,
# so every later ORM call would look "async" to Django. The app itself is synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"  # Debian's; `playwright install` cannot download here
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class FinderCheckedStaticFilesStorage(StaticFilesStorage):
    """Static URLs without collectstatic, refusing files no finder has.

    Outside DEBUG the settings use whitenoise's manifest storage, which needs collectstatic
    and fails a page that names a missing file. Tests (and the live server) serve static
    files through the finders; this keeps them failing where production would.
    """

    def url(self, name):
        if finders.find(name) is None:
            raise ValueError(f"Missing static file {name!r}: no staticfiles finder has it.")
        return super().url(name)


def pytest_configure(config):
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "conftest.FinderCheckedStaticFilesStorage"},
        },
        # Production's PBKDF2 costs ~0.3 s per password; tests create hundreds of users.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Static files from the finders: a fresh clone has not run collectstatic.
        WHITENOISE_USE_FINDERS=True,
    ).enable()


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in English: the test client's LocaleMiddleware leaves its language
    active in the thread, which would leak into the next test."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def free_port(host="127.0.0.1"):
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class SMTPServer:
    host: str
    port: int
    messages: list = field(default_factory=list)  # email.message.EmailMessage, in order
    envelopes: list = field(default_factory=list)  # aiosmtpd Envelope (mail_from, rcpt_tos)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.envelopes.append(envelope)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend delivers to.

    ``smtp_server.messages`` holds what it received, parsed (``msg["To"]``,
    ``msg.get_body(("plain",)).get_content()``).
    """
    from aiosmtpd.controller import Controller

    server = SMTPServer(host="127.0.0.1", port=free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    try:
        yield server
    finally:
        controller.stop()
