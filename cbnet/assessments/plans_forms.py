"""Forms of the plan pages: ``PlanForm`` and the milestones edited inline (a formset)."""

from django import forms

from cbnet.assessments.models import Milestone, Plan
from cbnet.assessments.needs_forms import administrations_for
from cbnet.assessments.services import plans as services
from cbnet.core.forms import PrimaryModelForm
from cbnet.directory.models import Organisation

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlanForm(PrimaryModelForm):
    class Meta:
        model = Plan
        fields = ["organisation", "title", "starts_on", "ends_on", "summary"]
        widgets = {
            "starts_on": DATE_INPUT,
            "ends_on": DATE_INPUT,
            "summary": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["organisation"].queryset = administrations_for(self.user)
        else:
            self.fields["organisation"].queryset = Organisation.objects.filter(
                pk=self.instance.organisation_id
            )
            self.fields["organisation"].disabled = True


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "need", "owner", "due_on", "status", "position"]
        widgets = {
            "due_on": DATE_INPUT,
            "position": forms.NumberInput(attrs={"style": "width:5em"}),
        }

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["need"].queryset = services.plan_needs(plan.organisation_id)
        self.fields["owner"].queryset = services.plan_owners(plan.organisation_id)
        self.fields["need"].label_from_instance = lambda n: f"{n.area.code} · {n.title}"
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", f"{css} form-{css.split('-')[1]}-sm")

    def row(self):
        """The service's row dict (``services.plans.save_milestones``)."""
        data = {name: self.cleaned_data.get(name) for name in services.MILESTONE_FIELDS}
        data["position"] = data["position"] or 0
        if self.instance.pk:
            data["id"] = self.instance.pk
        return data


class BaseMilestoneFormSet(forms.BaseModelFormSet):
    def __init__(self, *args, plan, **kwargs):
        self.plan = plan
        kwargs.setdefault("queryset", plan.milestones.select_related("need", "owner"))
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "plan": self.plan}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            plan=self.plan,
        )
        self.add_fields(form, None)
        return form


MilestoneFormSet = forms.modelformset_factory(
    Milestone,
    form=MilestoneForm,
    formset=BaseMilestoneFormSet,
    extra=3,
    can_delete=True,
)


class PlanVersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
