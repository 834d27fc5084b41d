"""A large import in Chromium: upload an XLSX, follow the job's progress to the preview, apply
(a job too), read the outcome and find the imported people in the list.

The live server runs in a thread of the test process; a django-tasks database worker
(``db_worker``'s own ``Worker`` loop) runs in another thread against the same test database,
as ``manage.py db_worker`` does beside the web server in production. PostgreSQL leg only.
"""

import io
import re
import threading

import pytest
from django.db import connections
from django_tasks_db.management.commands.db_worker import Worker
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from cbnet.core.models import Job
from cbnet.core.testing import factories as f
from cbnet.directory.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT_MS = 20_000
ROWS = 120


@pytest.fixture
def page(page: Page):
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return page


@pytest.fixture
def worker():
    """The database task worker, polling every 0.1 s in a thread until the test ends."""
    loop = Worker(
        queue_names=["default"],
        interval=0.1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="browser-test-worker",
        excluded_queue_names=[],
    )

    def run():
        try:
            loop.run()
        finally:
            connections.close_all()  # the thread's own connection, before the test DB goes

    thread = threading.Thread(target=run, name="db-worker", daemon=True)
    thread.start()
    yield loop
    loop.running = False
    thread.join(timeout=10)
    assert not thread.is_alive(), "the worker thread did not stop"


@pytest.fixture
def net(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CBNET_IMPORT_INLINE_ROWS = 20  # the file below goes through the job path
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return f.network()


def people_xlsx(path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["given_name", "family_name", "organisation", "email", "phone"])
    for i in range(ROWS):
        sheet.append(["Imported", f"Person{i:03d}", "DNA", f"imported{i}@aduanas.gub.uy", i])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_rocb_officer_imports_people_from_a_large_xlsx_through_jobs(
    page, live_server, net, worker, tmp_path
):
    upload = people_xlsx(tmp_path / "people.xlsx")
    page.goto(live_server.url + "/")
    page.fill("input[name=username]", "rocb.ams")
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("#user-menu")).to_contain_text("rocb.ams")

    # The people list, Import, choose the file, Preview.
    page.goto(live_server.url + "/directory/people/")
    page.get_by_role("link", name="Import").first.click()
    expect(page.locator("#import-form")).to_be_visible()
    page.set_input_files("#import-file", str(upload))
    page.locator("#import-form button[type=submit]").click()

    # The job page: a progress bar that follows the check, then on to the preview.
    expect(page).to_have_url(re.compile(r"/jobs/\d+/\?follow=1$"))
    expect(page.locator("h1")).to_contain_text("Import check (preview)")
    expect(page.locator("#job-progress .progress")).to_be_visible()
    page.screenshot(path=tmp_path / "01-preview-job.png", full_page=True)
    preview_job = Job.objects.get(kind="import.preview")
    assert preview_job.user == net.users["rocb"]
    expect(page).to_have_url(re.compile(rf"/import/\?job={preview_job.pk}$"))
    expect(page.locator("#import-ready")).to_be_visible()
    expect(page.locator("#import-counts")).to_contain_text(f"{ROWS} to create")
    expect(page.locator("#import-rows tbody tr[data-action=create]")).to_have_count(ROWS)
    page.screenshot(path=tmp_path / "02-preview.png", full_page=True)
    assert not Person.objects.filter(given_name="Imported").exists()  # nothing written yet

    # Apply: another job; its page shows the progress, then the outcome.
    page.locator("#import-apply button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+/\?follow=1$"))
    expect(page.locator("h1")).to_contain_text("Import")
    expect(page.locator("#job-progress .progress")).to_be_visible()
    expect(page.locator("#job-outcome")).to_contain_text(
        f"Imported people.xlsx: {ROWS} created, 0 updated, 0 unchanged."
    )
    expect(page.locator("#job-status")).to_have_text("Succeeded")
    expect(page.locator("#job-progress [role=progressbar]")).to_have_attribute(
        "aria-valuenow", "100"
    )
    page.screenshot(path=tmp_path / "03-applied.png", full_page=True)
    assert Person.objects.filter(given_name="Imported").count() == ROWS

    # The outcome links to the list, where the imported people are.
    page.locator("#job-result-link").click()
    expect(page).to_have_url(re.compile(r"/directory/people/$"))
    page.goto(live_server.url + "/directory/people/?q=Person042")
    expect(page.get_by_role("link", name="Imported Person042")).to_be_visible()

    # The jobs page lists both jobs, succeeded.
    page.goto(live_server.url + "/jobs/")
    expect(page.locator("#jobs tbody tr[data-status=succeeded]")).to_have_count(2)
