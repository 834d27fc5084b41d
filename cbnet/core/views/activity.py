"""The network-wide activity feed: every workflow event the user may see, newest first."""

from django import forms
from django.apps import apps
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from cbnet.core import events

PAGE_SIZE = 50


class ActivityFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of event"), required=False)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=None, required=False, empty_label=_("All")
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All")), *events.event_choices()]
        organisation = apps.get_model("directory", "Organisation")
        self.fields["organisation"].queryset = (
            organisation.objects.restrict(user, "view").only("pk", "name").order_by("name")
        )
        for name, field in self.fields.items():
            css = "form-select" if name in ("kind", "organisation") else "form-control"
            field.widget.attrs["class"] = f"{css} form-select-sm form-control-sm"

    def filter(self, queryset):
        if not self.is_valid():
            return queryset.none()
        data = self.cleaned_data
        if data["kind"]:
            queryset = queryset.filter(name=data["kind"])
        if data["organisation"] is not None:
            queryset = queryset.filter(organisation=data["organisation"])
        if data["since"]:
            queryset = queryset.filter(occurred_at__date__gte=data["since"])
        if data["until"]:
            queryset = queryset.filter(occurred_at__date__lte=data["until"])
        return queryset


def activity(request):
    form = ActivityFilterForm(request.GET or None, user=request.user)
    queryset = events.events_visible_to(request.user).select_related(
        "actor__person", "organisation"
    )
    if form.is_bound:
        queryset = form.filter(queryset)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "event": event,
            "rows": events.value_rows(event),
            "url": events.record_url(event),
            # The organisation, unless it is the record itself.
            "organisation": None
            if events.is_about(event, event.organisation)
            else event.organisation,
        }
        for event in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/activity.html",
        {"form": form, "page": page, "rows": rows, "querystring": query.urlencode()},
    )
