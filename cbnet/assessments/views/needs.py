"""Needs register pages: needs (list, export, detail, add, edit, status actions, from an
assessment's gaps), regional needs (list, detail, group, edit, publish, members) and the
region's plan of needs (see cbnet/assessments/urls.py).

Every row comes through the permission door: drafts are seen by the administration's people,
its ROCB and the Secretariat; published needs by every signed-in user (partners included).
The answers behind a need are shown only to those who may view its assessment. Operations
are the services' (``cbnet.assessments.services.needs``); a refusal comes back as a message
(or a form error) and writes nothing.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from cbnet.assessments import needs_filters as filters
from cbnet.assessments import needs_forms as forms
from cbnet.assessments import needs_tables as tables
from cbnet.assessments.choices import NeedStatus, RegionalNeedStatus
from cbnet.assessments.models import Answer, Assessment, Need, RegionalNeed
from cbnet.assessments.services import needs as services
from cbnet.core import permissions
from cbnet.core.views import (
    BaseObjectView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    register_model_view,
    request_can,
)
from cbnet.core.views.registry import model_urls
from cbnet.directory.models import Region

NEED_QUERYSET = Need.objects.select_related("organisation__region", "area")


def _error_text(error):
    if isinstance(error, ValidationError):
        return " ".join(str(m) for m in error.messages)
    return str(error) or _("You may not do this.")


# --- needs ----------------------------------------------------------------------------


@register_model_view(Need, "list")
class NeedListView(ObjectListView):
    queryset = NEED_QUERYSET.defer("search_text", "description")
    filterset_class = filters.NeedFilter
    table_class = tables.NeedTable


@register_model_view(Need, "detail")
class NeedDetailView(ObjectDetailView):
    queryset = NEED_QUERYSET.select_related("organisation__subregion", "assessment__round")
    template_name = "assessments/need_detail.html"

    def get_extra_context(self, request, obj):
        user = request.user
        sees_assessment = (
            obj.assessment_id is not None
            and Assessment.objects.restrict(user, "view").filter(pk=obj.assessment_id).exists()
        )
        answers = []
        if sees_assessment:
            answers = list(
                Answer.objects.restrict(user, "view")
                .filter(needs=obj)
                .select_related("question")
                .order_by("question__position", "question__code")
            )
        can_change = request_can(request, "change", obj) and obj.archived_at is None
        speaks = services.answers_for(user, obj.organisation_id)
        oversees = services.oversees(user, obj.organisation)
        status_form = forms.NeedStatusForm(need=obj) if can_change and oversees else None
        if status_form is not None and not status_form.fields["status"].choices:
            status_form = None
        regional = (
            RegionalNeed.objects.restrict(user, "view")
            .filter(needs=obj)
            .select_related("region")
            .order_by("pk")
        )
        return {
            "sees_assessment": sees_assessment,
            "answers": answers,
            "support_labels": tables.support_labels(obj.support),
            "can_edit": can_change and obj.status in services.EDITABLE_NEED_STATUSES,
            "can_publish": can_change and speaks and obj.status == NeedStatus.DRAFT,
            "can_withdraw": can_change
            and speaks
            and obj.status not in (NeedStatus.MET, NeedStatus.WITHDRAWN),
            "status_form": status_form,
            "regional_needs": list(regional),
        }

    def object_context(self, request, obj, tab):
        context = super().object_context(request, obj, tab)
        # Content is edited while the need is a draft or published.
        context["can_change"] = context["can_change"] and (
            obj.status in services.EDITABLE_NEED_STATUSES
        )
        return context


@register_model_view(Need, "edit")
class NeedEditView(ObjectEditView):
    model = Need
    queryset = NEED_QUERYSET
    form_class = forms.NeedForm

    def get_instance(self, request, pk):
        instance = super().get_instance(request, pk)
        if pk is not None and instance.status not in services.EDITABLE_NEED_STATUSES:
            raise PermissionDenied(_("A need is edited only while it is a draft or published."))
        return instance


class NeedActionView(BaseObjectView):
    """POST only: a status change through the service, then back to the need's page."""

    model = Need
    queryset = NEED_QUERYSET

    def post(self, request, pk):
        obj = self.get_object(request, pk)  # 404 when not viewable
        try:
            message = self.apply(request, obj)
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied) and not permissions.can(
                request.user, "change", obj
            ):
                raise
            messages.error(request, _error_text(error))
        else:
            messages.success(request, message)
        return redirect(obj.get_absolute_url())


@register_model_view(Need, "publish")
class NeedPublishView(NeedActionView):
    def apply(self, request, obj):
        services.publish(obj, user=request.user, version=request.POST.get("version"))
        return _("Published: every signed-in user now sees this need.")


@register_model_view(Need, "withdraw")
class NeedWithdrawView(NeedActionView):
    def apply(self, request, obj):
        services.withdraw(obj, user=request.user, version=request.POST.get("version"))
        return _("Withdrawn.")


@register_model_view(Need, "set_status")
class NeedSetStatusView(NeedActionView):
    def apply(self, request, obj):
        form = forms.NeedStatusForm(request.POST, need=obj)
        if not form.is_valid():
            raise ValidationError(
                [str(e) for errors in form.errors.values() for e in errors] or _("Choose a status.")
            )
        services.set_need_status(
            obj,
            form.cleaned_data["status"],
            user=request.user,
            version=form.cleaned_data.get("version"),
        )
        return _("Status set to %(status)s.") % {"status": obj.get_status_display()}


class NeedsFromAssessmentView(BaseObjectView):
    """The validated assessment's gaps as proposed needs, edited then created together."""

    model = Need
    template_name = "assessments/need_from_assessment.html"

    def get_assessment(self, request, pk):
        assessment = get_object_or_404(
            Assessment.objects.restrict(request.user, "view").select_related(
                "organisation", "round"
            ),
            pk=pk,
        )
        return assessment

    def proposals(self, request, assessment):
        try:
            return services.propose_needs(assessment, user=request.user)
        except PermissionDenied:
            raise
        except ValidationError as error:
            messages.error(request, _error_text(error))
            return None

    def get(self, request, pk):
        assessment = self.get_assessment(request, pk)
        proposals = self.proposals(request, assessment)
        if proposals is None:
            return redirect(assessment.get_absolute_url())
        return self.render_page(request, assessment, proposals, forms.proposal_forms(proposals))

    def post(self, request, pk):
        assessment = self.get_assessment(request, pk)
        proposals = self.proposals(request, assessment)
        if proposals is None:
            return redirect(assessment.get_absolute_url())
        bound = forms.proposal_forms(proposals, request.POST)
        taken = [form for form in bound if form.is_valid() and form.cleaned_data["take"]]
        invalid = [form for form in bound if not form.is_valid() and form["take"].value()]
        if not invalid and not taken:
            messages.error(request, _("Choose at least one area to turn into a need."))
        elif not invalid:
            try:
                created = services.needs_from_assessment(
                    assessment, [form.selection() for form in taken], user=request.user
                )
            except ValidationError as error:
                by_area = {str(f.proposal["area"].code): f for f in taken}
                by_area.update({str(f.proposal["area"].pk): f for f in taken})
                for key, texts in getattr(error, "message_dict", {"": error.messages}).items():
                    form = by_area.get(key)
                    for text in texts:
                        if form is not None:
                            form.add_error(None, text)
                        else:
                            messages.error(request, text)
            else:
                messages.success(
                    request,
                    _("Created %(count)s draft needs: check them, then publish them.")
                    % {"count": len(created)},
                )
                url = (
                    f"{reverse('assessments:need_list')}?organisation={assessment.organisation_id}"
                )
                return redirect(url)
        return self.render_page(request, assessment, proposals, bound, status=200)

    def render_page(self, request, assessment, proposals, proposal_forms, status=200):
        context = self.base_context(
            request,
            assessment=assessment,
            proposals=proposals,
            rows=[(form.proposal, form) for form in proposal_forms],
            existing=[p for p in proposals if p["existing"] is not None],
        )
        return render(request, self.template_name, context, status=status)


# --- regional needs ---------------------------------------------------------------------


REGIONAL_QUERYSET = RegionalNeed.objects.select_related("region", "area")


@register_model_view(RegionalNeed, "list")
class RegionalNeedListView(ObjectListView):
    queryset = REGIONAL_QUERYSET.annotate(member_count=Count("needs"))
    filterset_class = filters.RegionalNeedFilter
    table_class = tables.RegionalNeedTable


def member_needs_prefetch(user):
    return Prefetch(
        "needs",
        queryset=Need.objects.restrict(user, "view")
        .select_related("organisation", "area")
        .order_by("organisation__name", "pk"),
        to_attr="member_needs",
    )


@register_model_view(RegionalNeed, "detail")
class RegionalNeedDetailView(ObjectDetailView):
    queryset = REGIONAL_QUERYSET
    template_name = "assessments/regionalneed_detail.html"

    def get_extra_context(self, request, obj):
        members = list(
            Need.objects.restrict(request.user, "view")
            .filter(regional_needs=obj)
            .select_related("organisation", "area")
            .order_by("organisation__name", "pk")
        )
        can_change = (
            request_can(request, "change", obj)
            and obj.archived_at is None
            and obj.status not in (RegionalNeedStatus.MET, RegionalNeedStatus.WITHDRAWN)
        )
        candidates = []
        if can_change:
            candidates = list(
                forms.groupable_needs(request.user, [obj.region_id]).exclude(
                    pk__in=[n.pk for n in members]
                )
            )
        return {
            "members": members,
            "can_manage": can_change,
            "can_publish": can_change and obj.status == RegionalNeedStatus.DRAFT,
            "candidates": candidates,
        }


@register_model_view(RegionalNeed, "add")
class RegionalNeedGroupView(BaseObjectView):
    """Group published needs of several members of the ROCB's region."""

    model = RegionalNeed
    template_name = "assessments/regionalneed_group.html"

    def check(self, request):
        if not permissions.can(request.user, "add", RegionalNeed):
            raise PermissionDenied

    def get(self, request):
        self.check(request)
        initial = {}
        wanted = request.GET.getlist("needs")
        if wanted:
            initial["needs"] = [n for n in wanted if n.isdigit()]
        return self.render_form(request, forms.GroupNeedsForm(user=request.user, initial=initial))

    def post(self, request):
        self.check(request)
        form = forms.GroupNeedsForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                regional = services.group_needs(
                    data["region"],
                    list(data["needs"]),
                    title=data["title"],
                    description=data["description"],
                    area=data["area"],
                    priority=data["priority"],
                    user=request.user,
                )
            except (ValidationError, PermissionDenied) as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("Created %(object)s.") % {"object": regional})
                return redirect(regional.get_absolute_url())
        return self.render_form(request, form)

    def render_form(self, request, form):
        context = self.base_context(request, object=None, tab="edit", form=form)
        return render(request, self.template_name, context)


def _form_errors(form, error):
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for key, texts in error.message_dict.items():
            for text in texts:
                form.add_error(key if key in form.fields else None, text)
    else:
        form.add_error(None, _error_text(error))


@register_model_view(RegionalNeed, "edit")
class RegionalNeedEditView(ObjectEditView):
    model = RegionalNeed
    queryset = REGIONAL_QUERYSET
    form_class = forms.RegionalNeedForm

    def get_instance(self, request, pk):
        if pk is None:
            raise Http404  # regional needs are made by grouping (the add page)
        return super().get_instance(request, pk)


class RegionalNeedActionView(BaseObjectView):
    model = RegionalNeed
    queryset = REGIONAL_QUERYSET

    def post(self, request, pk):
        obj = self.get_object(request, pk, "change")
        try:
            message = self.apply(request, obj)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, message)
        return redirect(obj.get_absolute_url())

    def need_id(self, request):
        value = request.POST.get("need", "")
        if not value.isdigit():
            raise ValidationError(_("Choose a need."))
        return int(value)


@register_model_view(RegionalNeed, "publish")
class RegionalNeedPublishView(RegionalNeedActionView):
    def apply(self, request, obj):
        services.publish_regional_need(obj, user=request.user)
        return _("Published: the regional need is part of the region's plan of needs.")


@register_model_view(RegionalNeed, "add_need")
class RegionalNeedAddNeedView(RegionalNeedActionView):
    def apply(self, request, obj):
        services.add_to_regional_need(obj, self.need_id(request), user=request.user)
        return _("Need added.")


@register_model_view(RegionalNeed, "remove_need")
class RegionalNeedRemoveNeedView(RegionalNeedActionView):
    def apply(self, request, obj):
        services.remove_from_regional_need(obj, self.need_id(request), user=request.user)
        return _("Need removed.")


class RegionPlanView(BaseObjectView):
    """The region's plan of needs: its published regional needs and the members behind them."""

    model = RegionalNeed
    template_name = "assessments/regionalneed_plan.html"

    def get(self, request, region_pk):
        region = get_object_or_404(
            Region.objects.restrict(request.user, "view").filter(parent__isnull=True),
            pk=region_pk,
        )
        rows = list(
            services.region_plan(region, request.user)
            .prefetch_related(None)
            .prefetch_related(member_needs_prefetch(request.user))
        )
        context = self.base_context(request, region=region, rows=rows)
        return render(request, self.template_name, context)


urlpatterns = [
    *model_urls(Need, "needs"),
    path(
        "needs/from-assessment/<int:pk>/",
        NeedsFromAssessmentView.as_view(),
        name="need_from_assessment",
    ),
    *model_urls(RegionalNeed, "regional-needs"),
    path(
        "regional-needs/plan/<int:region_pk>/",
        RegionPlanView.as_view(),
        name="regionalneed_plan",
    ),
]

# Only POST for the status actions (model_urls wires them as views; GET answers 405).
for _view in (
    NeedPublishView,
    NeedWithdrawView,
    NeedSetStatusView,
    RegionalNeedPublishView,
    RegionalNeedAddNeedView,
    RegionalNeedRemoveNeedView,
):
    _view.http_method_names = ["post"]
