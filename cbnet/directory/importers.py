"""Import forms for the directory's bulk import (CSV/XLSX, one row = one form).

Columns are the form's field names or labels (case and accents ignored). References are
written the way people write them in a spreadsheet: an organisation by its name, acronym
or IATI identifier; a region by its code; a person by e-mail; a country by its ISO code or
English name; languages as "es, en"; roles and kinds by code or label.

Each form declares ``natural_keys``: how a row finds the record it updates when the file
has no ``id`` column (see cbnet.core.importing). Keys are tried in order; one with a blank
cell is skipped, except the last, which always applies:

- Region: its code.
- Organisation: the IATI identifier when the row gives one, else (kind, country, name) -
  names are not unique across countries ("Customs Administration"), and the kind keeps a
  ministry apart from the customs administration of the same name.
- Person: the e-mail when given, else (given name, family name, organisation).
- Appointment: (person, organisation, role, domain, start date).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from cbnet.core.forms import (
    ChoiceOrLabelField,
    CountryField,
    LanguagesField,
    LookupChoiceField,
    PrimaryModelForm,
)
from cbnet.directory.choices import Domain, OrganisationKind, Role
from cbnet.directory.forms import AppointmentForm, OrganisationForm, check_ncp_role
from cbnet.directory.models import Appointment, Organisation, Person, Region


def _live(model):
    return model.objects.filter(archived_at__isnull=True)


def _organisation_field(required=True, label=None):
    return LookupChoiceField(
        _live(Organisation),
        lookups=("name", "acronym", "iati_ref"),
        required=required,
        label=label or _("organisation"),
        help_text=_("Name, acronym or IATI identifier."),
    )


class RegionImportForm(PrimaryModelForm):
    natural_keys = (("code",),)

    parent = LookupChoiceField(
        _live(Region).filter(parent__isnull=True),
        lookups=("code", "name"),
        required=False,
        label=_("parent region"),
        help_text=_("Code of the parent region, e.g. AMS."),
    )

    class Meta:
        model = Region
        fields = ["code", "name", "parent"]


class OrganisationImportForm(PrimaryModelForm):
    natural_keys = (("iati_ref",), ("kind", "country", "name"))

    kind = ChoiceOrLabelField(choices=OrganisationKind.choices, label=_("kind"))
    country = CountryField(required=False, label=_("country"), help_text=_("ISO code or name."))
    region = LookupChoiceField(
        _live(Region).filter(parent__isnull=True),
        lookups=("code",),
        required=False,
        label=_("region"),
        help_text=_("Region code, e.g. AMS."),
    )
    subregion = LookupChoiceField(
        _live(Region).filter(parent__isnull=False),
        lookups=("code",),
        required=False,
        label=_("sub-region"),
        help_text=_("Sub-region code, e.g. AMS-SAM."),
    )
    parent = _organisation_field(required=False, label=_("parent organisation"))
    languages = LanguagesField(label=_("languages"))
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = OrganisationForm.Meta.fields  # the same columns as the edit form


class PersonImportForm(PrimaryModelForm):
    natural_keys = (("email",), ("given_name", "family_name", "organisation"))

    organisation = _organisation_field()
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
        ]

    def clean_email(self):
        email = self.cleaned_data.get("email", "")
        others = _live(Person).exclude(pk=self.instance.pk) if self.instance.pk else _live(Person)
        if email and others.filter(email__iexact=email).exists():
            raise _exists_error(email)
        return email


def _exists_error(email):
    from django.core.exceptions import ValidationError

    return ValidationError(
        _("A person with the e-mail %(email)s is already in the directory."),
        code="exists",
        params={"email": email},
    )


class AppointmentImportForm(PrimaryModelForm):
    natural_keys = (("person", "organisation", "role", "domain", "start_date"),)

    person = LookupChoiceField(
        _live(Person), lookups=("email",), label=_("person"), help_text=_("The person's e-mail.")
    )
    organisation = _organisation_field()
    role = ChoiceOrLabelField(choices=Role.choices, label=_("role"))
    domain = ChoiceOrLabelField(choices=Domain.choices, required=False, label=_("domain"))

    class Meta:
        model = Appointment
        fields = AppointmentForm.Meta.fields

    def clean(self):
        cleaned = super().clean()
        check_ncp_role(self, cleaned)
        return cleaned
