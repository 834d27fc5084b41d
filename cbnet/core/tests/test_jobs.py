"""Background jobs: start, progress, outcome, failure, who sees them, the pages, the worker."""

import io
import logging
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from openpyxl import Workbook

from cbnet.core import importing, jobs
from cbnet.core.jobs import JobError, register_job_kind, start_job
from cbnet.core.models import Job
from cbnet.core.models_jobs import JobStatus
from cbnet.core.testing import factories as f
from cbnet.directory.models import Person, Region

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

register_job_kind("test.count", "Counting")
register_job_kind("test.regions", "Adding regions")


# --- work functions (module level: the worker imports them by path) ------------------------


def count_to(job, *, n):
    for i in range(1, n + 1):
        job.progress(i, n, "Counting")
    return {"summary": f"Counted to {n}.", "url": "/somewhere/", "url_label": "Go"}


def add_regions(job, *, codes, fail_at=None, unexpected=False):
    """Writes regions in one transaction; fails before the one at ``fail_at``."""
    with transaction.atomic():
        for index, code in enumerate(codes):
            if index == fail_at:
                if unexpected:
                    raise ZeroDivisionError("boom")
                raise JobError(f"Region {code} cannot be added.", result={"row": index + 2})
            Region.objects.create(code=code, name=f"Region {code}")
            job.progress(index + 1, len(codes))
    return {"summary": "Added."}


@pytest.fixture
def net(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = IMMEDIATE
    return f.network()


# --- running -------------------------------------------------------------------------------


def test_job_runs_its_work_and_keeps_progress_and_result(net):
    user = net.users["ncp_uy"]
    job = start_job(user, "test.count", count_to, n=7)
    assert job.status == JobStatus.SUCCEEDED
    assert (job.done, job.total) == (7, 7)
    assert job.result == {"summary": "Counted to 7.", "url": "/somewhere/", "url_label": "Go"}
    assert job.user == user and job.kind == "test.count" and job.language == "en"
    assert job.task_result_id and job.started_at and job.finished_at and not job.error
    assert jobs.progress_of(job) == {"done": 7, "total": 7, "percent": 100, "message": "Counting"}


def test_unknown_kind_and_non_module_functions_are_refused(net):
    with pytest.raises(jobs.UnknownJobKindError):
        start_job(net.users["ncp_uy"], "test.nothing", count_to, n=1)
    with pytest.raises(ValueError):
        start_job(net.users["ncp_uy"], "test.count", lambda job: None)
    assert not Job.objects.exists()


def test_failure_halfway_writes_nothing_and_the_job_says_why(net):
    before = Region.objects.count()
    job = start_job(
        net.users["ncp_uy"], "test.regions", add_regions, codes=["X1", "X2", "X3"], fail_at=2
    )
    assert job.status == JobStatus.FAILED
    assert job.error == "Region X3 cannot be added."
    assert job.result == {"row": 4}
    assert Region.objects.count() == before  # X1 and X2 were rolled back
    assert not Region.objects.filter(code__in=["X1", "X2"]).exists()


def test_unexpected_exception_fails_the_job_logs_it_and_no_page_500s(net, client, caplog):
    user = net.users["ncp_uy"]
    with caplog.at_level(logging.ERROR, logger="cbnet.jobs"):
        job = start_job(
            user, "test.regions", add_regions, codes=["Y1", "Y2"], fail_at=1, unexpected=True
        )
    assert job.status == JobStatus.FAILED
    assert "unexpected error" in job.error and "boom" not in job.error
    assert not Region.objects.filter(code="Y1").exists()
    record = next(r for r in caplog.records if r.name == "cbnet.jobs")
    assert "ZeroDivisionError" in record.exc_text
    client.force_login(user)
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200 and job.error in page.content.decode()
    assert client.get(reverse("job_list")).status_code == 200


def test_a_job_runs_at_most_once(net):
    job = start_job(net.users["ncp_uy"], "test.regions", add_regions, codes=["Z1"])
    assert Region.objects.filter(code="Z1").count() == 1
    outcome = jobs.run_job.call(job.pk, "cbnet.core.tests.test_jobs.add_regions", {"codes": ["Z1"]})
    assert outcome["skipped"] and Region.objects.filter(code="Z1").count() == 1


def test_messages_are_written_in_the_language_of_whoever_started_it(net):
    from django.utils import translation

    with translation.override("es"):
        job = start_job(
            net.users["ncp_uy"],
            "test.regions",
            add_regions,
            codes=["W1"],
            fail_at=0,
            unexpected=True,
        )
    assert job.language == "es"
    with translation.override("es"):
        from django.utils.translation import gettext

        expected = gettext(
            "The work stopped because of an unexpected error; nothing was saved. "
            "The error has been logged for the administrators."
        )
    assert job.error == expected


# --- progress ------------------------------------------------------------------------------


def test_progress_inside_a_transaction_goes_to_the_side_file_throttled(net, monkeypatch):
    job = Job.objects.create(user=net.users["ncp_uy"], kind="test.count", status="running")
    clock = [100.0]
    monkeypatch.setattr(jobs.time, "monotonic", lambda: clock[0])
    with transaction.atomic():
        job.progress(1, 10, "Reading")
        assert jobs.read_progress(Job.objects.get(pk=job.pk)) == (1, 10, "Reading")
        job.progress(2, 10)  # 0 s later, same message: not written
        assert jobs.read_progress(Job.objects.get(pk=job.pk))[0] == 1
        clock[0] += jobs.PROGRESS_INTERVAL
        job.progress(3, 10)
        assert jobs.read_progress(Job.objects.get(pk=job.pk))[0] == 3
        job.progress(10, 10)  # the end is always written
        assert jobs.read_progress(Job.objects.get(pk=job.pk))[0] == 10
    stored = Job.objects.get(pk=job.pk)
    assert (stored.done, stored.total) == (0, 0)  # the row is not touched inside a transaction
    assert jobs.progress_of(stored)["percent"] == 100


@pytest.mark.django_db(transaction=True)
def test_progress_outside_a_transaction_updates_the_row(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user = f.network().users["ncp_uy"]
    job = Job.objects.create(user=user, kind="test.count", status="running")
    job.progress(4, 8, "Halfway")
    stored = Job.objects.get(pk=job.pk)
    assert (stored.done, stored.total, stored.message) == (4, 8, "Halfway")
    assert jobs.progress_of(stored)["percent"] == 50
    assert not (tmp_path / "jobs").exists()


# --- the real database backend and its worker -----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_database_backend_queues_and_the_worker_runs_it(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    user = f.network().users["ncp_uy"]
    job = start_job(user, "test.regions", add_regions, codes=["Q1", "Q2"])
    assert job.status == JobStatus.QUEUED
    assert DBTaskResult.objects.get(id=job.task_result_id).status == "READY"
    assert not Region.objects.filter(code="Q1").exists()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and (job.done, job.total) == (2, 2)
    assert Region.objects.filter(code__in=["Q1", "Q2"]).count() == 2
    assert DBTaskResult.objects.get(id=job.task_result_id).status == "SUCCESSFUL"
    # An unexpected failure: the job says so, the task keeps the traceback.
    failing = start_job(user, "test.regions", add_regions, codes=["Q3"], fail_at=0, unexpected=True)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    failing.refresh_from_db()
    assert failing.status == JobStatus.FAILED and "unexpected error" in failing.error
    task = DBTaskResult.objects.get(id=failing.task_result_id)
    assert task.status == "FAILED" and "ZeroDivisionError" in task.traceback


# --- who sees a job; the pages ---------------------------------------------------------------


def test_only_the_starter_and_the_secretariat_see_a_job(net, client):
    job = start_job(net.users["ncp_uy"], "test.count", count_to, n=3)
    url = job.get_absolute_url()
    for name, status in (("ncp_uy", 200), ("secretariat", 200), ("ncp_br", 404), ("rocb", 404)):
        client.force_login(net.users[name])
        assert client.get(url).status_code == status, name
        assert client.get(reverse("job_progress", args=[job.pk])).status_code == status, name
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    assert client.get("/jobs/999999/").status_code == 302
    client.force_login(net.users["ncp_uy"])
    assert client.get("/jobs/999999/").status_code == 404


def test_job_list_shows_own_jobs_and_the_secretariat_everyones(net, client):
    mine = start_job(net.users["ncp_uy"], "test.count", count_to, n=1)
    theirs = start_job(net.users["ncp_br"], "test.count", count_to, n=1)
    client.force_login(net.users["ncp_uy"])
    page = client.get(reverse("job_list")).content.decode()
    assert mine.get_absolute_url() in page and theirs.get_absolute_url() not in page
    client.force_login(net.users["secretariat"])
    page = client.get(reverse("job_list")).content.decode()
    assert mine.get_absolute_url() in page and theirs.get_absolute_url() in page
    # The query count does not grow with the jobs listed.
    few = _queries(client, reverse("job_list"))
    for _ in range(5):
        start_job(net.users["ncp_br"], "test.count", count_to, n=1)
    assert _queries(client, reverse("job_list")) == few


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_progress_fragment_polls_until_finished(net, client):
    user = net.users["ncp_uy"]
    client.force_login(user)
    running = Job.objects.create(user=user, kind="test.count", status="running", done=3, total=12)
    page = client.get(running.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'aria-valuenow="25"' in page
    assert "3 of 12 done" in page
    fragment = client.get(reverse("job_progress", args=[running.pk]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in fragment.content.decode()
    done = start_job(user, "test.count", count_to, n=2)
    fragment = client.get(reverse("job_progress", args=[done.pk]), HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "hx-get" not in body and "Counted to 2." in body and 'href="/somewhere/"' in body
    unknown_total = Job.objects.create(user=user, kind="test.count", status="queued")
    page = client.get(unknown_total.get_absolute_url()).content.decode()
    assert "progress-bar-striped" in page and "aria-valuenow" not in page


def test_followed_job_whose_result_says_follow_redirects_when_done(net, client):
    user = net.users["ncp_uy"]
    client.force_login(user)
    job = Job.objects.create(
        user=user,
        kind="test.count",
        status="succeeded",
        result={"url": "/next/", "follow": True, "summary": "Ready."},
    )
    page = client.get(job.get_absolute_url() + "?follow=1").content.decode()
    assert 'hx-trigger="load delay:1s"' in page  # one more poll, which redirects
    poll = reverse("job_progress", args=[job.pk]) + "?follow=1"
    assert client.get(poll, HTTP_HX_REQUEST="true")["HX-Redirect"] == "/next/"
    # Opened later from the jobs list (no follow): the outcome and its link, no redirect.
    page = client.get(job.get_absolute_url()).content.decode()
    assert "hx-get" not in page and 'href="/next/"' in page


# --- large imports as jobs -------------------------------------------------------------------

IMPORT_URL = "directory:person_import"
HEADER = ["given_name", "family_name", "organisation", "email", "phone"]


def xlsx(rows, name="people.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def people_rows(n, start=0):
    return [
        ["Eva", f"Mar{i}", "DNA", f"eva{i}@aduanas.gub.uy", ""] for i in range(start, start + n)
    ]


def job_from(response):
    match = re.fullmatch(r"/jobs/(\d+)/\?follow=1", response["Location"])
    assert match, response["Location"]
    return Job.objects.get(pk=int(match.group(1)))


@pytest.fixture
def big(net, settings):
    settings.CBNET_IMPORT_INLINE_ROWS = 3
    return net


def test_large_import_previews_then_applies_as_jobs(big, client):
    ncp = big.users["ncp_uy"]
    client.force_login(ncp)
    response = client.post(
        reverse(IMPORT_URL), {"file": xlsx([HEADER, *people_rows(5)]), "step": "preview"}
    )
    preview_job = job_from(response)
    assert preview_job.kind == "import.preview" and preview_job.status == JobStatus.SUCCEEDED
    assert (preview_job.done, preview_job.total) == (5, 5)
    assert not Person.objects.filter(family_name__startswith="Mar").exists()
    # The job page sends the user on to the preview.
    poll = reverse("job_progress", args=[preview_job.pk]) + "?follow=1"
    preview_url = client.get(poll, HTTP_HX_REQUEST="true")["HX-Redirect"]
    assert preview_url == reverse(IMPORT_URL) + f"?job={preview_job.pk}"
    page = client.get(preview_url)
    assert page.status_code == 200
    assert [o.action for o in page.context["result"].rows] == ["create"] * 5
    assert page.context["counts"]["create"] == 5
    token = page.context["token"]
    assert token and 'name="token"' in page.content.decode()
    # Apply: a job too, then its result page.
    response = client.post(reverse(IMPORT_URL), {"step": "apply", "token": token})
    apply_job = job_from(response)
    assert apply_job.kind == "import.apply" and apply_job.status == JobStatus.SUCCEEDED
    assert apply_job.result["counts"]["create"] == 5
    created = Person.objects.filter(family_name__startswith="Mar")
    assert created.count() == 5
    assert {p.history.first().history_user for p in created} == {ncp}
    page = client.get(apply_job.get_absolute_url()).content.decode()
    assert "Imported people.xlsx: 5 created, 0 updated, 0 unchanged." in page
    assert reverse("directory:person_list") in page
    assert not list((importing._upload_dir()).iterdir())  # the applied file is gone


def test_someone_elses_preview_job_is_404_and_the_secretariat_cannot_apply_it(big, client):
    client.force_login(big.users["ncp_uy"])
    response = client.post(
        reverse(IMPORT_URL), {"file": xlsx([HEADER, *people_rows(4)]), "step": "preview"}
    )
    job = job_from(response)
    url = reverse(IMPORT_URL) + f"?job={job.pk}"
    client.force_login(big.users["ncp_br"])
    assert client.get(url).status_code == 404
    client.force_login(big.users["secretariat"])
    page = client.get(url)
    assert page.status_code == 200 and page.context["token"] == ""
    assert 'name="token"' not in page.content.decode()
    # The job's preview belongs to the people import only.
    other = reverse("directory:organisation_import") + f"?job={job.pk}"
    assert client.get(other).status_code == 404
    assert client.get(reverse(IMPORT_URL) + "?job=abc").status_code == 404


def test_large_preview_with_errors_offers_no_apply(big, client):
    client.force_login(big.users["ncp_uy"])
    rows = [HEADER, *people_rows(4), ["Bad", "Row", "Nowhere", "bad@x.org", ""]]
    job = job_from(client.post(reverse(IMPORT_URL), {"file": xlsx(rows), "step": "preview"}))
    assert job.status == JobStatus.SUCCEEDED and job.result["counts"]["error"] == 1
    assert job.result["token"] == ""
    page = client.get(reverse(IMPORT_URL) + f"?job={job.pk}")
    assert (
        page.context["token"] == ""
        and [o.action for o in page.context["result"].rows][-1] == "error"
    )
    assert not list(importing._upload_dir().iterdir())  # nothing to apply: the file is gone


def test_apply_job_with_a_row_failing_writes_nothing_and_lists_the_reasons(big, client):
    client.force_login(big.users["ncp_uy"])
    rows = [HEADER, *people_rows(5)]
    job = job_from(client.post(reverse(IMPORT_URL), {"file": xlsx(rows), "step": "preview"}))
    token = job.result["token"]
    # Meanwhile someone records eva3@ in Brazil: row 5 would now change a record outside
    # what the NCP of Uruguay maintains.
    f.person("Eva", "Other", big.brazil, email="eva3@aduanas.gub.uy")
    apply_job = job_from(client.post(reverse(IMPORT_URL), {"step": "apply", "token": token}))
    assert apply_job.status == JobStatus.FAILED
    assert "Nothing was imported from people.xlsx" in apply_job.error
    assert apply_job.result["errors"] == [
        {"row": 5, "field": "", "message": "You may not change this record."}
    ]
    assert not Person.objects.filter(family_name__startswith="Mar").exists()
    page = client.get(apply_job.get_absolute_url()).content.decode()
    assert "You may not change this record." in page and "<td>5</td>" in page


def test_apply_job_with_an_unexpected_error_halfway_writes_nothing(big, client, monkeypatch):
    client.force_login(big.users["ncp_uy"])
    job = job_from(
        client.post(
            reverse(IMPORT_URL), {"file": xlsx([HEADER, *people_rows(5)]), "step": "preview"}
        )
    )
    original = importing._Importer.save
    calls = []

    def flaky(self, row, instance, outcome):
        calls.append(row.number)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return original(self, row, instance, outcome)

    monkeypatch.setattr(importing._Importer, "save", flaky)
    apply_job = job_from(
        client.post(reverse(IMPORT_URL), {"step": "apply", "token": job.result["token"]})
    )
    assert apply_job.status == JobStatus.FAILED and "unexpected error" in apply_job.error
    assert calls == [2, 3, 4]
    assert not Person.objects.filter(family_name__startswith="Mar").exists()
    assert client.get(apply_job.get_absolute_url()).status_code == 200


def test_running_preview_job_page_redirects_to_its_job(big, client):
    user = big.users["ncp_uy"]
    client.force_login(user)
    job = Job.objects.create(user=user, kind="import.preview", status="running", result={})
    # A preview that is not ready yet: its job page, not an error.
    job.result = {"model": "directory.person"}
    job.save()
    response = client.get(reverse(IMPORT_URL) + f"?job={job.pk}")
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
