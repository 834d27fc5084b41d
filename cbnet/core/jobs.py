"""Background jobs: long work a user starts, runs in the task worker, and follows on a page.

A module runs work as a job in three steps (docs/tasks.md has the full example):

1. register the kind once, with a translated label: ``register_job_kind("import.apply",
   _("Import"))``;
2. write the work as a module-level function taking the job first and JSON-able keyword
   arguments; it reports ``job.progress(done, total)``, writes inside ``transaction.atomic``
   and returns the result payload (a dict: counts, ``url`` of what to look at next), or raises
   ``JobError`` with a message for the user;
3. start it from a view with ``job = start_job(request.user, "import.apply", function,
   token=...)`` and send the user to ``job.get_absolute_url()``.

The work runs in django-tasks (``TASKS`` in settings: the database backend, run by
``manage.py db_worker``) through one task, ``run_job``, which marks the job running, runs the
function in the language of whoever started it, and records the outcome: *succeeded* with the
returned payload, or *failed* with a message for the user (a ``JobError``'s, or a generic one
for an unexpected exception, whose traceback goes to the log). A job runs at most once.

Progress. ``job.progress(done, total)`` is cheap: it writes at most every
``PROGRESS_INTERVAL`` seconds (and at the end). Outside a transaction it updates the job row;
inside one (an import's all-or-nothing transaction) the row would stay invisible to the page
until the commit, so it writes a small side file under ``MEDIA_ROOT/jobs/`` instead, which
the page reads (``read_progress``) until the job finishes. The worker already shares
``MEDIA_ROOT`` with the web servers: it reads uploaded files from there.
"""

import json
import logging
import os
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django_tasks import task

from cbnet.core.models_jobs import FINISHED, Job, JobStatus

logger = logging.getLogger("cbnet.jobs")

PROGRESS_INTERVAL = 0.5  # seconds between two progress writes
RECENT_JOBS = 50

_KINDS = {}


class UnknownJobKindError(ValueError):
    pass


class JobError(Exception):
    """Raised by a job's work to fail with a message for the user (and an optional payload,
    e.g. the row-numbered reasons an import was refused)."""

    def __init__(self, message, result=None):
        super().__init__(str(message))
        self.message = str(message)
        self.result = result or {}


def register_job_kind(name, label):
    """Declare a kind of job and its translated label (what the pages show)."""
    _KINDS[name] = label


def job_label(name):
    return _KINDS.get(name, name)


def job_kinds():
    return dict(_KINDS)


def function_path(func):
    """The dotted path the worker imports ``func`` by; refuses what it could not import."""
    func = getattr(func, "func", func)  # a django-tasks Task: its function
    module, qualname = getattr(func, "__module__", None), getattr(func, "__qualname__", "")
    if not module or not qualname or "." in qualname or "<" in qualname:
        raise ValueError("A job's function must be a module-level function.")
    return f"{module}.{qualname}"


def start_job(user, kind, task_func, **kwargs):
    """Create a queued ``Job`` for ``user`` and enqueue its work; returns the job.

    ``task_func(job, **kwargs)`` runs in the worker; ``kwargs`` must be JSON values. The job
    remembers the current language: its messages are written in it.
    """
    if kind not in _KINDS:
        raise UnknownJobKindError(f"Unknown job kind {kind!r}: register_job_kind() it first.")
    path = function_path(task_func)
    job = Job.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        kind=kind,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        message=gettext("Waiting for a worker to start."),
    )
    task_result = run_job.enqueue(job.pk, path, kwargs)
    # The immediate backend has already run the work: update the id only.
    Job.objects.filter(pk=job.pk).update(task_result_id=str(task_result.id))
    job.refresh_from_db()
    return job


@task()
def run_job(job_id, function, kwargs):
    """The one django-tasks task: run a job's function and record its outcome."""
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), message=""
    )
    if not claimed:
        logger.warning("Job %s is not queued (already run, or gone): skipped.", job_id)
        return {"job": job_id, "skipped": True}
    job = Job.objects.get(pk=job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            work = import_string(function)
            result = work(job, **kwargs)
        except JobError as error:
            logger.info("Job %s (%s) failed: %s", job.pk, job.kind, error.message)
            _finish(job, JobStatus.FAILED, error=error.message, result=error.result)
        except Exception as error:
            logger.exception("Job %s (%s) failed unexpectedly", job.pk, job.kind)
            _finish(
                job,
                JobStatus.FAILED,
                error=gettext(
                    "The work stopped because of an unexpected error; nothing was saved. "
                    "The error has been logged for the administrators."
                ),
            )
            # Also fail the task, so the worker's records show the traceback.
            raise error
        else:
            _finish(job, JobStatus.SUCCEEDED, result=result or {})
    return {"job": job_id, "status": job.status}


def _finish(job, status, *, error="", result=None):
    done, total, message = read_progress(job)
    if status == JobStatus.SUCCEEDED and total:
        done = total
    job.status = status
    job.error = error
    job.result = result or {}
    job.done, job.total = done, total
    job.message = message if status == JobStatus.SUCCEEDED else ""
    job.finished_at = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=job.status,
        error=job.error,
        result=job.result,
        done=job.done,
        total=job.total,
        message=job.message,
        finished_at=job.finished_at,
    )
    _side_file(job.pk).unlink(missing_ok=True)


# --- progress -----------------------------------------------------------------------------


def _side_file(job_id):
    return Path(settings.MEDIA_ROOT) / "jobs" / f"{int(job_id)}.json"


def report_progress(job, done, total=None, message=None, *, force=False):
    """Record ``done`` of ``total`` (and a short message); throttled, see the module doc."""
    job.done = max(0, int(done))
    if total is not None:
        job.total = max(0, int(total))
    changed_message = message is not None and str(message) != job.message
    if message is not None:
        job.message = str(message)[:300]
    now = time.monotonic()
    last = getattr(job, "_progress_written_at", None)
    due = (
        force
        or changed_message
        or last is None
        or now - last >= PROGRESS_INTERVAL
        or (job.total and job.done >= job.total)
    )
    if not due:
        return
    job._progress_written_at = now
    if connection.in_atomic_block:
        _write_side_file(job)
    else:
        Job.objects.filter(pk=job.pk).update(done=job.done, total=job.total, message=job.message)


def _write_side_file(job):
    path = _side_file(job.pk)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(
        json.dumps({"done": job.done, "total": job.total, "message": job.message}),
        encoding="utf-8",
    )
    os.replace(temporary, path)


def read_progress(job):
    """(done, total, message) as the work reported it last."""
    if job.status not in FINISHED:
        try:
            data = json.loads(_side_file(job.pk).read_text(encoding="utf-8"))
            return int(data["done"]), int(data["total"]), str(data.get("message", ""))
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return job.done, job.total, job.message


def progress_of(job):
    """What the progress bar shows: done, total, percent (None when the total is unknown)."""
    done, total, message = read_progress(job)
    if job.status == JobStatus.SUCCEEDED:
        percent = 100
    elif total:
        percent = min(100, int(done * 100 / total))
    else:
        percent = None
    return {"done": done, "total": total, "percent": percent, "message": message}


def recent_jobs(user, limit=RECENT_JOBS):
    """The jobs ``user`` may see, newest first (their own; the Secretariat's: everyone's)."""
    return Job.objects.restrict(user, "view").select_related("user")[:limit]
