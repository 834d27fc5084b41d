"""Two-factor sign-in (TOTP) for Secretariat and ROCB officers.

``settings.CBNET_REQUIRE_2FA_FOR_OFFICERS`` (environment ``CBNET_REQUIRE_2FA``; on in
production, off in the demo) decides whether officers must confirm a code from an
authenticator app after their password. Other users never need it.
"""

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from cbnet.core.permissions import get_actor

DEVICE_NAME = "authenticator"


def two_factor_required(user) -> bool:
    if not getattr(settings, "CBNET_REQUIRE_2FA_FOR_OFFICERS", False):
        return False
    if user is None or not user.is_authenticated:
        return False
    actor = get_actor(user)
    return actor.is_secretariat or actor.is_rocb


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


@transaction.atomic
def pending_device(user):
    """The unconfirmed device being set up (one per user; created with a fresh key)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_base32(device) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode("ascii").rstrip("=")


def qr_svg(text) -> str:
    """``text`` as an inline SVG QR code, drawn here (no network, no image files)."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    image = qrcode.make(text, image_factory=SvgPathImage, box_size=8, border=2)
    svg = image.to_string(encoding="unicode")
    # Drop the XML declaration so the SVG can sit inside HTML.
    return svg.split("?>", 1)[1].strip() if svg.startswith("<?xml") else svg
