"""Sign-in pages: login, password reset and change, invitations, two-factor codes."""

import smtplib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, resolve_url
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import FormView
from django_otp import login as otp_login

from cbnet.core.permissions import access_object
from cbnet.directory.accounts.forms import LoginForm, ResetForm, TokenForm
from cbnet.directory.accounts.services import invite, link_state
from cbnet.directory.accounts.twofactor import (
    confirmed_device,
    pending_device,
    qr_svg,
    secret_base32,
    two_factor_required,
)
from cbnet.directory.models import Person

BACKEND = "cbnet.directory.auth.AppointmentBackend"


def _safe_next(request, default=None):
    """The ``next`` parameter if it points into this site, else ``default()`` or home."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default() if default else resolve_url(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetForm
    subject_template_name = "directory/emails/password_reset_subject.txt"
    email_template_name = "directory/emails/password_reset_body.txt"

    @property
    def extra_email_context(self):
        return {
            "site_name": "CBNet",
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        }


class LinkStateMixin:
    """Says why a link failed (already used, expired, malformed) instead of a bare refusal."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not self.validlink:
            token = self.kwargs.get("token")
            if token == self.reset_url_token:
                token = self.request.session.get(auth_views.INTERNAL_RESET_SESSION_TOKEN)
            context["link_state"] = link_state(self.user, token, self.token_generator)
        return context


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirmView(LinkStateMixin, auth_views.PasswordResetConfirmView):
    pass


@method_decorator(login_not_required, name="dispatch")
class InvitationAcceptView(LinkStateMixin, auth_views.PasswordResetConfirmView):
    """The invitation link: choose a password, then you are signed in."""

    template_name = "registration/invitation_accept.html"
    title = gettext_lazy("Welcome to CBNet")
    post_reset_login = True
    post_reset_login_backend = BACKEND
    success_url = reverse_lazy(settings.LOGIN_REDIRECT_URL)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set and you are signed in."))
        return response


@require_POST
def person_invite(request, person_pk):
    """Invite a person (POST); back to their page with a message."""
    person = access_object(Person, request.user, person_pk, "view")
    try:
        invite(person, by_user=request.user)  # PermissionDenied -> 403
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except (smtplib.SMTPException, OSError):
        messages.error(
            request,
            _(
                "The invitation could not be sent: the mail server did not accept it. "
                "Try again later."
            ),
        )
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": person.email})
    return redirect(_safe_next(request, default=person.get_absolute_url))


class TwoFactorMixin:
    """Only for signed-in users who must confirm a code and have not done so yet."""

    def dispatch(self, request, *args, **kwargs):
        if not two_factor_required(request.user) or request.user.is_verified():
            return redirect(_safe_next(request))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "device": self.device}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "next": _safe_next(self.request)}

    def form_valid(self, form):
        otp_login(self.request, self.device)
        return redirect(_safe_next(self.request))


class TwoFactorVerifyView(TwoFactorMixin, FormView):
    form_class = TokenForm
    template_name = "registration/two_factor_verify.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.device = confirmed_device(request.user)
            if self.device is None and two_factor_required(request.user):
                return redirect(f"{resolve_url('two_factor_setup')}?{request.GET.urlencode()}")
        return super().dispatch(request, *args, **kwargs)


class TwoFactorSetupView(TwoFactorMixin, FormView):
    form_class = TokenForm
    template_name = "registration/two_factor_setup.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and two_factor_required(request.user):
            if confirmed_device(request.user) is not None:
                # Replacing a lost authenticator is a Secretariat task (admin), not self-service
                # before the second factor: otherwise a password alone would reset it.
                return redirect(f"{resolve_url('two_factor_verify')}?{request.GET.urlencode()}")
            self.device = pending_device(request.user)
        else:
            self.device = None
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        uri = self.device.config_url
        return {
            **super().get_context_data(**kwargs),
            "otpauth_uri": uri,
            "qr_svg": qr_svg(uri),
            "secret": secret_base32(self.device),
        }

    def form_valid(self, form):
        self.device.confirmed = True
        self.device.save(update_fields=["confirmed"])
        messages.success(
            self.request,
            _("Your authenticator is set up. You will be asked for a code at each sign-in."),
        )
        return super().form_valid(form)
