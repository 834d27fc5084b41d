"""National capacity-building plan pages: list (and export), detail, add/edit, milestones
edited inline, and the plan as PDF (see cbnet/assessments/urls.py).

Plans are seen and changed by the administration's people with rights on its assessment,
its region's ROCB officers and the Secretariat (``AdministrationRecordPolicy``). Milestones
are saved all or nothing by ``cbnet.assessments.services.plans.save_milestones``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from cbnet.assessments import plans_filters as filters
from cbnet.assessments import plans_forms as forms
from cbnet.assessments import plans_tables as tables
from cbnet.assessments.models import Milestone, Need, Plan
from cbnet.assessments.services import plans as services
from cbnet.core.pdf import render_pdf
from cbnet.core.views import (
    BaseObjectView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    register_model_view,
)
from cbnet.core.views.registry import model_urls

PLAN_QUERYSET = Plan.objects.select_related("organisation")


def _overdue_q(today):
    return Q(milestones__due_on__lt=today) & ~Q(
        milestones__status__in=list(services.CLOSED_MILESTONE_STATUSES)
    )


@register_model_view(Plan, "list")
class PlanListView(ObjectListView):
    queryset = PLAN_QUERYSET
    filterset_class = filters.PlanFilter
    table_class = tables.PlanTable

    def get_queryset(self, request, action="view"):
        today = timezone.localdate()
        return (
            super()
            .get_queryset(request, action)
            .annotate(
                milestone_count=Count("milestones"),
                overdue_count=Count("milestones", filter=_overdue_q(today)),
            )
        )


def plan_context(request, plan):
    today = timezone.localdate()
    milestones = list(
        Milestone.objects.restrict(request.user, "view")
        .filter(plan=plan)
        .select_related("need__area", "owner")
        .order_by("due_on", "position", "pk")
    )
    for milestone in milestones:
        milestone.overdue = services.is_overdue(milestone, today)
    need_ids = {m.need_id for m in milestones if m.need_id}
    needs = list(
        Need.objects.restrict(request.user, "view")
        .filter(pk__in=need_ids)
        .select_related("area")
        .order_by("priority", "pk")
    )
    return {
        "milestones": milestones,
        "needs": needs,
        "overdue_count": sum(1 for m in milestones if m.overdue),
        "today": today,
    }


@register_model_view(Plan, "detail")
class PlanDetailView(ObjectDetailView):
    queryset = PLAN_QUERYSET
    template_name = "assessments/plan_detail.html"

    def get_extra_context(self, request, obj):
        return plan_context(request, obj)


@register_model_view(Plan, "edit")
class PlanEditView(ObjectEditView):
    model = Plan
    queryset = PLAN_QUERYSET
    form_class = forms.PlanForm


@register_model_view(Plan, "milestones")
class PlanMilestonesView(BaseObjectView):
    """The plan's milestones side by side, a few blank rows to add, a box to remove."""

    model = Plan
    queryset = PLAN_QUERYSET
    template_name = "assessments/plan_milestones.html"

    def get(self, request, pk):
        plan = self.get_object(request, pk, "change")
        formset = forms.MilestoneFormSet(plan=plan)
        return self.render_page(request, plan, formset, plan.version)

    def post(self, request, pk):
        plan = self.get_object(request, pk, "change")
        formset = forms.MilestoneFormSet(request.POST, plan=plan)
        version = request.POST.get("plan_version")
        if formset.is_valid():
            rows = [
                f.row()
                for f in formset.forms
                if f.has_changed() and f not in formset.deleted_forms and f.cleaned_data
            ]
            delete = [f.instance.pk for f in formset.deleted_forms if f.instance.pk]
            try:
                services.save_milestones(
                    plan, rows, delete=delete, user=request.user, version=version
                )
            except ValidationError as error:
                for text in error.messages:
                    formset._non_form_errors = formset.non_form_errors() + [text]
            else:
                messages.success(request, _("Saved the milestones of %(plan)s.") % {"plan": plan})
                return redirect(plan.get_absolute_url())
        return self.render_page(request, plan, formset, version)

    def render_page(self, request, plan, formset, version):
        context = self.object_context(request, plan, "milestones")
        context.update(formset=formset, plan_version=version or plan.version)
        return render(request, self.template_name, context)


@register_model_view(Plan, "pdf")
class PlanPdfView(BaseObjectView):
    model = Plan
    queryset = PLAN_QUERYSET

    def get(self, request, pk):
        plan = self.get_object(request, pk)
        context = {
            "plan": plan,
            "generated_on": timezone.localdate(),
            **plan_context(request, plan),
        }
        filename = f"plan-{plan.organisation.acronym or plan.organisation_id}-{plan.pk}.pdf"
        return render_pdf(request, "assessments/plan_pdf.html", context, filename)


urlpatterns = [*model_urls(Plan, "plans")]
