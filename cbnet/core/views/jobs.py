"""The pages of background jobs: the user's recent jobs, one job's progress and outcome.

``/jobs/<id>/`` shows a progress bar that refreshes itself every second (htmx polls
``/jobs/<id>/progress/``, which stops answering with a poll once the job is finished) and then
the outcome. With ``?follow=1`` (where a view sends the user after starting a job), a job
whose result says ``follow`` (an import's preview) takes the user on to its result page when
it succeeds. Jobs come through the permission door: someone else's job answers 404.
"""

from django.shortcuts import render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from cbnet.core import import_jobs  # noqa: F401  (registers the import job kinds' labels)
from cbnet.core.jobs import progress_of, recent_jobs
from cbnet.core.models_jobs import Job
from cbnet.core.permissions import access_object


def job_list(request):
    jobs = list(recent_jobs(request.user))
    return render(request, "core/job_list.html", {"jobs": jobs})


def _context(request, job):
    follow = request.GET.get("follow") == "1"
    result = job.result if isinstance(job.result, dict) else {}
    goes_on = follow and job.succeeded and bool(result.get("follow")) and bool(result.get("url"))
    poll_url = reverse("job_progress", args=[job.pk]) + ("?follow=1" if follow else "")
    return {
        "job": job,
        "progress": progress_of(job),
        "result": result,
        "poll_url": poll_url,
        "polling": not job.is_finished,
        "goes_on": goes_on,
        "is_owner": job.user_id == request.user.pk,
    }


def job_detail(request, pk):
    job = access_object(Job, request.user, pk)
    return render(request, "core/job_detail.html", _context(request, job))


def job_progress(request, pk):
    """The progress fragment htmx swaps in; on a followed success, a redirect to the result."""
    job = access_object(Job, request.user, pk)
    context = _context(request, job)
    if context["goes_on"] and request.htmx:
        return HttpResponseClientRedirect(context["result"]["url"])
    return render(request, "core/job_progress.html", context)
