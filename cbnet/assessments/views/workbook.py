"""The offline workbook of an assessment: download (XLSX), upload, preview, apply.

- ``assessments:assessment_workbook`` (GET): the workbook, for whoever may view the
  assessment (404 otherwise), in the reader's language.
- ``assessments:assessment_workbook_upload``: GET the upload form; POST ``step=preview``
  with the file checks it and shows what would change (nothing written; the file is kept on
  the server under a signed token, like the core import preview); POST ``step=apply`` with
  the token applies it all or nothing through ``workflow.save_answers``. Only the people who
  fill in the assessment (403 for other viewers) and only while it can change.

See cbnet/assessments/workbook.py and docs/assessments.md ("Offline workbook").
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from cbnet.assessments import workbook
from cbnet.assessments.models import Assessment
from cbnet.assessments.services import workflow
from cbnet.assessments.views.assessments import AssessmentMixin
from cbnet.assessments.workbook_forms import WorkbookApplyForm, WorkbookUploadForm
from cbnet.core import importing
from cbnet.core.models import StaleObjectError


class WorkbookDownloadView(AssessmentMixin):
    def get(self, request, pk):
        obj = self.get_object(request, pk)
        body = workbook.build_workbook(obj)
        response = HttpResponse(body, content_type=workbook.CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(
            True, workbook.workbook_filename(obj)
        )
        response["Cache-Control"] = "private, no-store"
        return response


class WorkbookUploadView(AssessmentMixin):
    template_name = "assessments/workbook_upload.html"
    preview_template_name = "assessments/workbook_preview.html"

    def check_rights(self, request, pk):
        obj = self.get_object(request, pk)
        if not workflow.may_fill_in(request.user, obj):
            raise PermissionDenied
        return obj

    def context(self, request, obj, **extra):
        context = self.object_context(request, obj, "details")
        context.update(
            edit_url=None,
            archive_url=None,
            can_delete=False,
            download_url=reverse("assessments:assessment_workbook", args=[obj.pk]),
            upload_url=reverse("assessments:assessment_workbook_upload", args=[obj.pk]),
            **extra,
        )
        return context

    def get(self, request, pk):
        obj = self.check_rights(request, pk)
        return self.page(request, obj, WorkbookUploadForm())

    def page(self, request, obj, form, errors=(), status=200):
        problem = workbook.editable_problem(obj)
        context = self.context(
            request, obj, form=form, errors=list(errors), closed=problem, max_mb=_max_mb()
        )
        return render(request, self.template_name, context, status=status)

    def post(self, request, pk):
        obj = self.check_rights(request, pk)
        problem = workbook.editable_problem(obj)
        if problem:
            return self.page(request, obj, WorkbookUploadForm(), [problem], status=400)
        if request.POST.get("step") == "apply":
            return self.apply(request, obj)
        form = WorkbookUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.page(request, obj, form, status=400)
        upload = form.cleaned_data["file"]
        if upload.size > importing.settings.CBNET_MAX_UPLOAD_BYTES:
            message = _("The file is larger than %(size)s MB.") % {"size": _max_mb()}
            return self.page(request, obj, form, [message], status=400)
        data = upload.read()
        try:
            check = workbook.check_workbook(obj, data, upload.name, user=request.user)
        except workbook.WorkbookError as error:
            return self.page(request, obj, WorkbookUploadForm(), error.messages, status=400)
        token = ""
        if check.ok and check.answers:
            token = importing.store_upload(
                data, upload.name, user=request.user, model=Assessment, decimal=""
            )
        return self.preview(request, obj, check, upload.name, token)

    def preview(self, request, obj, check, filename, token, errors=(), status=200):
        context = self.context(
            request,
            obj,
            check=check,
            counts=check.counts,
            filename=filename,
            token=token,
            apply_form=WorkbookApplyForm(initial={"token": token}),
            errors=list(errors),
        )
        return render(request, self.preview_template_name, context, status=status)

    def apply(self, request, obj):
        form = WorkbookApplyForm(request.POST)
        token = request.POST.get("token", "")
        try:
            data, filename, _decimal = importing.load_upload(
                token, user=request.user, model=Assessment
            )
        except importing.ImportFileError as error:
            return self.page(request, obj, WorkbookUploadForm(), [str(error)], status=400)
        accept = form.is_valid() and form.cleaned_data["accept_conflicts"]
        try:
            check = workbook.apply_workbook(
                obj, data, filename, user=request.user, accept_conflicts=accept
            )
        except workbook.WorkbookError as error:
            importing.discard_upload(token)
            return self.page(request, obj, WorkbookUploadForm(), error.messages, status=400)
        except workbook.ConflictsError as error:
            message = _(
                "Some questions were changed both by someone else and in your workbook: "
                "confirm that you apply your other changes and keep theirs for those."
            )
            return self.preview(request, obj, error.check, filename, token, [message], 400)
        except StaleObjectError:
            check = workbook.check_workbook(obj, data, filename, user=request.user)
            message = _(
                "The assessment changed again while you were applying: nothing was saved. "
                "Check the preview below and apply again."
            )
            return self.preview(request, obj, check, filename, token, [message], 409)
        except (ValidationError, PermissionDenied) as error:
            importing.discard_upload(token)
            messages_ = getattr(error, "messages", None) or [str(error)]
            return self.page(request, obj, WorkbookUploadForm(), messages_, status=400)
        importing.discard_upload(token)
        messages.success(
            request,
            _("Applied %(name)s: %(count)s answers changed.")
            % {"name": filename, "count": len(check.answers)},
        )
        return redirect(obj.get_absolute_url())


def _max_mb():
    return importing.settings.CBNET_MAX_UPLOAD_BYTES // (1024 * 1024)


urlpatterns = [
    path(
        "assessments/<int:pk>/workbook/",
        WorkbookDownloadView.as_view(),
        name="assessment_workbook",
    ),
    path(
        "assessments/<int:pk>/workbook/upload/",
        WorkbookUploadView.as_view(),
        name="assessment_workbook_upload",
    ),
]
