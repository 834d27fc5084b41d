from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from cbnet.directory.auth import account_in_good_standing


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication plus the account-standing rule.

    A person whose appointments have all ended can no longer sign in; their old token stops
    working the same day (401), like their session does.
    """

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if not account_in_good_standing(user):
            raise exceptions.AuthenticationFailed(
                _("Your appointments have ended, so your account can no longer sign in.")
            )
        return user, token
