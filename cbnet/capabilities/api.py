"""The capabilities REST API: frameworks, areas and the maturity scale.

Every signed-in user reads; only the Secretariat writes (the default policy in
cbnet/core/permissions.py). These models are reference data, not archivable: there is no
DELETE, and ``purge`` (Secretariat) deletes a row nothing refers to.
"""

import django_filters
from django.db.models import Q

from cbnet.capabilities.models import Area, Framework, FrameworkKind, MaturityLevel, MaturityScale
from cbnet.core.api.serializers import BaseModelSerializer, TranslationsField
from cbnet.core.api.viewsets import ModelViewSet

BASE_FIELDS = ("created", "updated")


# Filtersets for the API until the capability pages bring their own ``{Model}Filter``.
class NameSearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search")

    def search(self, queryset, name, value):
        for word in value.split()[:10]:
            queryset = queryset.filter(Q(name__icontains=word) | Q(code__icontains=word))
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


class MaturityScaleAPIFilter(NameSearchFilterSet):
    class Meta:
        model = MaturityScale
        fields = ["q", "code"]


class MaturityLevelAPIFilter(django_filters.FilterSet):
    scale = django_filters.ModelChoiceFilter(queryset=MaturityScale.objects.all())

    class Meta:
        model = MaturityLevel
        fields = ["scale", "level"]


class FrameworkSerializer(BaseModelSerializer):
    names = TranslationsField(required=False)

    class Meta(BaseModelSerializer.Meta):
        model = Framework
        fields = (
            *BaseModelSerializer.Meta.fields,
            "code",
            "kind",
            "name",
            "names",
            "source",
            *BASE_FIELDS,
        )


class AreaSerializer(BaseModelSerializer):
    names = TranslationsField(required=False)

    class Meta(BaseModelSerializer.Meta):
        model = Area
        fields = (
            *BaseModelSerializer.Meta.fields,
            "framework",
            "parent",
            "code",
            "name",
            "names",
            "position",
            "notifiable",
            *BASE_FIELDS,
        )


class MaturityScaleSerializer(BaseModelSerializer):
    names = TranslationsField(required=False)

    class Meta(BaseModelSerializer.Meta):
        model = MaturityScale
        fields = (*BaseModelSerializer.Meta.fields, "code", "name", "names", *BASE_FIELDS)


class MaturityLevelSerializer(BaseModelSerializer):
    names = TranslationsField(required=False)
    descriptors = TranslationsField(required=False)

    class Meta(BaseModelSerializer.Meta):
        model = MaturityLevel
        fields = (
            *BaseModelSerializer.Meta.fields,
            "scale",
            "level",
            "name",
            "names",
            "descriptor",
            "descriptors",
            *BASE_FIELDS,
        )


class FrameworkViewSet(ModelViewSet):
    queryset = Framework.objects.all()
    serializer_class = FrameworkSerializer
    filterset_class = FrameworkAPIFilter
    ordering_fields = ("code", "name", "kind")


class AreaViewSet(ModelViewSet):
    queryset = Area.objects.all()
    serializer_class = AreaSerializer
    filterset_class = AreaAPIFilter
    ordering_fields = ("code", "name", "position")


class MaturityScaleViewSet(ModelViewSet):
    queryset = MaturityScale.objects.all()
    serializer_class = MaturityScaleSerializer
    filterset_class = MaturityScaleAPIFilter
    ordering_fields = ("code", "name")


class MaturityLevelViewSet(ModelViewSet):
    queryset = MaturityLevel.objects.all()
    serializer_class = MaturityLevelSerializer
    filterset_class = MaturityLevelAPIFilter
    ordering_fields = ("level",)
