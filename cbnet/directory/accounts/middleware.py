from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from cbnet.directory.accounts.twofactor import confirmed_device, two_factor_required


class OfficerTwoFactorMiddleware:
    """Holds a signed-in officer at the two-factor step until they confirm a code.

    Goes after ``django_otp.middleware.OTPMiddleware`` (which provides
    ``request.user.is_verified()``). When ``two_factor_required(user)`` and the session is not
    verified:

    - page requests are redirected to the code page (or to set-up, if the officer has no
      confirmed authenticator yet), keeping ``next``;
    - ``/api/`` requests authenticated by the session answer 403 with a JSON ``detail``.

    API calls authenticated by a token are not seen here (Django REST framework reads the
    token in the view, so ``request.user`` is anonymous at this point) and are allowed: a
    token is a credential in its own right, issued to a user who is already signed in
    through this check (or by Secretariat staff in the admin, who passed it too). An
    endpoint that would trade a username and password for a token must not be added
    without the same check.
    """

    # Paths an unverified officer may still reach: the two-factor pages, signing out, the
    # language switcher, static files and the JavaScript catalogue.
    ALLOWED_NAMES = (
        "two_factor_verify",
        "two_factor_setup",
        "logout",
        "set_language",
        "javascript-catalog",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and two_factor_required(user)
            and not self._allowed(request.path)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": _(
                            "Two-factor verification is required: sign in again in the browser."
                        )
                    },
                    status=403,
                )
            name = "two_factor_verify" if confirmed_device(user) else "two_factor_setup"
            target = reverse(name)
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return redirect(target)
        return self.get_response(request)

    def _allowed(self, path):
        static = (
            settings.STATIC_URL
            if settings.STATIC_URL.startswith("/")
            else "/" + settings.STATIC_URL
        )
        if path.startswith(static):
            return True
        prefixes = []
        for name in self.ALLOWED_NAMES:
            try:
                prefixes.append(reverse(name))
            except Exception:  # a URL not installed in this configuration
                continue
        return any(path.startswith(prefix) for prefix in prefixes)
