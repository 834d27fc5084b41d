"""Filters of the round list page and API: ``RoundFilter``."""

import django_filters
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.models import Questionnaire, Round
from cbnet.assessments.services import rounds as services
from cbnet.core.filters import PrimaryFilterSet
from cbnet.directory.models import Region


def _regions(request=None):
    return Region.objects.filter(parent__isnull=True).order_by("code")


def _questionnaires(request=None):
    return (
        Questionnaire.objects.filter(rounds__isnull=False).distinct().order_by("code", "-version")
    )


class RoundFilter(PrimaryFilterSet):
    region = django_filters.ModelChoiceFilter(queryset=_regions, label=_("Region"))
    questionnaire = django_filters.ModelChoiceFilter(
        queryset=_questionnaires, label=_("Questionnaire")
    )
    status = django_filters.ChoiceFilter(
        choices=services.ROUND_STATUS_CHOICES, method="filter_status", label=_("Status")
    )

    class Meta:
        model = Round
        fields = ["q", "region", "questionnaire", "status", "archived"]

    def filter_status(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(services.status_q(value))
