"""The base serializer: the model's own validation, scoped relations, and the row's version."""

import copy

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.validators import UniqueTogetherValidator, UniqueValidator

from cbnet.core.api.exceptions import validation_error_detail

# Fields a write never sets itself: bookkeeping kept by the model.
BOOKKEEPING_FIELDS = frozenset(
    {"id", "created", "updated", "version", "search_text", "archived_at"}
)


_PLAIN, _FOREIGN_KEY, _PREFETCHED_MANY, _DRF = range(4)


def _field_plan(model, field):
    """(kind, field, argument) for ``BaseModelSerializer.to_representation``."""
    if len(field.source_attrs) != 1:
        return _DRF, field, None
    try:
        model_field = model._meta.get_field(field.source_attrs[0])
    except FieldDoesNotExist:
        return _DRF, field, None
    if getattr(model_field, "attname", None) != field.source_attrs[0] and not (
        model_field.many_to_one or model_field.many_to_many
    ):
        return _DRF, field, None
    field_class = type(field)
    if model_field.many_to_many and not model_field.auto_created:
        if (
            field_class is serializers.ManyRelatedField
            and type(field.child_relation) is serializers.PrimaryKeyRelatedField
            and field.child_relation.pk_field is None
        ):
            return _PREFETCHED_MANY, field, model_field.name
        return _DRF, field, None
    if model_field.many_to_one or model_field.one_to_one:
        if (
            field_class is serializers.PrimaryKeyRelatedField
            and field.pk_field is None
            and model_field.concrete
        ):
            return _FOREIGN_KEY, field, model_field.attname
        return _DRF, field, None
    if (
        model_field.concrete
        and not model_field.is_relation
        and type(field).get_attribute is serializers.Field.get_attribute
    ):
        return _PLAIN, field, model_field.attname
    return _DRF, field, None


def api_basename(model):
    return f"{model._meta.app_label}-{model._meta.model_name}"


class LanguageCodesField(serializers.ListField):
    """A list of ISO 639-1 codes (``["es", "en"]``)."""

    child = serializers.RegexField(r"^[a-z]{2,3}$", max_length=3)


class TranslationsField(serializers.DictField):
    """Text per language code, e.g. ``{"es": "...", "fr": "..."}`` (English is the main field)."""

    child = serializers.CharField(max_length=5000, allow_blank=True)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        known = {code for code, _name in settings.LANGUAGES}
        unknown = sorted(set(value) - known)
        if unknown:
            raise serializers.ValidationError(
                _("Unknown language codes: %(codes)s. Use one of: %(known)s.")
                % {"codes": ", ".join(unknown), "known": ", ".join(sorted(known))}
            )
        return value


class BaseModelSerializer(serializers.ModelSerializer):
    """Every model's serializer starts here.

    - ``id``, ``url`` and ``display`` (the record as the pages name it) in every answer;
    - ``version`` in every answer, and accepted on PUT/PATCH as the version the change is
      based on (the view compares it; a mismatch is 409);
    - validation is the model's ``full_clean`` (field checks, ``clean()``, unique and
      check constraints), so the API and the forms give the same errors;
    - related rows are chosen among the rows the user may view.
    """

    url = serializers.SerializerMethodField()
    display = serializers.SerializerMethodField()
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=(
            "The record's version. Send the version you read with PUT/PATCH (or an If-Match "
            "header); a change based on an older version is refused with 409."
        ),
    )

    class Meta:
        fields = ("id", "url", "display", "version")
        # Unique checks come from the model's full_clean (the forms' messages).
        validators = []

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for field in fields.values():
            target = (
                field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
            )
            if isinstance(target, serializers.PrimaryKeyRelatedField) and not target.read_only:
                queryset = target.queryset
                if user is not None and hasattr(queryset, "restrict"):
                    target.queryset = queryset.restrict(user, "view")
            field.validators = [
                v
                for v in field.validators
                if not isinstance(v, UniqueValidator | UniqueTogetherValidator)
            ]
        return fields

    def get_validators(self):
        return []

    def to_representation(self, instance):
        """DRF's ``Serializer.to_representation`` with the per-field lookups worked out once
        per serializer (a list serialises its 50 rows with one plan): plain model fields are
        read with ``getattr``, foreign keys give their ``*_id``, prefetched many-to-many
        relations their primary keys; anything else goes through DRF's own path."""
        plan = self.__dict__.get("_representation_plan")
        if plan is None or plan[0] is not type(instance):
            plan = self._representation_plan = (type(instance), self._plan(type(instance)))
        ret = {}
        for name, kind, field, arg in plan[1]:
            if kind == _PLAIN:
                value = getattr(instance, arg)
                ret[name] = None if value is None else field.to_representation(value)
                continue
            if kind == _FOREIGN_KEY:
                ret[name] = getattr(instance, arg)
                continue
            if kind == _PREFETCHED_MANY:
                cached = getattr(instance, "_prefetched_objects_cache", {}).get(arg)
                if cached is not None:
                    ret[name] = [row.pk for row in cached]
                    continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check_for_none is None else field.to_representation(attribute)
        return ret

    def _plan(self, model):
        plan = []
        for field in self._readable_fields:
            plan.append((field.field_name, *_field_plan(model, field)))
        return plan

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj):
        pk = obj.pk
        if type(pk) is int:  # a list asks for 50 URLs of one pattern: reverse it once
            patterns = self.__dict__.setdefault("_url_patterns", {})
            model = type(obj)
            if model not in patterns:
                patterns[model] = self._url_pattern(model)
            pattern = patterns[model]
            if pattern is not None:
                return f"{pattern[0]}{pk}{pattern[1]}"
        return self._url(type(obj), pk)

    def _url(self, model, pk):
        request = self.context.get("request")
        try:
            path = reverse(f"api:{api_basename(model)}-detail", args=[pk])
        except NoReverseMatch:
            return None
        return request.build_absolute_uri(path) if request is not None else path

    def _url_pattern(self, model):
        """(before, after) the primary key in ``_url(model, pk)``, or None."""
        sentinel = 987654321
        url = self._url(model, sentinel)
        if url is None or url.count(str(sentinel)) != 1:
            return None
        before, after = url.split(str(sentinel))
        return before, after

    @extend_schema_field(OpenApiTypes.STR)
    def get_display(self, obj):
        return str(obj)

    # --- validation -------------------------------------------------------------------

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs.pop("version", None)  # compared by the view, never written
        model = self.Meta.model
        many_to_many = {f.name for f in model._meta.many_to_many}
        plain = {name: value for name, value in attrs.items() if name not in many_to_many}
        if self.instance is None:
            candidate = model(**plain)
        else:
            candidate = copy.copy(self.instance)
            for name, value in plain.items():
                setattr(candidate, name, value)
        writable = {name for name, field in self.fields.items() if not field.read_only}
        exclude = [f.name for f in model._meta.fields if f.name not in writable]
        try:
            candidate.full_clean(exclude=exclude)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(validation_error_detail(exc)) from None
        self._candidate = candidate
        self._many_to_many = {name: value for name, value in attrs.items() if name in many_to_many}
        return attrs

    def changed_fields(self):
        """Names of the fields an update changes (compared after the model's ``clean``)."""
        candidate, original = self._candidate, self.instance
        changed = set()
        for field in candidate._meta.concrete_fields:
            if field.name in BOOKKEEPING_FIELDS:
                continue
            if getattr(candidate, field.attname) != getattr(original, field.attname):
                changed.add(field.name)
        for name, values in self._many_to_many.items():
            new_ids = {value.pk for value in values}
            old_ids = set(getattr(original, name).values_list("pk", flat=True))
            if new_ids != old_ids:
                changed.add(name)
        return changed

    # --- saving: the cleaned candidate is what gets saved (as a ModelForm does) ---------

    def create(self, validated_data):
        return self._save_candidate()

    def update(self, instance, validated_data):
        return self._save_candidate()

    def _save_candidate(self):
        candidate = self._candidate
        candidate.save()
        for name, values in self._many_to_many.items():
            getattr(candidate, name).set(values)
        return candidate
