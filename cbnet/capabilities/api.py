"""The capabilities REST API: frameworks, areas and the maturity scale.

Every signed-in user reads; only the Secretariat writes (the default policy in
cbnet/core/permissions.py). These models are reference data, not archivable: there is no
DELETE, and ``purge`` (Secretariat) deletes a row nothing refers to.

Names and descriptors are multilingual text in the stored shape (docs/multilingual.md),
``{"original": "en", "texts": {"en": {"text": ..., "status": "original"}, ...}}``; the
``q`` filter searches the code and the name in every language (accents and case ignored).
"""

import django_filters
from django.db.models import Q

from cbnet.capabilities.models import Area, Framework, FrameworkKind, MaturityLevel, MaturityScale
from cbnet.core.api.multilingual import MultilingualTextSerializerField
from cbnet.core.api.serializers import BaseModelSerializer
from cbnet.core.api.viewsets import ModelViewSet
from cbnet.core.text import normalize

BASE_FIELDS = ("created", "updated")


# Filtersets for the API until the capability pages bring their own ``{Model}Filter``.
class NameSearchFilterSet(django_filters.FilterSet):
    """``q``: words found in the code or the name in any language (``search_text``)."""

    q = django_filters.CharFilter(method="search")

    def search(self, queryset, name, value):
        for word in normalize(value).split()[:10]:
            queryset = queryset.filter(search_text__contains=word)
        return queryset


class CodeSearchFilterSet(django_filters.FilterSet):
    """``q`` for models without ``search_text``: words in the code."""

    q = django_filters.CharFilter(method="search")

    def search(self, queryset, name, value):
        for word in value.split()[:10]:
            queryset = queryset.filter(Q(code__icontains=word))
        return queryset


class FrameworkAPIFilter(NameSearchFilterSet):
    kind = django_filters.ChoiceFilter(choices=FrameworkKind.choices)

    class Meta:
        model = Framework
        fields = ["q", "kind", "code"]


class AreaAPIFilter(NameSearchFilterSet):
    framework = django_filters.ModelChoiceFilter(queryset=Framework.objects.all())
    parent = django_filters.ModelChoiceFilter(queryset=Area.objects.all())
    top_level = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull")

    class Meta:
        model = Area
        fields = ["q", "framework", "parent", "top_level", "code", "notifiable"]


class MaturityScaleAPIFilter(CodeSearchFilterSet):
    class Meta:
        model = MaturityScale
        fields = ["q", "code"]


class MaturityLevelAPIFilter(django_filters.FilterSet):
    scale = django_filters.ModelChoiceFilter(queryset=MaturityScale.objects.all())

    class Meta:
        model = MaturityLevel
        fields = ["scale", "level"]


class FrameworkSerializer(BaseModelSerializer):
    name = MultilingualTextSerializerField()

    class Meta(BaseModelSerializer.Meta):
        model = Framework
        fields = (
            *BaseModelSerializer.Meta.fields,
            "code",
            "kind",
            "name",
            "source",
            *BASE_FIELDS,
        )


class AreaSerializer(BaseModelSerializer):
    name = MultilingualTextSerializerField()

    class Meta(BaseModelSerializer.Meta):
        model = Area
        fields = (
            *BaseModelSerializer.Meta.fields,
            "framework",
            "parent",
            "code",
            "name",
            "position",
            "notifiable",
            *BASE_FIELDS,
        )


class MaturityScaleSerializer(BaseModelSerializer):
    name = MultilingualTextSerializerField()

    class Meta(BaseModelSerializer.Meta):
        model = MaturityScale
        fields = (*BaseModelSerializer.Meta.fields, "code", "name", *BASE_FIELDS)


class MaturityLevelSerializer(BaseModelSerializer):
    name = MultilingualTextSerializerField()
    descriptor = MultilingualTextSerializerField()

    class Meta(BaseModelSerializer.Meta):
        model = MaturityLevel
        fields = (
            *BaseModelSerializer.Meta.fields,
            "scale",
            "level",
            "name",
            "descriptor",
            *BASE_FIELDS,
        )


class FrameworkViewSet(ModelViewSet):
    queryset = Framework.objects.all()
    serializer_class = FrameworkSerializer
    filterset_class = FrameworkAPIFilter
    ordering_fields = ("code", "kind")


class AreaViewSet(ModelViewSet):
    queryset = Area.objects.all()
    serializer_class = AreaSerializer
    filterset_class = AreaAPIFilter
    ordering_fields = ("code", "position")


class MaturityScaleViewSet(ModelViewSet):
    queryset = MaturityScale.objects.all()
    serializer_class = MaturityScaleSerializer
    filterset_class = MaturityScaleAPIFilter
    ordering_fields = ("code",)


class MaturityLevelViewSet(ModelViewSet):
    queryset = MaturityLevel.objects.all()
    serializer_class = MaturityLevelSerializer
    filterset_class = MaturityLevelAPIFilter
    ordering_fields = ("level",)
