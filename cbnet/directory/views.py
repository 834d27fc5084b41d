"""Directory pages: regions, organisations, people, appointments, the vCard and home."""

import vobject
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cbnet.core import permissions
from cbnet.core.tables import DetailUrls
from cbnet.core.views import (
    BaseObjectView,
    ObjectDetailView,
    ObjectEditView,
    ObjectImportView,
    ObjectListView,
    register_model_view,
    request_can,
)
from cbnet.directory import filters, forms, importers, tables
from cbnet.directory.choices import Domain, OrganisationKind, Role
from cbnet.directory.models import Appointment, Organisation, Person, Region

DETAIL_LIMIT = 25  # rows of a list on a detail page; the full list is a link away


def current_ncp_prefetch(on=None):
    """Prefetch each organisation's current NCP and alternate appointments (one query)."""
    return Prefetch(
        "appointments",
        queryset=Appointment.objects.current(on)
        .filter(role__in=permissions.NCP_ROLES, archived_at__isnull=True)
        .select_related("person")
        .order_by("domain", "role", "-start_date"),
        to_attr="current_ncp_appointments",
    )


class _PresetUrl(str):
    """A URL standing in for an instance's ``get_absolute_url`` (called, it returns itself)."""

    def __call__(self):
        return str(self)


def preset_urls(objects):
    """Give each object's ``get_absolute_url`` its answer in advance, from a URL pattern
    reversed once per model (a detail page links a hundred related rows)."""
    urls = DetailUrls()
    for obj in objects:
        if "get_absolute_url" not in obj.__dict__:
            obj.get_absolute_url = _PresetUrl(urls(obj))


def can_confirm_contacts(request, organisation):
    if not request_can(request, "change", organisation):
        return False
    allowed = permissions.editable_fields(request.user, organisation)
    return allowed is None or "contacts_confirmed_on" in allowed


# --- regions -----------------------------------------------------------------------------


@register_model_view(Region, "list")
class RegionListView(ObjectListView):
    queryset = Region.objects.select_related("parent")
    filterset_class = filters.RegionFilter
    table_class = tables.RegionTable


@register_model_view(Region, "detail")
class RegionDetailView(ObjectDetailView):
    queryset = Region.objects.select_related("parent")

    def get_extra_context(self, request, obj):
        organisations = list(
            Organisation.objects.restrict(request.user, "view")
            .filter(Q(region=obj) | Q(subregion=obj), archived_at__isnull=True)
            .select_related("region", "subregion")
            .prefetch_related(current_ncp_prefetch())
            .order_by("name")
        )
        return {
            "subregions": obj.subregions.filter(archived_at__isnull=True).order_by("code"),
            "organisations": organisations,
            # The map, the freshness chart and the PDF directory are about these.
            "has_members": any(
                o.kind == OrganisationKind.MEMBER_ADMINISTRATION for o in organisations
            ),
        }


@register_model_view(Region, "edit")
class RegionEditView(ObjectEditView):
    model = Region
    form_class = forms.RegionForm


@register_model_view(Region, "import")
class RegionImportView(ObjectImportView):
    model = Region
    import_form_class = importers.RegionImportForm


# --- organisations -----------------------------------------------------------------------


@register_model_view(Organisation, "list")
class OrganisationListView(ObjectListView):
    queryset = Organisation.objects.select_related("region", "subregion")
    filterset_class = filters.OrganisationFilter
    table_class = tables.OrganisationTable

    def get_queryset(self, request, action="view"):
        # The table loads the current NCPs' names itself (OrganisationTable.ncp).
        return (
            super()
            .get_queryset(request, action)
            .only(  # the columns OrganisationTable shows
                "id",
                "name",
                "acronym",
                "kind",
                "country",
                "region_id",
                "subregion_id",
                "contacts_confirmed_on",
                "archived_at",
                "region__id",
                "region__code",
                "subregion__id",
                "subregion__code",
            )
        )


@register_model_view(Organisation, "detail")
class OrganisationDetailView(ObjectDetailView):
    queryset = Organisation.objects.select_related(
        "region", "subregion", "parent", "contacts_confirmed_by"
    )

    def get_extra_context(self, request, obj):
        today = timezone.localdate()
        live = Appointment.objects.restrict(request.user, "view").filter(
            organisation=obj, archived_at__isnull=True
        )
        ncp_history = list(
            live.filter(role__in=permissions.NCP_ROLES)
            .select_related("person")
            .order_by("-start_date", "domain", "role")
        )
        by_domain = []
        for value, label in Domain.choices:
            current = [a for a in ncp_history if a.domain == value and a.is_current(today)]
            by_domain.append(
                {
                    "label": label,
                    "ncp": next((a for a in current if a.role == Role.NCP), None),
                    "alternate": next((a for a in current if a.role == Role.ALTERNATE_NCP), None),
                }
            )
        # The page shows the first DETAIL_LIMIT people and other appointments; the
        # filtered lists have them all (one row more is fetched to know whether to link).
        other_appointments = list(
            live.current(today)
            .exclude(role__in=permissions.NCP_ROLES)
            .select_related("person")
            .order_by("role", "person__family_name")[: DETAIL_LIMIT + 1]
        )
        people = list(
            Person.objects.restrict(request.user, "view")
            .filter(organisation=obj, archived_at__isnull=True)
            .order_by("family_name", "given_name")[: DETAIL_LIMIT + 1]
        )
        preset_urls(
            [
                *ncp_history,
                *(a.person for a in ncp_history),
                *other_appointments,
                *(a.person for a in other_appointments),
                *people,
            ]
        )
        return {
            "ncp_by_domain": by_domain,
            "ncp_history": ncp_history,
            "other_appointments": other_appointments[:DETAIL_LIMIT],
            "all_appointments_url": (
                f"{reverse('directory:appointment_list')}?organisation={obj.pk}&current=yes"
                if len(other_appointments) > DETAIL_LIMIT
                else None
            ),
            "people": people[:DETAIL_LIMIT],
            "all_people_url": (
                f"{reverse('directory:person_list')}?organisation={obj.pk}"
                if len(people) > DETAIL_LIMIT
                else None
            ),
            "children": obj.children.filter(archived_at__isnull=True).order_by("name"),
            "contacts_stale": obj.contacts_stale(today),
            "can_confirm": can_confirm_contacts(request, obj),
            "can_add_person": request_can(request, "add", Person)
            and request_can(request, "change", obj),
        }


@register_model_view(Organisation, "edit")
class OrganisationEditView(ObjectEditView):
    model = Organisation
    form_class = forms.OrganisationForm


@register_model_view(Organisation, "import")
class OrganisationImportView(ObjectImportView):
    model = Organisation
    import_form_class = importers.OrganisationImportForm


@register_model_view(Organisation, "confirm_contacts")
class OrganisationConfirmContactsView(BaseObjectView):
    """POST: the organisation's contacts are up to date (today, by the signed-in person)."""

    model = Organisation
    http_method_names = ["post"]

    def post(self, request, pk):
        from cbnet.directory.services import confirm_contacts

        organisation = self.get_object(request, pk)
        if not can_confirm_contacts(request, organisation):
            raise PermissionDenied
        confirm_contacts(organisation, request.user)
        messages.success(
            request,
            _("Thank you: the contacts of %(organisation)s are confirmed as up to date.")
            % {"organisation": organisation},
        )
        target = request.POST.get("next")
        if target == "home":
            return redirect("home")
        return redirect(organisation.get_absolute_url())


# --- people ------------------------------------------------------------------------------


@register_model_view(Person, "list")
class PersonListView(ObjectListView):
    # Only the columns PersonTable shows (rows also carry search text, notes, JSON ...).
    queryset = Person.objects.select_related("organisation").only(
        "id",
        "given_name",
        "family_name",
        "title",
        "organisation_id",
        "email",
        "phone",
        "languages",
        "archived_at",
        "organisation__id",
        "organisation__name",
    )
    filterset_class = filters.PersonFilter
    table_class = tables.PersonTable


@register_model_view(Person, "detail")
class PersonDetailView(ObjectDetailView):
    queryset = Person.objects.select_related("organisation")

    def get_extra_context(self, request, obj):
        today = timezone.localdate()
        appointments = list(
            obj.appointments.filter(archived_at__isnull=True)
            .select_related("organisation")
            .order_by("-start_date")
        )
        return {
            "current_appointments": [a for a in appointments if a.is_current(today)],
            "past_appointments": [a for a in appointments if not a.is_current(today)],
            "expertise": obj.expertise.select_related("framework").order_by("framework", "code"),
            "can_add_appointment": permissions.can(request.user, "add", Appointment),
        }


@register_model_view(Person, "edit")
class PersonEditView(ObjectEditView):
    model = Person
    form_class = forms.PersonForm


@register_model_view(Person, "import")
class PersonImportView(ObjectImportView):
    model = Person
    import_form_class = importers.PersonImportForm


@register_model_view(Person, "vcard")
class PersonVCardView(BaseObjectView):
    queryset = Person.objects.select_related("organisation")

    def get(self, request, pk):
        person = self.get_object(request, pk)
        response = HttpResponse(vcard(person), content_type="text/vcard; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="person-{person.pk}.vcf"'
        return response


def vcard(person) -> bytes:
    """The person's contact card (vCard 3.0, UTF-8)."""
    card = vobject.vCard()
    card.add("fn").value = person.full_name
    card.add("n").value = vobject.vcard.Name(family=person.family_name, given=person.given_name)
    if person.organisation_id:
        card.add("org").value = [person.organisation.name]
    if person.title:
        card.add("title").value = person.title
    if person.email:
        email = card.add("email")
        email.value = person.email
        email.type_param = "INTERNET"
    for number, kind in ((person.phone, "WORK"), (person.mobile, "CELL")):
        if number:
            tel = card.add("tel")
            tel.value = number
            tel.type_param = kind
    for code in person.languages or []:
        card.add("lang").value = code
    return card.serialize().encode("utf-8")


# --- appointments ------------------------------------------------------------------------


@register_model_view(Appointment, "list")
class AppointmentListView(ObjectListView):
    queryset = Appointment.objects.select_related("person", "organisation")
    filterset_class = filters.AppointmentFilter
    table_class = tables.AppointmentTable


@register_model_view(Appointment, "detail")
class AppointmentDetailView(ObjectDetailView):
    queryset = Appointment.objects.select_related("person", "organisation")

    def get_extra_context(self, request, obj):
        return {"is_current": obj.is_current()}


@register_model_view(Appointment, "edit")
class AppointmentEditView(ObjectEditView):
    model = Appointment
    form_class = forms.AppointmentForm


@register_model_view(Appointment, "import")
class AppointmentImportView(ObjectImportView):
    model = Appointment
    import_form_class = importers.AppointmentImportForm


# --- home --------------------------------------------------------------------------------


def home(request):
    """The signed-in person's organisation, appointments and contacts to confirm."""
    user = request.user
    person = Person.objects.select_related("organisation").filter(user=user).first()
    actor = permissions.get_actor(user)
    today = timezone.localdate()
    appointments = []
    if person is not None:
        appointments = list(
            person.appointments.current(today)
            .filter(archived_at__isnull=True)
            .select_related("organisation")
            .order_by("organisation__name", "role")
        )
    to_confirm = list(
        Organisation.objects.filter(pk__in=actor.self_service_org_ids, archived_at__isnull=True)
        .select_related("contacts_confirmed_by")
        .order_by("name")
    )
    for organisation in to_confirm:
        organisation.stale = organisation.contacts_stale(today)
    return render(
        request,
        "directory/home.html",
        {"person": person, "appointments": appointments, "to_confirm": to_confirm},
    )
