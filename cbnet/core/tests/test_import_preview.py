"""Import through the pages: preview (nothing written), apply all or nothing, updates."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from cbnet.core import importing
from cbnet.core.testing import factories as f
from cbnet.directory.models import Appointment, Person

URL = "directory:person_import"


@pytest.fixture
def net(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return f.network()


def csv_upload(rows, name="people.csv", delimiter=","):
    text = "\n".join(delimiter.join(cell for cell in row) for row in rows) + "\n"
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def xlsx_upload(rows, name="people.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def preview(client, upload, url=URL, **extra):
    return client.post(reverse(url), {"file": upload, "step": "preview", **extra})


def actions(response):
    return [(outcome.row, outcome.action) for outcome in response.context["result"].rows]


def stored_files(settings):
    folder = settings.MEDIA_ROOT / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def people(net):
    """Two people of Uruguay the NCP of Uruguay maintains."""
    ana = f.person("Ana", "Suárez", net.uruguay, email="ana@aduanas.gub.uy", phone="2900 1")
    rui = f.person("Rui", "Costa", net.uruguay, email="rui@aduanas.gub.uy")
    return ana, rui


HEADER = ["given_name", "family_name", "organisation", "email", "phone"]


def test_preview_reports_create_update_unchanged_and_writes_nothing(client, net, people, settings):
    ana, rui = people
    client.force_login(net.users["ncp_uy"])
    rows = [
        HEADER,
        ["Ana", "Suárez", "DNA", "ana@aduanas.gub.uy", "+598 2900 2"],  # e-mail matches
        ["Rui", "Costa", "DNA", "rui@aduanas.gub.uy", ""],  # same as stored: unchanged
        ["Eva", "Mar", "DNA", "eva@aduanas.gub.uy", ""],  # new
    ]
    before = (Person.objects.count(), ana.history.count())
    response = preview(client, csv_upload(rows))
    assert response.status_code == 200
    assert actions(response) == [(2, "update"), (3, "unchanged"), (4, "create")]
    update = response.context["result"].rows[0]
    assert update.changes == [("Office phone", "2900 1", "+598 2900 2")]
    page = response.content.decode()
    assert "2900 1" in page and "+598 2900 2" in page and 'name="token"' in page
    # Nothing was written, but the file waits on the server for "Apply".
    assert (Person.objects.count(), ana.history.count()) == before
    assert Person.objects.get(pk=ana.pk).phone == "2900 1"
    assert len(stored_files(settings)) == 1


def test_apply_after_preview_writes_everything_with_history(client, net, people, settings):
    ana, rui = people
    client.force_login(net.users["ncp_uy"])
    rows = [
        HEADER,
        ["Ana", "Suárez", "DNA", "ana@aduanas.gub.uy", "+598 2900 2"],
        ["Eva", "Mar", "DNA", "eva@aduanas.gub.uy", ""],
    ]
    token = preview(client, csv_upload(rows)).context["token"]
    response = client.post(reverse(URL), {"step": "apply", "token": token})
    assert response.status_code == 302
    ana.refresh_from_db()
    assert ana.phone == "+598 2900 2"
    assert ana.history.first().history_user == net.users["ncp_uy"]
    eva = Person.objects.get(email="eva@aduanas.gub.uy")
    assert eva.history.first().history_user == net.users["ncp_uy"]
    assert stored_files(settings) == []  # the kept file is gone once applied
    # The token cannot be replayed.
    response = client.post(reverse(URL), {"step": "apply", "token": token})
    assert response.status_code == 200 and response.context["file_error"]
    assert Person.objects.filter(email="eva@aduanas.gub.uy").count() == 1


def test_apply_is_all_or_nothing_when_data_changed_after_preview(client, net, people):
    ana, rui = people
    client.force_login(net.users["ncp_uy"])
    rows = [
        HEADER,
        ["Eva", "Mar", "DNA", "eva@aduanas.gub.uy", ""],
        ["Ana", "Suárez", "DNA", "ana@aduanas.gub.uy", "+598 2900 2"],
    ]
    response = preview(client, csv_upload(rows))
    assert actions(response) == [(2, "create"), (3, "update")]
    token = response.context["token"]
    # Meanwhile Ana moves to Brazil: the NCP of Uruguay may no longer change her row.
    ana.organisation = net.brazil
    ana.save()
    response = client.post(reverse(URL), {"step": "apply", "token": token})
    assert response.status_code == 200
    assert response.context["changed_meanwhile"]
    assert [(e.row, e.message) for e in response.context["result"].errors] == [
        (3, "You may not change this record.")
    ]
    assert not Person.objects.filter(email="eva@aduanas.gub.uy").exists()  # row 2 neither
    assert Person.objects.get(pk=ana.pk).phone == "2900 1"
    assert "Nothing was written" in response.content.decode()


def test_preview_with_errors_offers_no_apply(client, net, people):
    client.force_login(net.users["ncp_uy"])
    rows = [HEADER, ["Eva", "Mar", "DNA", "not-an-email", ""], ["Rui", "Paz", "RFB", "", ""]]
    response = preview(client, csv_upload(rows))
    assert actions(response) == [(2, "error"), (3, "error")]
    assert response.context["token"] == ""
    assert 'name="token"' not in response.content.decode()


def test_out_of_scope_id_row_is_refused(client, net, people):
    ana, _ = people
    someone_in_brazil = f.person("João", "Souza", net.brazil, email="joao@rfb.gov.br")
    client.force_login(net.users["ncp_uy"])
    rows = [
        ["id", "given_name", "family_name", "organisation", "email"],
        [str(ana.pk), "Ana María", "Suárez", "DNA", "ana@aduanas.gub.uy"],
        [str(someone_in_brazil.pk), "João", "Souza Lima", "RFB", "joao@rfb.gov.br"],
        ["999999", "No", "Body", "DNA", ""],
    ]
    response = preview(client, csv_upload(rows))
    result = response.context["result"]
    assert actions(response) == [(2, "update"), (3, "error"), (4, "error")]
    assert result.rows[1].errors[0].message == "You may not change this record."
    assert "no record with the id 999999" in result.rows[2].errors[0].message
    assert Person.objects.get(pk=someone_in_brazil.pk).family_name == "Souza"


def test_natural_key_match_outside_scope_is_refused(client, net):
    f.person("João", "Souza", net.brazil, email="joao@rfb.gov.br")
    client.force_login(net.users["ncp_uy"])
    rows = [HEADER, ["João", "Souza", "DNA", "joao@rfb.gov.br", ""]]
    response = preview(client, csv_upload(rows))
    assert [e.message for e in response.context["result"].errors] == [
        "You may not change this record."
    ]


def test_update_respects_field_rights(client, net):
    """The NCP of Uruguay may change their own phone, not move themselves to Brazil."""
    me = net.people["ncp_uy"]
    client.force_login(net.users["ncp_uy"])
    header = ["id", "given_name", "family_name", "organisation", "phone"]
    base = [str(me.pk), me.given_name, me.family_name]
    response = preview(client, csv_upload([header, [*base, "DNA", "+598 1"]]))
    assert actions(response) == [(2, "update")]
    token = response.context["token"]
    assert client.post(reverse(URL), {"step": "apply", "token": token}).status_code == 302
    me.refresh_from_db()
    assert me.phone == "+598 1"
    assert me.history.first().history_user == net.users["ncp_uy"]
    response = preview(client, csv_upload([header, [*base, "RFB", "+598 1"]]))
    assert [(e.row, e.field) for e in response.context["result"].errors] == [(2, "organisation")]
    assert Person.objects.get(pk=me.pk).organisation == net.uruguay


def test_export_for_import_then_import_is_unchanged(client, net, people):
    ana, rui = people
    ana.title = '=HYPERLINK("http://x")'
    ana.mobile = "+598 99 123"
    ana.languages = ["es", "en"]
    ana.save()
    client.force_login(net.users["ncp_uy"])
    for fmt in ("csv", "xlsx"):
        download = client.get(reverse(URL), {"download": fmt})
        assert download.status_code == 200
        upload = SimpleUploadedFile(f"people.{fmt}", download.content)
        response = preview(client, upload)
        result = response.context["result"]
        assert result.ok, result.errors
        assert {outcome.action for outcome in result.rows} == {"unchanged"}
        assert len(result.rows) == Person.objects.restrict(net.users["ncp_uy"], "change").count()
        assert response.context["token"] == ""  # nothing to apply


def test_appointment_dates_dd_mm_yyyy_and_xlsx_cells(client, net, people):
    ana, rui = people
    client.force_login(net.users["ncp_uy"])
    header = ["person", "organisation", "role", "start_date", "end_date"]
    rows = [
        header,
        ["ana@aduanas.gub.uy", "DNA", "staff", "31/01/2024", ""],
        [
            "rui@aduanas.gub.uy",
            "DNA",
            "expert",
            datetime.date(2024, 2, 1),
            datetime.date(2024, 3, 9),
        ],
    ]
    response = preview(client, xlsx_upload(rows), url="directory:appointment_import")
    assert actions(response) == [(2, "create"), (3, "create")]
    token = response.context["token"]
    client.post(reverse("directory:appointment_import"), {"step": "apply", "token": token})
    assert Appointment.objects.get(person=ana).start_date == datetime.date(2024, 1, 31)
    assert Appointment.objects.get(person=rui).end_date == datetime.date(2024, 3, 9)
    # The same rows again match their appointments by the natural key.
    response = preview(client, xlsx_upload(rows), url="directory:appointment_import")
    assert actions(response) == [(2, "unchanged"), (3, "unchanged")]


def test_file_over_the_inline_limit_goes_to_a_job_and_over_max_rows_is_refused(
    client, net, settings, monkeypatch
):
    """Above CBNET_IMPORT_INLINE_ROWS the preview runs as a job (cbnet/core/tests/test_jobs.py
    follows it); above MAX_ROWS the file is refused outright."""
    settings.CBNET_IMPORT_INLINE_ROWS = 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client.force_login(net.users["ncp_uy"])
    rows = [HEADER, *[["A", f"N{i}", "DNA", "", ""] for i in range(3)]]
    response = preview(client, csv_upload(rows))
    assert response.status_code == 302
    assert re.fullmatch(r"/jobs/\d+/\?follow=1", response["Location"])
    assert not Person.objects.filter(family_name="N1").exists()
    # Two rows stay inline.
    response = preview(client, csv_upload(rows[:3]))
    assert response.status_code == 200 and actions(response) == [(2, "create"), (3, "create")]
    monkeypatch.setattr(importing, "MAX_ROWS", 2)
    response = preview(client, csv_upload(rows))
    assert response.context["file_error"] == "The file has more than 2 rows; split it."


def test_token_is_bound_to_user_and_expires(client, net, people, settings):
    client.force_login(net.users["ncp_uy"])
    rows = [HEADER, ["Eva", "Mar", "DNA", "eva@aduanas.gub.uy", ""]]
    with time_machine.travel("2025-03-01 10:00", tick=False):
        token = preview(client, csv_upload(rows)).context["token"]
    client.force_login(net.users["rocb"])
    with time_machine.travel("2025-03-01 10:05", tick=False):
        response = client.post(reverse(URL), {"step": "apply", "token": token})
    assert response.context["file_error"]
    client.force_login(net.users["ncp_uy"])
    response = client.post(reverse(URL), {"step": "apply", "token": token[:-2] + "xx"})
    assert response.context["file_error"]
    with time_machine.travel("2025-03-01 12:00", tick=False):
        response = client.post(reverse(URL), {"step": "apply", "token": token})
    assert "expired" in response.context["file_error"]
    assert not Person.objects.filter(email="eva@aduanas.gub.uy").exists()


def test_stored_file_name_comes_only_from_the_signed_token(net, settings):
    from django.core import signing

    forged = signing.dumps(
        {"f": "../../etc/passwd", "u": net.users["ncp_uy"].pk, "m": "directory.person"},
        salt=importing.UPLOAD_SALT,
    )
    with pytest.raises(importing.ImportFileError):
        importing.load_upload(forged, user=net.users["ncp_uy"], model=Person)
