"""The plan list's table (also its CSV/XLSX export): ``PlanTable``."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.models import Plan
from cbnet.core.tables import ArchivedColumn, BaseTable


class PlanTable(BaseTable):
    title = tables.Column(linkify=True, verbose_name=_("Title"))
    organisation = tables.Column(verbose_name=_("Administration"), accessor="organisation__name")
    starts_on = tables.DateColumn(verbose_name=_("Starts on"))
    ends_on = tables.DateColumn(verbose_name=_("Ends on"))
    milestones = tables.Column(
        verbose_name=_("Milestones"), accessor="milestone_count", orderable=False
    )
    overdue = tables.Column(verbose_name=_("Overdue"), accessor="overdue_count", orderable=False)
    archived = ArchivedColumn()

    class Meta(BaseTable.Meta):
        model = Plan
        fields = (
            "title",
            "organisation",
            "starts_on",
            "ends_on",
            "milestones",
            "overdue",
            "archived",
        )
        order_by = ("organisation", "-starts_on")
