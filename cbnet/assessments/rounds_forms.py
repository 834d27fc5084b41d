"""Forms of the round pages: open a round, edit its name and instructions, extend its due
date, add administrations. Field names match the keys of the services' errors, so a
``ValidationError`` from ``cbnet.assessments.services.rounds`` lands on its field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.models import Questionnaire, Round
from cbnet.assessments.services import rounds as services
from cbnet.core.countries import TIME_ZONE_CHOICES
from cbnet.core.forms import PrimaryModelForm
from cbnet.directory.models import Organisation, Region

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _style(form):
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Select | forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


def _administrations(regions):
    return (
        Organisation.objects.filter(
            kind="member_administration", archived_at__isnull=True, region__in=regions
        )
        .select_related("region")
        .order_by("name", "pk")
    )


class AdministrationsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class RoundOpenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    questionnaire = forms.ModelChoiceField(
        label=_("Questionnaire"), queryset=Questionnaire.objects.none()
    )
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    subregion = forms.ModelChoiceField(
        label=_("Sub-region"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("Only the members of this sub-region take part."),
    )
    organisations = AdministrationsField(
        label=_("Administrations"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Leave empty for every member administration of the region (or sub-region)."),
    )
    opens_on = forms.DateField(label=_("Opens on"), widget=DATE_INPUT)
    due_on = forms.DateField(
        label=_("Due on"),
        widget=DATE_INPUT,
        help_text=_("The round closes at 23:59 on this day in its time zone."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[("", _("The ROCB's time zone"))] + TIME_ZONE_CHOICES,
        required=False,
    )
    instructions = forms.CharField(
        label=_("Instructions"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        regions = services.regions_for(user)
        self.fields["questionnaire"].queryset = services.questionnaires_for_rounds()
        self.fields["region"].queryset = regions
        self.fields["subregion"].queryset = Region.objects.filter(
            parent__in=regions, archived_at__isnull=True
        ).order_by("code")
        self.fields["organisations"].queryset = _administrations(regions)
        region_list = list(regions[:2])
        if len(region_list) == 1 and not self.is_bound:
            # An ROCB officer's own region, and the ROCB's time zone.
            self.fields["region"].initial = region_list[0].pk
            self.fields["time_zone"].initial = services.default_time_zone(region_list[0])
        _style(self)

    def clean(self):
        cleaned = super().clean()
        opens_on, due_on = cleaned.get("opens_on"), cleaned.get("due_on")
        if opens_on and due_on and due_on < opens_on:
            self.add_error("due_on", _("The due date cannot be before the opening date."))
        region, subregion = cleaned.get("region"), cleaned.get("subregion")
        if region and subregion and subregion.parent_id != region.pk:
            self.add_error("subregion", _("The sub-region must belong to the round's region."))
        return cleaned


class RoundForm(PrimaryModelForm):
    """Edit a round's name and instructions (dates: extend; administrations: add)."""

    class Meta:
        model = Round
        fields = ["name", "instructions"]
        widgets = {"instructions": forms.Textarea(attrs={"rows": 3})}


class RoundExtendForm(forms.Form):
    due_on = forms.DateField(
        label=_("New due date"),
        widget=DATE_INPUT,
        help_text=_("The round closes at 23:59 on this day in its time zone."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, round_=None, **kwargs):
        super().__init__(*args, **kwargs)
        if round_ is not None and not self.is_bound:
            self.fields["version"].initial = round_.version
        _style(self)


class RoundAddAdministrationsForm(forms.Form):
    organisations = AdministrationsField(
        label=_("Administrations"),
        queryset=Organisation.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )

    def __init__(self, *args, round_, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = services.members(round_.region, round_.subregion).exclude(
            pk__in=round_.assessments.values("organisation_id")
        )
        self.fields["organisations"].queryset = queryset
        _style(self)
