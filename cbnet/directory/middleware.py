from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from cbnet.directory.auth import account_in_good_standing


class AccountStandingMiddleware:
    """Signs out, on their next request, a person whose last appointment has ended."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not account_in_good_standing(user):
            logout(request)
            if request.path_info.startswith("/api/"):
                # Signed out, the API itself answers 401 (a redirect means nothing to a client).
                return self.get_response(request)
            messages.warning(
                request,
                _("Your appointments have ended, so your account can no longer sign in."),
            )
            return redirect("login")
        return self.get_response(request)
