"""Edit forms for the directory: ``{Model}Form``. Import forms live in importers.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cbnet.core import permissions
from cbnet.core.forms import LanguagesField, PrimaryModelForm
from cbnet.directory.models import Appointment, Organisation, Person, Region


def _live(model):
    return model.objects.filter(archived_at__isnull=True)


class RegionForm(PrimaryModelForm):
    class Meta:
        model = Region
        fields = ["code", "name", "names", "parent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = _live(Region).filter(parent__isnull=True)


class OrganisationForm(PrimaryModelForm):
    languages = LanguagesField(label=_("languages"))
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = [
            "name",
            "acronym",
            "kind",
            "country",
            "region",
            "subregion",
            "parent",
            "iati_ref",
            "time_zone",
            "languages",
            "website",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _live(Region).filter(parent__isnull=True)
        self.fields["subregion"].queryset = _live(Region).filter(parent__isnull=False)
        parents = _live(Organisation).only("id", "name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents


class PersonForm(PrimaryModelForm):
    languages = LanguagesField(label=_("languages"))

    class Meta:
        model = Person
        fields = [
            "given_name",
            "family_name",
            "title",
            "organisation",
            "email",
            "phone",
            "mobile",
            "languages",
            "expertise",
        ]
        widgets = {"expertise": forms.SelectMultiple(attrs={"size": 8})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _live(Organisation).only("id", "name")
        self.fields["expertise"].queryset = self.fields["expertise"].queryset.select_related(
            "framework"
        )


class AppointmentForm(PrimaryModelForm):
    class Meta:
        model = Appointment
        fields = ["person", "organisation", "role", "domain", "start_date", "end_date", "note"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _live(Person).only("id", "given_name", "family_name")
        self.fields["organisation"].queryset = _live(Organisation)

    def clean(self):
        cleaned = super().clean()
        check_ncp_role(self, cleaned)
        return cleaned


def check_ncp_role(form, cleaned):
    """A clear field message for an NCP appointment the user may not record.

    The policy still decides (the save is checked against it); this only says why early.
    """
    role, organisation = cleaned.get("role"), cleaned.get("organisation")
    if role not in permissions.NCP_ROLES or organisation is None or form.user is None:
        return
    actor = permissions.get_actor(form.user)
    in_rocb_region = organisation.region_id in actor.rocb_region_ids or (
        organisation.subregion_id in actor.rocb_region_ids
    )
    if not (actor.is_secretariat or in_rocb_region):
        form.add_error(
            "role",
            _("Only the region's ROCB officers or the Secretariat record NCP appointments."),
        )
