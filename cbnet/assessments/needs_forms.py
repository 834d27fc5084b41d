"""Forms of the needs register: ``NeedForm``, the gaps-into-needs form, status changes,
``RegionalNeedForm`` and the grouping form. Field names match the keys of the services'
errors (``cbnet.assessments.services.needs``), so a refusal lands on its field."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.choices import (
    ROCB_NEED_STATUSES,
    NeedStatus,
    Support,
    TfaCategory,
)
from cbnet.assessments.models import Need, RegionalNeed
from cbnet.capabilities.models import Area
from cbnet.core import permissions
from cbnet.core.forms import PrimaryModelForm
from cbnet.directory.models import Organisation, Region

PRIORITY_CHOICES = [
    (1, _("1 (highest)")),
    (2, "2"),
    (3, "3"),
    (4, "4"),
    (5, _("5 (lowest)")),
]


class SupportField(forms.MultipleChoiceField):
    """Kinds of support wanted, as checkboxes; stored in ``Support``'s order."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", Support.choices)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Support wanted"))
        super().__init__(**kwargs)

    def clean(self, value):
        chosen = super().clean(value)
        return [kind for kind in Support.values if kind in chosen]


def administrations_for(user):
    """Member administrations whose needs ``user`` enters (Secretariat: all)."""
    actor = permissions.get_actor(user)
    queryset = Organisation.objects.filter(kind="member_administration", archived_at__isnull=True)
    if not actor.is_secretariat:
        queryset = queryset.filter(pk__in=actor.assessment_org_ids)
    return queryset.order_by("name")


def areas():
    return Area.objects.select_related("framework").order_by("framework__code", "position", "code")


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


class NeedForm(PrimaryModelForm):
    support = SupportField()
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=PRIORITY_CHOICES, coerce=int, initial=3
    )

    class Meta:
        model = Need
        fields = [
            "organisation",
            "area",
            "title",
            "description",
            "priority",
            "support",
            "tfa_category",
        ]
        field_classes = {"area": AreaChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas()
        if self.instance.pk is None:
            self.fields["organisation"].queryset = administrations_for(self.user)
        else:
            # An administration's need stays the administration's.
            self.fields["organisation"].queryset = Organisation.objects.filter(
                pk=self.instance.organisation_id
            )
            self.fields["organisation"].disabled = True
        for field in (self.fields["support"], self.fields["tfa_category"]):
            field.widget.attrs.pop("class", None)
        self.fields["tfa_category"].widget.attrs["class"] = "form-select"
        self.fields["support"].widget.attrs["class"] = "form-check-input"


class ProposalForm(forms.Form):
    """One proposed need (an area with a gap): take it or not, and edit it first."""

    take = forms.BooleanField(label=_("Turn into a need"), required=False, initial=True)
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    priority = forms.TypedChoiceField(label=_("Priority"), choices=PRIORITY_CHOICES, coerce=int)
    support = SupportField()
    tfa_category = forms.ChoiceField(
        label=_("TFA category"),
        choices=[("", "—"), *TfaCategory.choices],
        required=False,
    )
    answers = forms.TypedMultipleChoiceField(
        label=_("Answers behind it"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, proposal, **kwargs):
        self.proposal = proposal
        kwargs.setdefault(
            "initial",
            {
                "title": proposal["title"],
                "priority": proposal["priority"],
                "answers": [a.pk for a in proposal["answers"]],
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["answers"].choices = [
            (a.pk, f"{a.question.code}: {a.level}") for a in proposal["answers"]
        ]
        for name in ("title", "description"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"
        for name in ("priority", "tfa_category"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    def selection(self):
        data = self.cleaned_data
        return {
            "area": self.proposal["area"],
            "title": data["title"],
            "description": data["description"],
            "priority": data["priority"],
            "support": data["support"],
            "tfa_category": data["tfa_category"],
            "answers": data["answers"],
        }


def proposal_forms(proposals, data=None):
    return [
        ProposalForm(data, proposal=p, prefix=f"area-{p['area'].pk}")
        for p in proposals
        if p["existing"] is None
    ]


class NeedStatusForm(forms.Form):
    """The region's ROCB officers set matched, in progress or met."""

    status = forms.ChoiceField(label=_("New status"), choices=())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, need, **kwargs):
        super().__init__(*args, **kwargs)
        from cbnet.assessments.choices import NEED_TRANSITIONS

        allowed = NEED_TRANSITIONS[NeedStatus(need.status)] & ROCB_NEED_STATUSES
        self.fields["status"].choices = [(s.value, s.label) for s in NeedStatus if s in allowed]
        self.fields["status"].widget.attrs["class"] = "form-select form-select-sm"
        if not self.is_bound:
            self.fields["version"].initial = need.version


class RegionalNeedForm(PrimaryModelForm):
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=PRIORITY_CHOICES, coerce=int, initial=3
    )

    class Meta:
        model = RegionalNeed
        fields = ["area", "title", "description", "priority"]
        field_classes = {"area": AreaChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas()


class NeedChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return _("%(organisation)s: %(title)s (priority %(priority)s)") % {
            "organisation": obj.organisation.name,
            "title": obj.title,
            "priority": obj.priority,
        }


def groupable_needs(user, region_ids):
    """Published needs of member administrations of the regions, through the door."""
    return (
        permissions.restrict(Need.objects.all(), user, "view")
        .filter(
            status=NeedStatus.PUBLISHED,
            archived_at__isnull=True,
            organisation__region_id__in=region_ids,
        )
        .select_related("organisation", "area")
        .order_by("area__code", "organisation__name", "priority", "pk")
    )


class GroupNeedsForm(forms.Form):
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    area = AreaChoiceField(label=_("Capability area"), queryset=Area.objects.none())
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=PRIORITY_CHOICES, coerce=int, initial=3
    )
    needs = NeedChoiceField(label=_("Members' needs"), queryset=Need.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        actor = permissions.get_actor(user)
        regions = Region.objects.filter(parent__isnull=True, archived_at__isnull=True)
        if not actor.is_secretariat:
            regions = regions.filter(Q(pk__in=actor.rocb_region_ids))
        self.fields["region"].queryset = regions.order_by("code")
        self.fields["area"].queryset = areas()
        self.fields["needs"].queryset = groupable_needs(user, regions.values("pk"))
        for name, field in self.fields.items():
            if name == "needs":
                continue
            if isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select"
            else:
                field.widget.attrs["class"] = "form-control"
