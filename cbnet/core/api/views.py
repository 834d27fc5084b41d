"""Signing in to the API: ``POST /api/auth/token/`` gives a token for ``Authorization: Token``."""

import django_otp
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import parsers, renderers, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView

from cbnet.core.api.schema import FIELD_ERRORS, ErrorSerializer
from cbnet.directory.accounts.twofactor import two_factor_required


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text="The current code of your authenticator app, where two-factor login is required.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token.

    Goes through the configured authentication backends, so the login throttle (axes) and
    the account-standing rule apply exactly as on the login page; officers who must use
    two-factor login also send the current code of their authenticator (``otp``).
    """

    authentication_classes = ()
    permission_classes = ()
    parser_classes = (parsers.JSONParser, parsers.FormParser, parsers.MultiPartParser)
    renderer_classes = (renderers.JSONRenderer,)

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(FIELD_ERRORS, description="Wrong username or password."),
            429: OpenApiResponse(ErrorSerializer, description="Too many failed attempts."),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = authenticate(request, username=data["username"], password=data["password"])
        if getattr(request, "axes_locked_out", False):
            return Response(
                {"detail": _("Too many failed sign-in attempts. Try again later.")},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None:
            return Response(
                {
                    "non_field_errors": [
                        _("Unable to sign in with the username and password given.")
                    ]
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        code = (data.get("otp") or "").strip()
        if two_factor_required(user) and not (code and django_otp.match_token(user, code)):
            return Response(
                {"otp": [_("Enter the current code of your authenticator app.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
