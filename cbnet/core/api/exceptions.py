"""API errors: precondition answers and the handler that keeps every failure JSON (never 500)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from cbnet.core.models import StaleObjectError


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the record.")
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _(
        "The record has changed since you read it (If-Match does not match its ETag). "
        "Read it again and resend your change."
    )
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _(
        'Send the record\'s version: a "version" field in the body or an If-Match header '
        "with the ETag of the record you read."
    )
    default_code = "precondition_required"


def validation_error_detail(exc):
    """A Django ValidationError as DRF's error body ({"field": ["message", ...]})."""
    if hasattr(exc, "error_dict"):
        detail = {}
        for field, errors in exc.message_dict.items():
            key = "non_field_errors" if field == "__all__" else field
            detail[key] = list(errors)
        return detail
    return {"non_field_errors": list(exc.messages)}


def translate(exc):
    """Map the Django/database exceptions a write may raise to API exceptions."""
    if isinstance(exc, StaleObjectError):
        return Conflict(detail=exc.messages[0], code="stale")
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=validation_error_detail(exc))
    if isinstance(exc, (ProtectedError, RestrictedError)):
        objects = (
            exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        )
        return Conflict(
            detail=_(
                "This record cannot be deleted: %(count)s other records refer to it. "
                "Archive it instead."
            )
            % {"count": len(list(objects))},
            code="protected",
        )
    if isinstance(exc, IntegrityError):
        return Conflict(
            detail=_("The change conflicts with other records (a duplicate or a broken link)."),
            code="integrity",
        )
    if isinstance(exc, DjangoPermissionDenied) and exc.args:
        # DRF's own handler would drop the message ("You may not change these fields: ...").
        return exceptions.PermissionDenied(detail=str(exc.args[0]))
    return exc


def exception_handler(exc, context):
    return drf_exception_handler(translate(exc), context)
