"""Assessment round pages: list (and export), detail, open a round, edit its name, extend its
due date, add administrations (see cbnet/assessments/urls.py).

Rounds are not confidential: every signed-in user may read a round's page. Its assessments
are, so the round page lists only the assessments the reader may view, through the
permission door (``Assessment.objects.restrict(user, "view")``): the region's ROCB officers
and the Secretariat see every administration's status and completeness; an administration's
NCPs and head see their own row and, of the other members, only how many take part; a
partner sees the validated assessments shared with it. Opening and changing a round is for
the region's ROCB officers and the Secretariat (``RoundPolicy``,
``cbnet.assessments.services.rounds``).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from cbnet.assessments import rounds_filters as filters
from cbnet.assessments import rounds_forms as forms
from cbnet.assessments import rounds_tables as tables
from cbnet.assessments.assessments_tables import completeness_percent
from cbnet.assessments.choices import AssessmentStatus
from cbnet.assessments.models import Assessment, Round
from cbnet.assessments.services import rounds as services
from cbnet.core import permissions
from cbnet.core.models import StaleObjectError
from cbnet.core.views import (
    BaseObjectView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    register_model_view,
    request_can,
)
from cbnet.core.views.registry import model_urls

ROUND_QUERYSET = Round.objects.select_related("questionnaire", "region", "subregion")


def form_errors(form, error):
    """Put a service's ValidationError on the form's fields (unknown keys: the whole form)."""
    if hasattr(error, "error_dict"):
        for key, messages_ in error.message_dict.items():
            field = key if key in form.fields else None
            for message in messages_:
                form.add_error(field, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def viewer_time_zone(user):
    """The reader's time zone: their organisation's, else the site's."""
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    organisation_id = getattr(person, "organisation_id", None)
    if organisation_id:
        from cbnet.directory.models import Organisation

        name = (
            Organisation.objects.filter(pk=organisation_id)
            .values_list("time_zone", flat=True)
            .first()
        )
        if services.zone_of(name):
            return name
    return timezone.get_current_timezone_name()


@register_model_view(Round, "list")
class RoundListView(ObjectListView):
    queryset = ROUND_QUERYSET.annotate(assessment_count=Count("assessments"))
    filterset_class = filters.RoundFilter
    table_class = tables.RoundTable


@register_model_view(Round, "detail")
class RoundDetailView(ObjectDetailView):
    queryset = ROUND_QUERYSET
    template_name = "assessments/round_detail.html"

    def get_extra_context(self, request, obj):
        from cbnet.assessments.views.assessments import with_completeness

        rows = list(
            with_completeness(Assessment.objects.restrict(request.user, "view").filter(round=obj))
            .select_related("organisation")
            .order_by("organisation__name", "pk")
        )
        for row in rows:
            row.percent = completeness_percent(row)
        total = obj.assessments.count()
        by_status = {}
        for row in rows:
            by_status[row.status] = by_status.get(row.status, 0) + 1
        summary = [
            (label, by_status.get(value, 0))
            for value, label in AssessmentStatus.choices
            if by_status.get(value)
        ]
        actor = permissions.get_actor(request.user)
        sees_all = actor.is_secretariat or request_can(request, "change", obj)
        viewer_zone = viewer_time_zone(request.user)
        closes_at = obj.closes_at
        can_change = request_can(request, "change", obj) and obj.archived_at is None
        status = services.round_status(obj)
        return {
            "rows": rows,
            "total": total,
            "hidden_count": total - len(rows),
            "summary": summary,
            "sees_all": sees_all,
            "status": status,
            "status_label": dict(services.ROUND_STATUS_CHOICES)[status],
            "closes_at": closes_at,
            "viewer_zone": viewer_zone,
            "question_count": rows[0].question_count
            if rows
            else obj.questionnaire.questions.count(),
            "can_extend": can_change,
            "can_add_administrations": can_change and status != services.CLOSED,
            "extend_form": forms.RoundExtendForm(round_=obj) if can_change else None,
        }


@register_model_view(Round, "add")
class RoundOpenView(BaseObjectView):
    """Open a round (``services.rounds.open_round``): ROCB officers and the Secretariat."""

    model = Round
    template_name = "assessments/round_open.html"

    def check(self, request):
        if not permissions.can(request.user, "add", Round):
            raise PermissionDenied

    def get(self, request):
        self.check(request)
        return self.render_form(request, forms.RoundOpenForm(user=request.user))

    def post(self, request):
        self.check(request)
        form = forms.RoundOpenForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                round_ = services.open_round(
                    name=data["name"],
                    questionnaire=data["questionnaire"],
                    region=data["region"],
                    subregion=data["subregion"],
                    organisations=list(data["organisations"]) or None,
                    opens_on=data["opens_on"],
                    due_on=data["due_on"],
                    time_zone=data["time_zone"] or None,
                    instructions=data["instructions"],
                    user=request.user,
                )
            except ValidationError as error:
                form_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error) or _("You may not open this round."))
            else:
                messages.success(
                    request,
                    _("Opened %(round)s for %(count)s administrations.")
                    % {"round": round_, "count": round_.assessments.count()},
                )
                return redirect(round_.get_absolute_url())
        return self.render_form(request, form)

    def render_form(self, request, form):
        context = self.base_context(request, object=None, tab="edit", form=form)
        return render(request, self.template_name, context)


@register_model_view(Round, "edit")
class RoundEditView(ObjectEditView):
    """The round's name and instructions (the generic edit page)."""

    model = Round
    queryset = ROUND_QUERYSET
    form_class = forms.RoundForm


class RoundActionView(BaseObjectView):
    """A form about one round, for those who may change it (403 otherwise, 404 if unseen)."""

    model = Round
    queryset = ROUND_QUERYSET
    form_class = None
    template_name = "assessments/round_action.html"
    title = ""

    def get_form(self, obj, data=None):
        raise NotImplementedError

    def get(self, request, pk):
        obj = self.get_object(request, pk, "change")
        return self.render_form(request, obj, self.get_form(obj))

    def post(self, request, pk):
        obj = self.get_object(request, pk, "change")
        form = self.get_form(obj, request.POST)
        if form.is_valid():
            try:
                self.apply(request, obj, form.cleaned_data)
            except StaleObjectError as error:
                form.add_error(None, error.messages[0])
            except ValidationError as error:
                form_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error) or _("You may not change this round."))
            else:
                return redirect(obj.get_absolute_url())
        return self.render_form(request, obj, form)

    def render_form(self, request, obj, form):
        context = self.object_context(request, obj, "details")
        context.update(form=form, title=self.title, cancel_url=obj.get_absolute_url())
        return render(request, self.template_name, context)


@register_model_view(Round, "extend")
class RoundExtendView(RoundActionView):
    title = _("Extend the due date")

    def get_form(self, obj, data=None):
        return forms.RoundExtendForm(data, round_=obj)

    def apply(self, request, obj, data):
        services.extend_round(obj, data["due_on"], user=request.user, version=data.get("version"))
        messages.success(
            request,
            _("The round now closes at 23:59 on %(date)s (%(zone)s).")
            % {"date": data["due_on"].isoformat(), "zone": obj.time_zone},
        )


@register_model_view(Round, "add_administrations")
class RoundAddAdministrationsView(RoundActionView):
    title = _("Add administrations")

    def get_form(self, obj, data=None):
        return forms.RoundAddAdministrationsForm(data, round_=obj)

    def apply(self, request, obj, data):
        created = services.add_administrations(obj, list(data["organisations"]), user=request.user)
        messages.success(
            request, _("Added %(count)s administrations to the round.") % {"count": len(created)}
        )


urlpatterns = [*model_urls(Round, "rounds")]
