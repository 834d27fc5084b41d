"""Tables of the needs register and regional needs (also their CSV/XLSX export columns)."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.choices import Support
from cbnet.assessments.models import Need, RegionalNeed
from cbnet.core.tables import ArchivedColumn, BaseTable

SUPPORT_LABELS = dict(Support.choices)


def support_labels(kinds):
    return ", ".join(str(SUPPORT_LABELS.get(kind, kind)) for kind in kinds or [])


class NeedTable(BaseTable):
    title = tables.Column(verbose_name=_("Title"))
    organisation = tables.Column(verbose_name=_("Administration"), accessor="organisation__name")
    region = tables.Column(verbose_name=_("Region"), accessor="organisation__region__code")
    area = tables.Column(verbose_name=_("Area"), accessor="area__code")
    priority = tables.Column(verbose_name=_("Priority"))
    support = tables.Column(verbose_name=_("Support wanted"), orderable=False)
    tfa_category = tables.Column(verbose_name=_("TFA category"))
    status = tables.Column(verbose_name=_("Status"))
    published_at = tables.DateColumn(verbose_name=_("Published"))
    archived = ArchivedColumn()

    class Meta(BaseTable.Meta):
        model = Need
        fields = (
            "title",
            "organisation",
            "region",
            "area",
            "priority",
            "support",
            "tfa_category",
            "status",
            "published_at",
            "archived",
        )
        order_by = ("priority", "organisation")

    def render_title(self, record, value):
        return format_html('<a href="{}">{}</a>', self.detail_url(record), str(value))

    def value_title(self, record, value):
        return str(value)

    def render_support(self, value):
        return support_labels(value)

    def value_support(self, value):
        return support_labels(value)


class RegionalNeedTable(BaseTable):
    title = tables.Column(verbose_name=_("Title"))
    region = tables.Column(verbose_name=_("Region"), accessor="region__code")
    area = tables.Column(verbose_name=_("Area"), accessor="area__code")
    priority = tables.Column(verbose_name=_("Priority"))
    members = tables.Column(
        verbose_name=_("Member needs"), accessor="member_count", orderable=False
    )
    status = tables.Column(verbose_name=_("Status"))
    archived = ArchivedColumn()

    class Meta(BaseTable.Meta):
        model = RegionalNeed
        fields = ("title", "region", "area", "priority", "members", "status", "archived")
        order_by = ("region", "priority")

    def render_title(self, record, value):
        return format_html('<a href="{}">{}</a>', self.detail_url(record), str(value))

    def value_title(self, record, value):
        return str(value)
