"""Forms of the results part: target levels per area, the region view's filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.models import AreaTarget, Questionnaire, Round
from cbnet.assessments.services.targets import scale_max
from cbnet.core import permissions
from cbnet.directory.models import Region


class TargetsForm(forms.Form):
    """One optional level per area of ``framework`` (blank removes the target)."""

    def __init__(self, *args, organisation, framework, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.framework = framework
        self.top = scale_max(framework)
        self.areas = list(framework.areas.order_by("position", "code"))
        current = {
            t.area_id: t.level
            for t in AreaTarget.objects.filter(organisation=organisation, area__in=self.areas)
        }
        for area in self.areas:
            self.fields[f"area_{area.pk}"] = forms.DecimalField(
                label=f"{area.code} {area.name}",
                required=False,
                min_value=0,
                max_value=self.top,
                max_digits=4,
                decimal_places=2,
                initial=current.get(area.pk),
                widget=forms.NumberInput(attrs={"step": "0.01", "class": "form-control"}),
            )
        self.fields["framework"] = forms.IntegerField(
            widget=forms.HiddenInput, initial=framework.pk
        )

    def area_fields(self):
        return [(area, self[f"area_{area.pk}"]) for area in self.areas]

    def levels(self):
        return {area: self.cleaned_data.get(f"area_{area.pk}") for area in self.areas}


class RegionResultsForm(forms.Form):
    questionnaire = forms.ChoiceField(label=_("Questionnaire"))
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.none(), required=False
    )
    subregion = forms.ModelChoiceField(
        label=_("Sub-region"), queryset=Region.objects.none(), required=False
    )
    round = forms.ModelChoiceField(label=_("Round"), queryset=Round.objects.none(), required=False)

    def __init__(self, data=None, *, user, **kwargs):
        codes = list(
            Questionnaire.objects.filter(archived_at__isnull=True)
            .order_by("code")
            .values_list("code", flat=True)
            .distinct()
        )
        if data is None or not data.get("questionnaire"):
            # A first visit: the first questionnaire that has rounds, else the first code.
            first = (
                Round.objects.filter(archived_at__isnull=True)
                .order_by("questionnaire__code")
                .values_list("questionnaire__code", flat=True)
                .first()
            )
            data = {**(data.dict() if data is not None else {})}
            data["questionnaire"] = first or (codes[0] if codes else "")
        super().__init__(data, **kwargs)
        self.fields["questionnaire"].choices = [(code, code) for code in codes]
        actor = permissions.get_actor(user)
        regions = Region.objects.filter(parent__isnull=True)
        subregions = Region.objects.filter(parent__isnull=False)
        rounds = Round.objects.filter(archived_at__isnull=True).select_related("questionnaire")
        if not actor.is_secretariat:
            regions = regions.filter(pk__in=actor.rocb_region_ids)
            subregions = subregions.filter(parent_id__in=actor.rocb_region_ids)
            if actor.is_rocb:
                rounds = rounds.filter(region_id__in=actor.rocb_region_ids)
        code = self.data.get("questionnaire")
        if code:
            rounds = rounds.filter(questionnaire__code=code)
        self.fields["region"].queryset = regions.order_by("name")
        self.fields["subregion"].queryset = subregions.order_by("name")
        self.fields["round"].queryset = rounds.order_by("-opens_on", "name")
        if not actor.is_secretariat:
            del self.fields["region"]
        if not (actor.is_secretariat or actor.is_rocb):
            del self.fields["subregion"]
        for form_field in self.fields.values():
            form_field.widget.attrs.setdefault("class", "form-select")

    def clean(self):
        data = super().clean()
        subregion, region = data.get("subregion"), data.get("region")
        if subregion is not None and region is not None and subregion.parent_id != region.pk:
            self.add_error("subregion", _("The sub-region is not in the chosen region."))
        return data
