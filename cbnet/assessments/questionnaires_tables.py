"""The questionnaire list's table (also the CSV/XLSX export's columns)."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.models import Questionnaire
from cbnet.core.tables import ArchivedColumn, BaseTable


class QuestionnaireTable(BaseTable):
    code = tables.Column(linkify=True, verbose_name=_("Code"))
    version = tables.Column(verbose_name=_("Version"))
    title = tables.Column(linkify=True, verbose_name=_("Title"))
    framework = tables.Column(verbose_name=_("Framework"))
    questions = tables.Column(
        accessor="question_count", verbose_name=_("Questions"), orderable=False
    )
    frozen = tables.Column(
        accessor="round_count", verbose_name=_("Used by a round"), orderable=False
    )
    archived = ArchivedColumn()

    class Meta(BaseTable.Meta):
        model = Questionnaire
        fields = ("code", "version", "title", "framework", "questions", "frozen", "archived")
        order_by = ("code", "-version")

    def render_title(self, record):
        return str(record.title)

    def value_title(self, record):
        return str(record.title)

    def render_framework(self, record):
        return record.framework.code

    def render_frozen(self, value):
        return _("yes") if value else _("no")

    def value_frozen(self, value):
        return bool(value)
