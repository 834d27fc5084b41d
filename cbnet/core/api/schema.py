"""OpenAPI: every operation documents its error answers, not only its 200.

The schema's own descriptions are English (API documentation for developers); the messages
in answers are translated.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


FIELD_ERRORS = {
    "type": "object",
    "description": "Errors by field name (non_field_errors for the record as a whole); "
    "unknown query parameters are listed in unknown_parameters.",
    "additionalProperties": {},
}

ERRORS = {
    "400": (FIELD_ERRORS, ("Invalid input: field errors in the user's language.")),
    "401": (ErrorSerializer, ("Not signed in: send a token (Authorization: Token <key>).")),
    "403": (ErrorSerializer, ("Signed in, but not allowed to do this to this record.")),
    "404": (ErrorSerializer, ("No such record among those you may see.")),
    "409": (ErrorSerializer, ("Conflict: a stale version, a duplicate, or a protected record.")),
    "412": (ErrorSerializer, ("If-Match does not match the record's current ETag.")),
    "428": (ErrorSerializer, ("Send the record's version (body) or an If-Match header.")),
}


ACTION_DESCRIPTIONS = {
    "list": (
        "The %(things)s you may see, filtered by the declared query parameters (unknown ones "
        "are refused with 400), sorted by `ordering`, paginated by `page` and `page_size`."
    ),
    "retrieve": ("One %(thing)s. The ETag header carries its version, to send back with a change."),
    "create": (
        "Add a %(thing)s. Refused with 403 if you may not add them, or if the new record would "
        "be outside what you may edit."
    ),
    "update": (
        "Replace a %(thing)s. Send the version you read (`version` in the body or If-Match): "
        "409 or 412 if it changed since, 428 without either. Fields you may not change: 403."
    ),
    "partial_update": (
        "Change some fields of a %(thing)s. Send the version you read (`version` in the body "
        "or If-Match): 409 or 412 if it changed since, 428 without either."
    ),
    "destroy": (
        "Archive a %(thing)s: it disappears from lists (unless `archived=yes|all`) and stays "
        "readable with its history."
    ),
    "purge": (
        "Delete a %(thing)s for good (Secretariat only); 409 while other records refer to it."
    ),
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema plus the answers every CBNet operation can give."""

    def get_description(self):
        action = getattr(self.view, "action", None)
        model = getattr(getattr(self.view, "queryset", None), "model", None)
        if model is not None and action in ACTION_DESCRIPTIONS:
            return ACTION_DESCRIPTIONS[action] % {
                "thing": model._meta.verbose_name,
                "things": model._meta.verbose_name_plural,
            }
        return super().get_description()

    def error_codes(self):
        codes = ["400", "401", "403", "404"]
        if self.method in ("POST", "DELETE"):
            codes.append("409")
        if self.method in ("PUT", "PATCH"):
            codes += ["409", "412", "428"]
        if self.method == "DELETE":
            codes.append("412")
        return codes

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method in ("PUT", "PATCH", "DELETE") and self._is_versioned():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description='The ETag of the record you read, e.g. "3" (instead of "version").',
                )
            )
        if (
            self.method in ("GET", "PUT", "PATCH")
            and self._is_versioned()
            and not self._is_list_view()
        ):
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    str,
                    OpenApiParameter.HEADER,
                    response=[200],
                    description="The record's version, to send back in If-Match.",
                )
            )
        return parameters

    def _is_versioned(self):
        model = getattr(getattr(self.view, "queryset", None), "model", None)
        return model is not None and any(f.name == "version" for f in model._meta.fields)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self.error_codes():
            if code not in responses:
                schema, description = ERRORS[code]
                response = self._get_response_for_code(schema, code, direction=direction)
                response["description"] = description
                responses[code] = response
        return responses
