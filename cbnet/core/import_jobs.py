"""Large imports as background jobs: the preview and the apply of ``cbnet.core.importing``.

A file with more than ``CBNET_IMPORT_INLINE_ROWS`` data rows (``importing.runs_as_job``) is
not checked while the user waits: the import page keeps it on the server (the same signed
token as the inline preview) and starts ``preview`` as a job; the job page shows the
progress, then sends the user to the preview (``{app}:{model}_import?job=<id>``). "Apply"
starts ``apply`` as a job: one transaction, all rows or none; a failing row fails the job
with the row-numbered reasons on the job's page. docs/import-export.md describes the flow.
"""

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cbnet.core import importing
from cbnet.core.jobs import JobError, function_path, register_job_kind, start_job

PREVIEW_KIND = "import.preview"
APPLY_KIND = "import.apply"
SHOWN_ROWS = 1000  # rows of a preview kept for its page; every error row is counted
SHOWN_ERRORS = 1000

register_job_kind(PREVIEW_KIND, _("Import check (preview)"))
register_job_kind(APPLY_KIND, _("Import"))


def start_preview(user, form_class, token):
    return start_job(user, PREVIEW_KIND, preview, form=function_path(form_class), token=token)


def start_apply(user, form_class, token):
    return start_job(user, APPLY_KIND, apply, form=function_path(form_class), token=token)


def _url(model, action):
    meta = model._meta
    return reverse(f"{meta.app_label}:{meta.model_name}_{action}")


def _read(job, form, token):
    """(form class, model, parsed file, decimal comma, file name) of the job's upload."""
    form_class = import_string(form)
    model = form_class._meta.model
    if job.user is None:
        raise JobError(gettext("The account that started this import no longer exists."))
    job.progress(0, 0, gettext("Reading the file"))
    try:
        data, filename, decimal = importing.load_upload(token, user=job.user, model=model)
        parsed = importing.read_file(data, filename)
    except importing.ImportFileError as error:
        raise JobError(str(error)) from None
    decimal_comma = importing.wants_decimal_comma(decimal, parsed)
    return form_class, model, parsed, decimal_comma, filename


def _run(job, form_class, parsed, decimal_comma, *, dry_run):
    message = gettext("Checking the rows") if dry_run else gettext("Importing the rows")
    job.progress(0, len(parsed.rows), message)
    try:
        return importing.import_rows(
            form_class,
            parsed.headers,
            parsed.rows,
            user=job.user,
            dry_run=dry_run,
            decimal_comma=decimal_comma,
            progress=job.progress,
        )
    except PermissionDenied:
        raise JobError(gettext("You may no longer import these records.")) from None


def preview(job, *, form, token):
    """Check every row (nothing is written) and keep the outcome for the preview page."""
    form_class, model, parsed, decimal_comma, filename = _read(job, form, token)
    result = _run(job, form_class, parsed, decimal_comma, dry_run=True)
    payload = result_payload(result)
    ready = result.ok and bool(result.count)
    if not ready:
        importing.discard_upload(token)
    counts = result.counts
    payload.update(
        model=model._meta.label_lower,
        filename=filename,
        token=token if ready else "",
        url=_url(model, "import") + f"?job={job.pk}",
        url_label=gettext("Open the preview"),
        follow=True,
        summary=gettext(
            "Checked %(name)s: %(create)s to create, %(update)s to update, "
            "%(unchanged)s unchanged, %(error)s with errors. Nothing has been saved yet."
        )
        % {"name": filename, **counts},
    )
    return payload


def apply(job, *, form, token):
    """Import every row in one transaction, or none; a failing row fails the job."""
    form_class, model, parsed, decimal_comma, filename = _read(job, form, token)
    result = _run(job, form_class, parsed, decimal_comma, dry_run=False)
    if not result.ok:
        payload = result_payload(result)
        payload.update(url=_url(model, "import"), url_label=gettext("Upload a file"))
        raise JobError(
            gettext(
                "Nothing was imported from %(name)s: %(count)s rows cannot be imported "
                "(the reasons are below). Correct the file and upload it again."
            )
            % {"name": filename, "count": payload["counts"]["error"] or 1},
            result=payload,
        )
    importing.discard_upload(token)
    counts = result.counts
    return {
        "counts": counts,
        "filename": filename,
        "url": _url(model, "list"),
        "url_label": gettext("Open the list"),
        "summary": gettext(
            "Imported %(name)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged."
        )
        % {
            "name": filename,
            "created": counts["create"],
            "updated": counts["update"],
            "unchanged": counts["unchanged"],
        },
    }


# --- a result as JSON (the job keeps it) and back (for the preview template) ---------------


def _error_json(error):
    return {"row": error.row, "field": str(error.field), "message": str(error.message)}


def _shown(outcomes):
    """The first ``SHOWN_ROWS`` rows, then the later rows with errors (capped)."""
    later_errors = [o for o in outcomes[SHOWN_ROWS:] if o.action == "error"]
    return outcomes[:SHOWN_ROWS] + later_errors[:SHOWN_ERRORS]


def result_payload(result):
    """The outcome of ``import_rows`` as JSON: counts, the first rows, every error (capped)."""
    rows = [
        {
            "row": outcome.row,
            "action": outcome.action,
            "record": str(outcome.record),
            "changes": [[str(label), str(old), str(new)] for label, old, new in outcome.changes],
            "errors": [_error_json(error) for error in outcome.errors],
        }
        for outcome in _shown(result.rows)
    ]
    return {
        "counts": result.counts,
        "rows": rows,
        "total_rows": len(result.rows),
        "errors": [_error_json(error) for error in result.errors[:SHOWN_ERRORS]],
        "total_errors": len(result.errors),
    }


def result_from_payload(payload):
    """An ``ImportResult`` the preview template renders (rows and errors; no records)."""
    result = importing.ImportResult(dry_run=True)
    result.rows = [
        importing.RowOutcome(
            row=row["row"],
            action=row["action"],
            record=row["record"],
            changes=[tuple(change) for change in row["changes"]],
            errors=[importing.RowError(**error) for error in row["errors"]],
        )
        for row in payload.get("rows", [])
    ]
    result.errors = [importing.RowError(**error) for error in payload.get("errors", [])]
    return result
