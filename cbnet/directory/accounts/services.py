"""Account operations: inviting a person to sign in, and the state of an e-mailed link."""

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from cbnet.core.events import record_event
from cbnet.core.notifications.services import notify
from cbnet.core.permissions import can
from cbnet.core.text import normalize
from cbnet.directory.accounts.emails import language_for
from cbnet.directory.notifications import INVITATION

USERNAME_MAX = 150


def invitation_path(user):
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("invitation_accept", kwargs={"uidb64": uidb64, "token": token})


def _username_base(person):
    local = (person.email or "").split("@", 1)[0]
    base = local or f"{person.given_name}.{person.family_name}"
    # Usernames keep to ASCII letters, digits and . _ - (accents dropped, spaces to dots).
    base = normalize(base).replace(" ", ".")
    base = re.sub(r"[^a-z0-9._-]", "", base).strip("._-")
    return (base or "user")[: USERNAME_MAX - 4]


def unique_username(person):
    user_model = get_user_model()
    base = _username_base(person)
    candidate, n = base, 1
    while user_model._default_manager.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


@transaction.atomic
def invite(person, *, by_user, language=None):
    """Give ``person`` an account (or reuse theirs) and e-mail them a link to set a password.

    Who may invite: whoever may change the person's record (``can(by_user, "change",
    person)``). The account gets an unusable password until the link is followed, and its
    rights come, as always, from the person's current appointments; a person invited without
    appointments is a reader. The link is a password-reset token: it stops working once a
    password is set, and after ``PASSWORD_RESET_TIMEOUT``. If the mail cannot be sent the
    whole invitation is rolled back and the error propagates.

    The mail is written in ``language``, else the person's first platform language, else the
    active language. Returns the user.
    """
    if not can(by_user, "change", person):
        raise PermissionDenied(_("You may not invite this person."))
    if not person.email:
        raise ValidationError(
            _("%(person)s has no e-mail address; add one before inviting them.")
            % {"person": person},
            code="no_email",
        )
    if person.archived_at is not None:
        raise ValidationError(_("Archived people cannot be invited."), code="archived")

    user_model = get_user_model()
    user = person.user
    if user is None:
        user = user_model(username=unique_username(person))
        user.set_unusable_password()
    user.email = person.email
    user.first_name = person.given_name[:150]
    user.last_name = person.family_name[:150]
    user.is_active = True
    user.save()
    if person.user_id != user.pk:
        person.user = user
        person._history_user = by_user
        person.save(update_fields=["user"])

    inviter = getattr(by_user, "person", None) or by_user
    record_event(
        "person.invited",
        person,
        actor=by_user,
        new={"email": person.email},
        organisation=person.organisation,
    )
    # Through the notifications (an inbox row, the e-mail in the person's language), but
    # sent now and inside this transaction whatever any preference says: the person has no
    # account yet, and an invitation whose e-mail failed must not be half-made.
    notify(
        [person],
        INVITATION,
        obj=person,
        actor=by_user,
        language=language_for(person, language),
        send_now=True,
        context={
            "username": user.get_username(),
            "invited_by": str(inviter),
            "login_link": settings.CBNET_BASE_URL.rstrip("/") + reverse("login"),
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        },
        # The password link is a secret: e-mailed, never stored with the notification.
        email_context={"link": settings.CBNET_BASE_URL.rstrip("/") + invitation_path(user)},
    )
    return user


def link_state(user, token, generator=default_token_generator):
    """Why an e-mailed token is (in)valid: "valid", "used", "expired" or "invalid".

    The token's hash covers the password and last login, so a well-formed token that has
    not timed out but no longer matches, on an account that has a password, was most
    probably used to set it. (A link altered by hand on such an account reads as "used"
    too: the page then says to sign in or ask for a new link, which fits both.)
    """
    if user is None or not token:
        return "invalid"
    if generator.check_token(user, token):
        return "valid"
    try:
        timestamp = base36_to_int(token.split("-")[0])
    except ValueError:
        return "invalid"
    age = generator._num_seconds(generator._now()) - timestamp
    if age > settings.PASSWORD_RESET_TIMEOUT:
        return "expired"
    if age < 0 or not user.has_usable_password():
        # Nothing has been set with it yet, so the token was altered (cut, mistyped).
        return "invalid"
    return "used"
