"""Filters of the assessment list page and API: ``AssessmentFilter``."""

import django_filters
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.choices import AssessmentStatus
from cbnet.assessments.models import Assessment, Round
from cbnet.core.filters import CachedModelChoiceFilter, PrimaryFilterSet
from cbnet.directory.models import Organisation


def _rounds(request=None):
    return Round.objects.filter(archived_at__isnull=True).only("id", "name", "opens_on")


def _administrations(request=None):
    return Organisation.objects.filter(kind="member_administration", archived_at__isnull=True).only(
        "id", "name"
    )


class AssessmentFilter(PrimaryFilterSet):
    round = django_filters.ModelChoiceFilter(queryset=_rounds, label=_("Round"))
    status = django_filters.ChoiceFilter(choices=AssessmentStatus.choices, label=_("Status"))
    organisation = CachedModelChoiceFilter(queryset=_administrations, label=_("Administration"))

    class Meta:
        model = Assessment
        fields = ["q", "round", "status", "organisation", "archived"]
