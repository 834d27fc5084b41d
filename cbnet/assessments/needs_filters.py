"""Filters of the needs register and regional needs (pages and API): ``NeedFilter``,
``RegionalNeedFilter``."""

import django_filters
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.choices import NeedStatus, RegionalNeedStatus, Support, TfaCategory
from cbnet.assessments.models import Need, RegionalNeed
from cbnet.capabilities.models import Area
from cbnet.core.filters import CachedModelChoiceFilter, PrimaryFilterSet
from cbnet.directory.models import Organisation, Region

PRIORITY_CHOICES = [(n, str(n)) for n in range(1, 6)]


def _regions(request=None):
    return Region.objects.filter(parent__isnull=True, archived_at__isnull=True)


def _subregions(request=None):
    return Region.objects.filter(parent__isnull=False, archived_at__isnull=True)


def _administrations(request=None):
    return Organisation.objects.filter(kind="member_administration", archived_at__isnull=True).only(
        "id", "name"
    )


def _areas(request=None):
    return Area.objects.all()


class NeedFilter(PrimaryFilterSet):
    region = django_filters.ModelChoiceFilter(
        queryset=_regions, field_name="organisation__region", label=_("Region")
    )
    subregion = django_filters.ModelChoiceFilter(
        queryset=_subregions, field_name="organisation__subregion", label=_("Sub-region")
    )
    organisation = CachedModelChoiceFilter(queryset=_administrations, label=_("Administration"))
    area = django_filters.ModelChoiceFilter(queryset=_areas, label=_("Capability area"))
    status = django_filters.ChoiceFilter(choices=NeedStatus.choices, label=_("Status"))
    priority = django_filters.TypedChoiceFilter(
        choices=PRIORITY_CHOICES, coerce=int, label=_("Priority")
    )
    support = django_filters.ChoiceFilter(
        choices=Support.choices, method="filter_support", label=_("Support wanted")
    )
    tfa_category = django_filters.ChoiceFilter(choices=TfaCategory.choices, label=_("TFA category"))

    class Meta:
        model = Need
        fields = [
            "q",
            "region",
            "subregion",
            "organisation",
            "area",
            "status",
            "priority",
            "support",
            "tfa_category",
            "archived",
        ]

    def filter_support(self, queryset, name, value):
        # The JSON list's text holds each kind in quotes; no kind is part of another.
        return queryset.filter(support__icontains=f'"{value}"')


class RegionalNeedFilter(PrimaryFilterSet):
    region = django_filters.ModelChoiceFilter(queryset=_regions, label=_("Region"))
    area = django_filters.ModelChoiceFilter(queryset=_areas, label=_("Capability area"))
    status = django_filters.ChoiceFilter(choices=RegionalNeedStatus.choices, label=_("Status"))
    priority = django_filters.TypedChoiceFilter(
        choices=PRIORITY_CHOICES, coerce=int, label=_("Priority")
    )

    class Meta:
        model = RegionalNeed
        fields = ["q", "region", "area", "status", "priority", "archived"]
