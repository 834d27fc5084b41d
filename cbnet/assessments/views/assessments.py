"""Assessment pages: the list, the fill-in page by section, review, evidence and sharing.

Every row comes through the permission door (``restrict``/``access_object``): an assessment
the user may not view answers 404; the workflow's own rules (who fills in, who reviews) are
checked by ``cbnet.assessments.services.workflow`` and come back as messages.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from cbnet.assessments import assessments_forms as sheet
from cbnet.assessments.assessments_filters import AssessmentFilter
from cbnet.assessments.assessments_tables import AssessmentTable, completeness_percent
from cbnet.assessments.choices import EDITABLE_STATUSES, AssessmentStatus
from cbnet.assessments.models import Answer, Assessment, AssessmentShare, Evidence, Question
from cbnet.assessments.services import workflow
from cbnet.core import permissions
from cbnet.core.models import StaleObjectError
from cbnet.core.views.generic import (
    BaseObjectView,
    ObjectHistoryView,
    ObjectListView,
    model_url,
    request_can,
)


def _question_count():
    return Subquery(
        Question.objects.filter(questionnaire_id=OuterRef("round__questionnaire_id"))
        .order_by()
        .values("questionnaire_id")
        .annotate(n=Count("pk"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


def with_completeness(queryset):
    """Annotate ``question_count`` and ``answered_count`` (one query for a whole list)."""
    answered = Subquery(
        Answer.objects.filter(assessment_id=OuterRef("pk"))
        .filter(Q(level__isnull=False) | Q(not_applicable=True) | ~Q(tfa_category=""))
        .order_by()
        .values("assessment_id")
        .annotate(n=Count("pk"))
        .values("n")[:1],
        output_field=IntegerField(),
    )
    return queryset.annotate(
        question_count=Coalesce(_question_count(), 0), answered_count=Coalesce(answered, 0)
    )


class AssessmentListView(ObjectListView):
    queryset = Assessment.objects.select_related("organisation", "round")
    filterset_class = AssessmentFilter
    table_class = AssessmentTable

    def get_queryset(self, request, action="view"):
        return with_completeness(super().get_queryset(request, action))


class AssessmentMixin(BaseObjectView):
    model = Assessment
    queryset = Assessment.objects.select_related(
        "organisation", "round__questionnaire__scale", "round__region"
    )

    def fail(self, request, obj, error):
        """Show a refused operation's reason as a message; back to the assessment."""
        for message in _messages(error):
            messages.error(request, message)
        return redirect(obj.get_absolute_url())


def _messages(error):
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return [
                (
                    f"{key}: {message}"
                    if key not in ("__all__", "file", "comment", "partner")
                    else message
                )
                for key, errors in error.message_dict.items()
                for message in errors
            ]
        return list(error.messages)
    return [str(error) or _("You may not do this.")]


class AssessmentDetailView(AssessmentMixin):
    """The fill-in page, one section at a time (``?section=<code>``); read-only for whoever
    may view but not fill in, or once the assessment is submitted."""

    template_name = "assessments/assessment_detail.html"

    def get(self, request, pk):
        obj = self.get_object(request, pk)
        return self.show(request, obj, request.GET.get("section"))

    def post(self, request, pk):
        obj = self.get_object(request, pk)
        section = request.POST.get("section") or None
        rows = self.rows(obj, section)
        if not workflow.may_fill_in(request.user, obj):
            raise PermissionDenied
        answers = sheet.posted_answers(rows, request.POST)
        try:
            workflow.save_answers(
                obj, answers, user=request.user, version=request.POST.get("version")
            )
        except StaleObjectError as error:
            return self.reshow(request, obj, section, rows, error.messages[0])
        except ValidationError as error:
            return self.reshow(request, obj, section, rows, None, error)
        except PermissionDenied as error:
            return self.fail(request, obj, error)
        messages.success(request, _("Your answers are saved."))
        target = request.POST.get("next_section") or section
        url = obj.get_absolute_url()
        return redirect(f"{url}?section={target}" if target else url)

    def reshow(self, request, obj, section, rows, message, error=None):
        """The section again with the user's input and the errors; nothing was saved."""
        for row in rows:
            row.values = sheet.posted_values(row, request.POST)
        general = [message] if message else []
        if error is not None:
            by_code = (
                error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            )
            codes = {row.question.code: row for row in rows}
            for key, errors in by_code.items():
                if key in codes:
                    codes[key].errors.extend(errors)
                else:
                    general.extend(errors)
            if not general:
                general.append(_("Some answers need correcting: nothing was saved."))
        return self.show(
            request, obj, section, rows=rows, errors=general, version=request.POST.get("version")
        )

    def rows(self, obj, section):
        sections = sheet.sections_of(obj.round.questionnaire)
        codes = [code for code, _title in sections]
        if section not in codes:
            section = codes[0] if codes else None
        scale = obj.round.questionnaire.scale
        levels = list(scale.levels.order_by("level")) if scale is not None else []
        return sheet.sheet_rows(obj, section, levels)

    def show(self, request, obj, section, rows=None, errors=None, version=None):
        questionnaire = obj.round.questionnaire
        sections = sheet.sections_of(questionnaire)
        codes = [code for code, _title in sections]
        if section not in codes:
            section = codes[0] if codes else None
        if rows is None:
            rows = self.rows(obj, section)
        index = codes.index(section) if section in codes else 0
        next_section = codes[index + 1] if index + 1 < len(codes) else ""
        actor = permissions.get_actor(request.user)
        fills_in = workflow.answers_for(actor, obj) and request_can(request, "change", obj)
        reviewer = workflow.reviews(actor, obj) and request_can(request, "change", obj)
        open_now = obj.round.is_open()
        editable = fills_in and obj.status in EDITABLE_STATUSES and open_now
        counts = obj.answers.aggregate(
            answered=Count(
                "pk", filter=Q(level__isnull=False) | Q(not_applicable=True) | ~Q(tfa_category="")
            )
        )
        obj.answered_count = counts["answered"]
        obj.question_count = questionnaire.questions.count()
        shares = []
        if obj.status == AssessmentStatus.VALIDATED:
            shares = list(
                AssessmentShare.objects.filter(assessment=obj, revoked_at__isnull=True)
                .select_related("partner")
                .order_by("created")
            )
        general_evidence = list(
            Evidence.objects.filter(assessment=obj, question__isnull=True).order_by("created")
        )
        context = self.object_context(request, obj, "details")
        context.update(
            edit_url=None,
            archive_url=None,
            can_delete=False,
            rows=rows,
            sections=sections,
            section=section,
            next_section=next_section,
            editable=editable,
            fills_in=fills_in,
            reviewer=reviewer,
            open_now=open_now,
            can_submit=editable and obj.status == AssessmentStatus.IN_PROGRESS,
            can_review=reviewer and obj.status == AssessmentStatus.SUBMITTED,
            can_share=fills_in and obj.status == AssessmentStatus.VALIDATED,
            shares=shares,
            general_evidence=general_evidence,
            completeness=completeness_percent(obj),
            errors=errors or [],
            version=version or obj.version,
            return_form=sheet.ReturnForm(),
            share_form=sheet.ShareForm() if fills_in else None,
            tfa_categories=sheet.TFA_CATEGORIES,
            round_url=model_url(type(obj.round), "detail", obj.round_id),
        )
        # The scores and their chart (issue 4: "a chart on the assessment page").
        from cbnet.assessments.views.results import score_context

        context.update(score_context(obj, request.user))
        return render(request, self.template_name, context, status=200)


class AssessmentSubmitView(AssessmentMixin):
    """GET: a confirmation page (completeness, unanswered questions). POST: submit."""

    template_name = "assessments/assessment_submit.html"

    def get(self, request, pk):
        obj = self.get_object(request, pk, "change")
        if not workflow.may_fill_in(request.user, obj):
            raise PermissionDenied
        obj = (
            with_completeness(Assessment.objects.filter(pk=obj.pk))
            .select_related("organisation", "round")
            .get()
        )
        context = self.object_context(request, obj, "details")
        context.update(
            edit_url=None,
            archive_url=None,
            can_delete=False,
            completeness=completeness_percent(obj),
            unanswered=obj.question_count - obj.answered_count,
        )
        return render(request, self.template_name, context)

    def post(self, request, pk):
        obj = self.get_object(request, pk, "change")
        try:
            workflow.submit(obj, user=request.user, version=request.POST.get("version") or None)
        except (ValidationError, PermissionDenied) as error:
            return self.fail(request, obj, error)
        messages.success(request, _("The assessment is submitted to the ROCB."))
        return redirect(obj.get_absolute_url())


class AssessmentReturnView(AssessmentMixin):
    def post(self, request, pk):
        obj = self.get_object(request, pk, "change")
        try:
            workflow.return_assessment(
                obj,
                user=request.user,
                comment=request.POST.get("comment", ""),
                version=request.POST.get("version") or None,
            )
        except (ValidationError, PermissionDenied) as error:
            return self.fail(request, obj, error)
        messages.success(request, _("The assessment is returned to the administration."))
        return redirect(obj.get_absolute_url())


class AssessmentValidateView(AssessmentMixin):
    def post(self, request, pk):
        obj = self.get_object(request, pk, "change")
        try:
            workflow.validate(obj, user=request.user, version=request.POST.get("version") or None)
        except (ValidationError, PermissionDenied) as error:
            return self.fail(request, obj, error)
        messages.success(request, _("The assessment is validated."))
        return redirect(obj.get_absolute_url())


class AssessmentShareView(AssessmentMixin):
    def post(self, request, pk):
        obj = self.get_object(request, pk, "change")
        form = sheet.ShareForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a development partner."))
            return redirect(obj.get_absolute_url())
        try:
            workflow.share(obj, form.cleaned_data["partner"], user=request.user)
        except (ValidationError, PermissionDenied) as error:
            return self.fail(request, obj, error)
        messages.success(
            request,
            _("The assessment is shared with %(partner)s.")
            % {"partner": form.cleaned_data["partner"]},
        )
        return redirect(obj.get_absolute_url())


class AssessmentRevokeShareView(AssessmentMixin):
    def post(self, request, pk):
        obj = self.get_object(request, pk, "change")
        try:
            share_id = int(request.POST.get("share", ""))
        except ValueError:
            raise Http404 from None
        row = AssessmentShare.objects.filter(pk=share_id, assessment=obj).first()
        if row is None:
            raise Http404
        try:
            workflow.revoke_share(row, user=request.user)
        except (ValidationError, PermissionDenied) as error:
            return self.fail(request, obj, error)
        messages.success(
            request, _("%(partner)s no longer sees the assessment.") % {"partner": row.partner}
        )
        return redirect(obj.get_absolute_url())


class EvidenceAddView(AssessmentMixin):
    def post(self, request, pk):
        obj = self.get_object(request, pk, "change")
        question = None
        section = request.POST.get("section", "")
        question_id = request.POST.get("question") or None
        if question_id:
            question = Question.objects.filter(
                pk=question_id if str(question_id).isdigit() else 0,
                questionnaire_id=obj.round.questionnaire_id,
            ).first()
            if question is None:
                messages.error(request, _("That question is not in this assessment."))
                return redirect(obj.get_absolute_url())
        try:
            evidence = workflow.add_evidence(
                obj, request.FILES.get("file"), user=request.user, question=question
            )
        except (ValidationError, PermissionDenied) as error:
            return self.fail(request, obj, error)
        messages.success(request, _("Attached %(name)s.") % {"name": evidence.name})
        url = obj.get_absolute_url()
        return redirect(f"{url}?section={section}" if section else url)


def _evidence(request, pk, evidence_id):
    """The evidence row, if the user may view its assessment (404 otherwise)."""
    visible = permissions.restrict(Evidence.objects.all(), request.user, "view")
    row = visible.filter(pk=evidence_id, assessment_id=pk).select_related("assessment").first()
    if row is None:
        raise Http404
    return row


class EvidenceDownloadView(AssessmentMixin):
    """The file as an attachment (never shown inline), to whoever may view the assessment."""

    def get(self, request, pk, evidence_id):
        row = _evidence(request, pk, evidence_id)
        try:
            handle = row.file.open("rb")
        except (FileNotFoundError, OSError):
            raise Http404 from None
        response = FileResponse(
            handle, as_attachment=True, filename=row.name, content_type="application/octet-stream"
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


class EvidenceRemoveView(AssessmentMixin):
    def post(self, request, pk, evidence_id):
        row = _evidence(request, pk, evidence_id)
        try:
            workflow.remove_evidence(row, user=request.user)
        except (ValidationError, PermissionDenied) as error:
            return self.fail(request, row.assessment, error)
        messages.success(request, _("Removed %(name)s.") % {"name": row.name})
        return redirect(row.assessment.get_absolute_url())


class AssessmentHistoryView(ObjectHistoryView):
    model = Assessment

    def object_context(self, request, obj, tab):
        context = super().object_context(request, obj, tab)
        context.update(edit_url=None, archive_url=None, can_delete=False)
        return context


def evidence_url(evidence):
    return reverse("assessments:assessment_evidence", args=[evidence.assessment_id, evidence.pk])


urlpatterns = [
    path("assessments/", AssessmentListView.as_view(), name="assessment_list"),
    path(
        "assessments/export/",
        AssessmentListView.as_view(action="export"),
        name="assessment_export",
    ),
    path("assessments/<int:pk>/", AssessmentDetailView.as_view(), name="assessment_detail"),
    path(
        "assessments/<int:pk>/history/",
        AssessmentHistoryView.as_view(),
        name="assessment_history",
    ),
    path("assessments/<int:pk>/submit/", AssessmentSubmitView.as_view(), name="assessment_submit"),
    path("assessments/<int:pk>/return/", AssessmentReturnView.as_view(), name="assessment_return"),
    path(
        "assessments/<int:pk>/validate/",
        AssessmentValidateView.as_view(),
        name="assessment_validate",
    ),
    path("assessments/<int:pk>/share/", AssessmentShareView.as_view(), name="assessment_share"),
    path(
        "assessments/<int:pk>/revoke-share/",
        AssessmentRevokeShareView.as_view(),
        name="assessment_revoke_share",
    ),
    path(
        "assessments/<int:pk>/evidence/",
        EvidenceAddView.as_view(),
        name="assessment_evidence_add",
    ),
    path(
        "assessments/<int:pk>/evidence/<int:evidence_id>/",
        EvidenceDownloadView.as_view(),
        name="assessment_evidence",
    ),
    path(
        "assessments/<int:pk>/evidence/<int:evidence_id>/remove/",
        EvidenceRemoveView.as_view(),
        name="assessment_evidence_remove",
    ),
]
