"""List-page tables for the directory: ``{Model}Table``.

The columns are also the export's columns; ``value_*`` methods give plain values there.
"""

from typing import NamedTuple

import django_tables2 as tables
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from cbnet.core.countries import country_name
from cbnet.core.tables import ArchivedColumn, BaseTable, FreshnessColumn
from cbnet.directory.choices import Role
from cbnet.directory.models import Appointment, Organisation, Person, Region


class RegionTable(BaseTable):
    code = tables.Column(linkify=True, verbose_name=_("Code"))
    name = tables.Column(linkify=True, verbose_name=_("Name"))
    parent = tables.Column(linkify=True, verbose_name=_("Parent region"))
    archived = ArchivedColumn()

    class Meta(BaseTable.Meta):
        model = Region
        fields = ("code", "name", "parent", "archived")

    def render_name(self, record):
        return record.display_name

    def value_name(self, record):
        return record.name


def _ncp_names(record):
    people = getattr(record, "current_ncp_appointments", None) or []
    return [a for a in people if a.role == "ncp"]


class _CurrentNcp(NamedTuple):
    """What the organisation list shows of a current NCP appointment: who, linked."""

    role: str
    person_id: int
    name: str


def load_current_ncps(organisations, queryset=None):
    """Set ``current_ncp_appointments`` on each organisation lacking it: its current NCPs'
    names, in one query of plain values (the list shows names only; no model instances).
    ``queryset`` (the organisations' own query) replaces the list of ids in the query."""
    missing = {o.pk: o for o in organisations if not hasattr(o, "current_ncp_appointments")}
    if not missing:
        return
    for organisation in missing.values():
        organisation.current_ncp_appointments = []
    owners = queryset.values("pk") if queryset is not None else list(missing)
    rows = (
        Appointment.objects.current()
        .filter(role=Role.NCP, archived_at__isnull=True, organisation__in=owners)
        .order_by("domain", "role", "-start_date")
        .values_list(
            "organisation_id", "role", "person_id", "person__given_name", "person__family_name"
        )
    )
    for organisation_id, role, person_id, given_name, family_name in rows:
        organisation = missing.get(organisation_id)
        if organisation is not None:  # Person.__str__
            name = f"{given_name} {family_name}"
            organisation.current_ncp_appointments.append(_CurrentNcp(role, person_id, name))


class OrganisationTable(BaseTable):
    name = tables.Column(linkify=True, verbose_name=_("Name"))
    acronym = tables.Column(verbose_name=_("Acronym"))
    kind = tables.Column(verbose_name=_("Kind"))
    country = tables.Column(verbose_name=_("Country"))
    region = tables.Column(verbose_name=_("Region"), accessor="region__code")
    subregion = tables.Column(verbose_name=_("Sub-region"), accessor="subregion__code")
    ncp = tables.Column(
        verbose_name=_("Current NCP"), accessor="pk", orderable=False, empty_values=()
    )
    contacts_confirmed_on = FreshnessColumn()
    archived = ArchivedColumn()

    class Meta(BaseTable.Meta):
        model = Organisation
        fields = (
            "name",
            "acronym",
            "kind",
            "country",
            "region",
            "subregion",
            "ncp",
            "contacts_confirmed_on",
            "archived",
        )

    def body_html(self):
        # The page's records, without making BoundRows (each one advances the row counter).
        load_current_ncps(list(self.paginated_rows.data))
        return super().body_html()

    def render_country(self, value):
        return country_name(value)

    def _ncps(self, record):
        if not hasattr(record, "current_ncp_appointments"):  # export: every row at once
            if not hasattr(self, "_ncps_by_pk"):
                data = getattr(self.data, "data", None)
                organisations = list(data) if isinstance(data, QuerySet) else []
                load_current_ncps(organisations, queryset=data if organisations else None)
                self._ncps_by_pk = {o.pk: o.current_ncp_appointments for o in organisations}
            if record.pk in self._ncps_by_pk:
                record.current_ncp_appointments = self._ncps_by_pk[record.pk]
            else:
                load_current_ncps([record])
        return _ncp_names(record)

    def _person_url(self, appointment):
        if isinstance(appointment, _CurrentNcp):
            return self._detail_urls().for_pk(Person, appointment.person_id)
        return self.detail_url(appointment.person)

    def render_ncp(self, record):
        appointments = self._ncps(record)
        if not appointments:
            return "—"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((self._person_url(a), _ncp_name(a)) for a in appointments),
        )

    def value_ncp(self, record):
        return ", ".join(_ncp_name(a) for a in self._ncps(record))


def _ncp_name(appointment):
    return appointment.name if isinstance(appointment, _CurrentNcp) else str(appointment.person)


class PersonTable(BaseTable):
    name = tables.Column(
        verbose_name=_("Name"), accessor="family_name", order_by=("family_name", "given_name")
    )
    title = tables.Column(verbose_name=_("Title"))
    organisation = tables.Column(linkify=True, verbose_name=_("Organisation"))
    email = tables.EmailColumn(verbose_name=_("E-mail"))
    phone = tables.Column(verbose_name=_("Office phone"))
    languages = tables.Column(verbose_name=_("Languages"), orderable=False)
    archived = ArchivedColumn()

    class Meta(BaseTable.Meta):
        model = Person
        fields = ("name", "title", "organisation", "email", "phone", "languages", "archived")

    def render_name(self, record):
        return format_html('<a href="{}">{}</a>', self.detail_url(record), str(record))

    def value_name(self, record):
        return str(record)

    def render_languages(self, value):
        return ", ".join(value) if value else "—"

    def value_languages(self, value):
        return ", ".join(value or [])


class AppointmentTable(BaseTable):
    person = tables.Column(
        linkify=True, verbose_name=_("Person"), order_by=("person__family_name",)
    )
    organisation = tables.Column(linkify=True, verbose_name=_("Organisation"))
    role = tables.Column(verbose_name=_("Role"), linkify=True)
    domain = tables.Column(verbose_name=_("Domain"))
    start_date = tables.DateColumn(verbose_name=_("Start date"))
    end_date = tables.DateColumn(verbose_name=_("End date"))
    current = tables.Column(
        verbose_name=_("Current"), accessor="pk", orderable=False, empty_values=()
    )
    archived = ArchivedColumn()

    class Meta(BaseTable.Meta):
        model = Appointment
        fields = (
            "person",
            "organisation",
            "role",
            "domain",
            "start_date",
            "end_date",
            "current",
            "archived",
        )

    def render_current(self, record):
        if record.is_current(self._today()):
            return format_html('<span class="badge text-bg-success">{}</span>', _("current"))
        return ""

    def value_current(self, record):
        return record.is_current(self._today())

    def value_start_date(self, value):
        return value

    def value_end_date(self, value):
        return value

    def _today(self):
        if not hasattr(self, "_today_value"):
            self._today_value = timezone.localdate()
        return self._today_value
