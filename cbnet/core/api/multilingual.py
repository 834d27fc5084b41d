"""The API side of multilingual text (docs/multilingual.md).

``MultilingualTextSerializerField`` reads and writes the stored shape::

    {"original": "es", "texts": {"es": {"text": "...", "status": "original"}, ...}}

and validates it like the forms do (codes normalised to lower-case BCP 47, unknown codes,
statuses and a missing original refused with a message per language). Importing this module
maps every model's ``MultilingualTextField`` to it in DRF's ``ModelSerializer``.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cbnet.core.multilingual import (
    STATUSES,
    MultilingualText,
    MultilingualTextField,
)

SCHEMA = {
    "type": "object",
    "description": (
        "Text in several languages. `original` is the language it was written in; `texts` "
        "has one entry per lower-case BCP 47 language code (en, es, pt-br) with its text and "
        "status (original, translated, needs_review). An empty value is {}."
    ),
    "properties": {
        "original": {"type": "string", "example": "es"},
        "texts": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "status": {"type": "string", "enum": sorted(STATUSES)},
                },
                "required": ["text"],
            },
            "example": {
                "es": {"text": "Gestión de riesgos", "status": "original"},
                "en": {"text": "Risk management", "status": "translated"},
            },
        },
    },
}


@extend_schema_field(SCHEMA)
class MultilingualTextSerializerField(serializers.Field):
    default_error_messages = {
        "invalid": _(
            "Expected an object with “original” (a language code) and “texts” (per "
            "language code, its text and status)."
        ),
    }

    def __init__(self, **kwargs):
        for name in ("encoder", "decoder", "max_length", "allow_blank"):
            kwargs.pop(name, None)
        super().__init__(**kwargs)

    def to_representation(self, value):
        try:
            return MultilingualText.coerce(value).to_dict()
        except DjangoValidationError:
            return {}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        try:
            value = MultilingualText.coerce(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        if not value:
            return MultilingualText()  # the model says whether the field may be blank
        errors = value.errors()
        if errors:
            raise serializers.ValidationError([str(message) for message in errors])
        return value


serializers.ModelSerializer.serializer_field_mapping[MultilingualTextField] = (
    MultilingualTextSerializerField
)
