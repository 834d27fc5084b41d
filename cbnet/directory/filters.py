"""List-page (and API) filters for the directory: ``{Model}Filter``."""

import datetime

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cbnet.core.countries import country_choices
from cbnet.core.filters import (
    YES_NO_ALL,
    CachedModelChoiceFilter,
    CachedOptionsSelect,
    PrimaryFilterSet,
)
from cbnet.core.tables import STALE_AFTER_DAYS
from cbnet.directory.choices import Domain, OrganisationKind, Role
from cbnet.directory.models import Appointment, Organisation, Person, Region

FRESHNESS_CHOICES = (("fresh", _("Confirmed within a year")), ("stale", _("Stale or never")))
LANGUAGE_CHOICES = (("en", "English"), ("es", "Español"), ("fr", "Français"), ("pt", "Português"))


def _regions(request=None):
    return Region.objects.filter(parent__isnull=True, archived_at__isnull=True)


def _subregions(request=None):
    return Region.objects.filter(parent__isnull=False, archived_at__isnull=True)


def _organisations(request=None):
    return Organisation.objects.filter(archived_at__isnull=True).only("id", "name")


class RegionFilter(PrimaryFilterSet):
    parent = django_filters.ModelChoiceFilter(queryset=_regions, label=_("Parent region"))

    class Meta:
        model = Region
        fields = ["q", "parent", "archived"]


class OrganisationFilter(PrimaryFilterSet):
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices, label=_("Kind"))
    region = django_filters.ModelChoiceFilter(queryset=_regions, label=_("Region"))
    subregion = django_filters.ModelChoiceFilter(queryset=_subregions, label=_("Sub-region"))
    country = django_filters.ChoiceFilter(
        choices=country_choices, label=_("Country"), widget=CachedOptionsSelect
    )
    freshness = django_filters.ChoiceFilter(
        choices=FRESHNESS_CHOICES, method="filter_freshness", label=_("Contacts")
    )

    class Meta:
        model = Organisation
        fields = ["q", "kind", "region", "subregion", "country", "freshness", "archived"]

    def filter_freshness(self, queryset, name, value):
        limit = timezone.localdate() - datetime.timedelta(days=STALE_AFTER_DAYS)
        stale = Q(contacts_confirmed_on__isnull=True) | Q(contacts_confirmed_on__lt=limit)
        return queryset.filter(stale) if value == "stale" else queryset.exclude(stale)


class PersonFilter(PrimaryFilterSet):
    organisation = CachedModelChoiceFilter(queryset=_organisations, label=_("Organisation"))
    organisation_kind = django_filters.ChoiceFilter(
        field_name="organisation__kind",
        choices=OrganisationKind.choices,
        label=_("Kind of organisation"),
    )
    region = django_filters.ModelChoiceFilter(
        queryset=_regions, field_name="organisation__region", label=_("Region")
    )
    language = django_filters.ChoiceFilter(
        choices=LANGUAGE_CHOICES, method="filter_language", label=_("Language")
    )
    role = django_filters.ChoiceFilter(
        choices=Role.choices, method="filter_role", label=_("Current role")
    )

    class Meta:
        model = Person
        fields = [
            "q",
            "organisation",
            "organisation_kind",
            "region",
            "language",
            "role",
            "archived",
        ]

    def filter_language(self, queryset, name, value):
        # JSON list stored as text on both backends: match the quoted code.
        return queryset.filter(languages__icontains=f'"{value}"')

    def filter_role(self, queryset, name, value):
        current = Appointment.objects.current().filter(
            person=OuterRef("pk"), role=value, archived_at__isnull=True
        )
        return queryset.filter(Exists(current))


class AppointmentFilter(PrimaryFilterSet):
    search_paths = ("search_text", "person__search_text", "organisation__search_text")

    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("Role"))
    domain = django_filters.ChoiceFilter(choices=Domain.choices, label=_("Domain"))
    organisation = CachedModelChoiceFilter(queryset=_organisations, label=_("Organisation"))
    region = django_filters.ModelChoiceFilter(
        queryset=_regions, field_name="organisation__region", label=_("Region")
    )
    current = django_filters.ChoiceFilter(
        choices=YES_NO_ALL, method="filter_current", label=_("Current")
    )
    held_on = django_filters.DateFilter(
        method="filter_held_on",
        label=_("Held on"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Appointment
        fields = ["q", "role", "domain", "organisation", "region", "current", "held_on", "archived"]

    def filter_current(self, queryset, name, value):
        if value == "yes":
            return queryset.current()
        if value == "no":
            return queryset.exclude(pk__in=Appointment.objects.current().values("pk"))
        return queryset

    def filter_held_on(self, queryset, name, value):
        return queryset.current(on=value)
