"""Filters of the plan list page and API: ``PlanFilter``."""

from django.utils.translation import gettext_lazy as _

from cbnet.assessments.models import Plan
from cbnet.core.filters import CachedModelChoiceFilter, PrimaryFilterSet
from cbnet.directory.models import Organisation


def _administrations(request=None):
    return Organisation.objects.filter(kind="member_administration", archived_at__isnull=True).only(
        "id", "name"
    )


class PlanFilter(PrimaryFilterSet):
    organisation = CachedModelChoiceFilter(queryset=_administrations, label=_("Administration"))

    class Meta:
        model = Plan
        fields = ["q", "organisation", "archived"]
