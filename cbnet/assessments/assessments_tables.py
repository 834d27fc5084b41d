"""The assessment list's table (also the export's columns): ``AssessmentTable``."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.models import Assessment
from cbnet.core.tables import BaseTable


class AssessmentTable(BaseTable):
    organisation = tables.Column(
        verbose_name=_("Administration"), accessor="organisation__name", linkify=False
    )
    round = tables.Column(verbose_name=_("Round"), accessor="round__name")
    due_on = tables.Column(verbose_name=_("Due on"), accessor="round__due_on")
    status = tables.Column(verbose_name=_("Status"))
    completeness = tables.Column(
        verbose_name=_("Completeness"), accessor="answered_count", orderable=False
    )
    submitted_at = tables.DateTimeColumn(verbose_name=_("Submitted at"))
    validated_at = tables.DateTimeColumn(verbose_name=_("Validated at"))

    class Meta(BaseTable.Meta):
        model = Assessment
        fields = (
            "organisation",
            "round",
            "due_on",
            "status",
            "completeness",
            "submitted_at",
            "validated_at",
        )
        order_by = ("round", "organisation")

    def render_organisation(self, record, value):
        from django.utils.html import format_html

        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), value)

    def value_organisation(self, record, value):
        return value

    def render_completeness(self, record):
        return f"{completeness_percent(record)} %"

    def value_completeness(self, record):
        return completeness_percent(record)


def completeness_percent(record):
    total = getattr(record, "question_count", 0) or 0
    answered = getattr(record, "answered_count", 0) or 0
    return round(100 * answered / total) if total else 0
