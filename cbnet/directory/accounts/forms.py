"""Sign-in forms: password login that explains ended appointments, reset, two-factor tokens."""

import unicodedata

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cbnet.directory.auth import account_in_good_standing

ENDED_APPOINTMENTS_MESSAGE = _(
    "Your appointments have ended, so your account can no longer sign in. "
    "If you still work with the network, ask your ROCB or the WCO Secretariat "
    "to record your new appointment."
)


class LoginForm(AuthenticationForm):
    """Django's login form, plus a clear message for a person whose appointments ended.

    The backend refuses such accounts, which Django reports as "invalid login". When (and
    only when) the password given is the account's correct password, the form says why
    instead: a wrong password never reveals whether the username exists or how it stands.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "appointments_ended": ENDED_APPOINTMENTS_MESSAGE,
    }

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            if (
                getattr(error, "code", None) == "invalid_login"
                and self._ended_with_right_password()
            ):
                raise ValidationError(
                    self.error_messages["appointments_ended"], code="appointments_ended"
                ) from None
            raise

    def _ended_with_right_password(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return False
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            user = None
        if user is None or not user.is_active or account_in_good_standing(user):
            # Hash once anyway, so the time taken says nothing about the account.
            user_model().set_password(password)
            return False
        return user.check_password(password)


def _same_email(a, b):
    return (
        unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold()
    )


class ResetForm(PasswordResetForm):
    """Password reset that also reaches invited people who have not chosen a password yet.

    Django skips accounts without a usable password; here such an account is an invitation
    not yet accepted, so a lost invitation can be replaced by "Forgot your password?".
    Accounts that may not sign in (deactivated, appointments ended) receive nothing.
    """

    def get_users(self, email):
        user_model = get_user_model()
        field = user_model.get_email_field_name()
        candidates = user_model._default_manager.filter(
            **{f"{field}__iexact": email, "is_active": True}
        )
        return (
            user
            for user in candidates
            if _same_email(email, getattr(user, field)) and account_in_good_standing(user)
        )


class TokenForm(forms.Form):
    """A six-digit code from the authenticator app, checked against ``device``."""

    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args, device=None, **kwargs):
        self.device = device
        super().__init__(*args, **kwargs)

    def clean_token(self):
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise ValidationError(_("Enter the six digits shown by your app."), code="format")
        if self.device is None:
            raise ValidationError(_("No authenticator is set up for this account."), code="device")
        allowed, _info = self.device.verify_is_allowed()
        if not allowed:
            raise ValidationError(
                _("Too many wrong codes. Wait a minute, then try again."), code="throttled"
            )
        if not self.device.verify_token(token):
            raise ValidationError(
                _("That code is not right. Check the time on your phone and try the newest code."),
                code="invalid",
            )
        return token
