"""The round list's table (also the CSV/XLSX export's columns): ``RoundTable``."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.models import Round
from cbnet.assessments.services import rounds as services
from cbnet.core.tables import ArchivedColumn, BaseTable

STATUS_LABELS = dict(services.ROUND_STATUS_CHOICES)


class RoundTable(BaseTable):
    name = tables.Column(linkify=True, verbose_name=_("Name"))
    questionnaire = tables.Column(verbose_name=_("Questionnaire"))
    region = tables.Column(verbose_name=_("Region"), accessor="region__code")
    subregion = tables.Column(verbose_name=_("Sub-region"), accessor="subregion__code")
    opens_on = tables.DateColumn(verbose_name=_("Opens on"))
    due_on = tables.DateColumn(verbose_name=_("Due on"))
    time_zone = tables.Column(verbose_name=_("Time zone"))
    status = tables.Column(verbose_name=_("Status"), accessor="pk", orderable=False)
    administrations = tables.Column(
        verbose_name=_("Administrations"), accessor="assessment_count", orderable=False
    )
    archived = ArchivedColumn()

    class Meta(BaseTable.Meta):
        model = Round
        fields = (
            "name",
            "questionnaire",
            "region",
            "subregion",
            "opens_on",
            "due_on",
            "time_zone",
            "status",
            "administrations",
            "archived",
        )
        order_by = ("-opens_on", "name")

    def render_questionnaire(self, record):
        return str(record.questionnaire)

    def value_questionnaire(self, record):
        return str(record.questionnaire)

    def render_status(self, record):
        return STATUS_LABELS[services.round_status(record)]

    def value_status(self, record):
        return services.round_status(record)
