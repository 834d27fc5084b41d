"""Generic, permission-aware view tests (STYLE.md §8). A model's test only declares data.

Subclass ``ModelViewTests`` in ``cbnet/<app>/tests/test_views*.py``::

    class TestPersonViews(ModelViewTests):
        model = Person
        in_scope_user = "ncp_uy"          # may change the object made by make_object
        out_of_scope_user = "ncp_br"      # may read it, not change it
        edit_changes = {"phone": "+598 2 000"}

        def make_object(self, net): ...            # an object in in_scope_user's scope
        def create_data(self, net): ...            # POST data add_user can create
        def import_rows(self, net): ...            # CSV text with two valid rows
        def make_rows(self, net, count): ...       # for the query-count test

Five users are tried on list, detail, create, edit, archive, history, import and export:
anonymous (sent to the login page), ``reader`` (signed in, no appointment: reads, 403 on
every write), ``out_of_scope_user`` (reads; 403 on edit), ``in_scope_user`` (saves, history
written with their name) and the Secretariat (everything). Stale saves are refused, garbage
never answers 500, and a list page's query count does not grow with its rows.
"""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cbnet.core.testing.factories import network

ANONYMOUS, READER, SECRETARIAT = "anonymous", "reader", "secretariat"


def form_data(form):
    """The POST data a browser would send for ``form`` unchanged (disabled fields omitted)."""
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if value is None:
            value = ""
        if isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = value
    return data


def csv_text(rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


class ModelViewTests:
    model = None
    in_scope_user = "ncp_uy"
    out_of_scope_user = "ncp_br"
    add_user = None  # defaults to in_scope_user
    archive_user = None  # defaults to in_scope_user
    edit_changes: dict = {}
    list_query_rows = 4

    # --- declared by the model's test ------------------------------------------------

    def make_object(self, net):
        raise NotImplementedError

    def create_data(self, net):
        raise NotImplementedError

    def import_rows(self, net):
        """[[header...], [row...], [row...]]: two rows ``add_user`` may import."""
        raise NotImplementedError

    def make_rows(self, net, count):
        raise NotImplementedError

    # --- plumbing ------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _fast_passwords(self, settings):
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    @pytest.fixture
    def net(self, db):
        return network()

    def url(self, action, *args):
        meta = self.model._meta
        return reverse(f"{meta.app_label}:{meta.model_name}_{action}", args=args)

    def login(self, client, net, who):
        client.logout()
        if who != ANONYMOUS:
            client.force_login(net.users[who])
        return client

    def edit_form_data(self, net, obj, who):
        from cbnet.core.views.registry import registered_views

        view = registered_views(self.model)["edit"][0]
        form = view.form_class(instance=obj, user=net.users[who])
        return form_data(form)

    def adder(self):
        return self.add_user or self.in_scope_user

    def archiver(self):
        return self.archive_user or self.in_scope_user

    def fresh(self, obj):
        return self.model._base_manager.get(pk=obj.pk)

    def last_history_user(self, obj):
        return obj.history.order_by("-history_date", "-history_id").first().history_user

    # --- anonymous -------------------------------------------------------------------

    @pytest.mark.parametrize(
        "action,detail",
        [
            ("list", False),
            ("export", False),
            ("add", False),
            ("import", False),
            ("detail", True),
            ("edit", True),
            ("archive", True),
            ("history", True),
        ],
    )
    def test_anonymous_is_sent_to_login(self, client, net, action, detail):
        obj = self.make_object(net)
        url = self.url(action, obj.pk) if detail else self.url(action)
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        response = client.post(url, {})
        assert response.status_code == 302
        assert self.fresh(obj).archived_at is None

    # --- reading -----------------------------------------------------------------------

    @pytest.mark.parametrize("who", [READER, "out_of_scope", "in_scope", SECRETARIAT])
    def test_signed_in_users_read(self, client, net, who):
        who = self._who(who)
        obj = self.make_object(net)
        self.login(client, net, who)
        assert client.get(self.url("list")).status_code == 200
        response = client.get(self.url("detail", obj.pk))
        assert response.status_code == 200
        assert client.get(self.url("history", obj.pk)).status_code == 200

    def _who(self, who):
        return {"out_of_scope": self.out_of_scope_user, "in_scope": self.in_scope_user}.get(
            who, who
        )

    def test_reader_sees_no_write_buttons_and_is_refused(self, client, net):
        obj = self.make_object(net)
        self.login(client, net, READER)
        page = client.get(self.url("detail", obj.pk)).content.decode()
        assert 'id="edit-button"' not in page and 'id="archive-button"' not in page
        listing = client.get(self.url("list")).content.decode()
        assert 'id="add-button"' not in listing and 'id="import-button"' not in listing
        before = self.fresh(obj).version
        for url in (self.url("add"), self.url("import"), self.url("edit", obj.pk)):
            assert client.get(url).status_code == 403
            assert client.post(url, {}).status_code == 403
        assert client.post(self.url("archive", obj.pk)).status_code == 403
        obj = self.fresh(obj)
        assert obj.version == before and obj.archived_at is None

    def test_unknown_object_is_404(self, client, net):
        self.login(client, net, SECRETARIAT)
        for action in ("detail", "edit", "archive", "history"):
            assert client.get(self.url(action, 987654)).status_code == 404

    # --- editing ------------------------------------------------------------------------

    def test_out_of_scope_user_reads_but_cannot_edit(self, client, net):
        obj = self.make_object(net)
        self.login(client, net, self.out_of_scope_user)
        page = client.get(self.url("detail", obj.pk)).content.decode()
        assert 'id="edit-button"' not in page
        assert client.get(self.url("edit", obj.pk)).status_code == 403
        data = self.edit_form_data(net, obj, SECRETARIAT)
        data.update(self.edit_changes)
        assert client.post(self.url("edit", obj.pk), data).status_code == 403
        assert client.post(self.url("archive", obj.pk)).status_code == 403
        fresh = self.fresh(obj)
        assert fresh.version == obj.version and fresh.archived_at is None

    @pytest.mark.parametrize("who", ["in_scope", SECRETARIAT])
    def test_edit_saves_and_records_history(self, client, net, who):
        who = self._who(who)
        obj = self.make_object(net)
        self.login(client, net, who)
        page = client.get(self.url("detail", obj.pk)).content.decode()
        assert 'id="edit-button"' in page
        assert client.get(self.url("edit", obj.pk)).status_code == 200
        data = self.edit_form_data(net, obj, who)
        data.update(self.edit_changes)
        response = client.post(self.url("edit", obj.pk), data)
        assert response.status_code == 302, _errors(response)
        fresh = self.fresh(obj)
        for name, value in self.edit_changes.items():
            assert str(getattr(fresh, name)) == str(value)
        assert fresh.version == obj.version + 1
        assert self.last_history_user(fresh) == net.users[who]
        history = client.get(self.url("history", obj.pk)).content.decode()
        assert net.users[who].get_username() in history

    def test_stale_save_is_refused_and_input_kept(self, client, net):
        obj = self.make_object(net)
        who = self.in_scope_user
        self.login(client, net, who)
        data = self.edit_form_data(net, obj, who)
        data.update(self.edit_changes)
        # Someone else saves first.
        other = self.fresh(obj)
        other.save()
        response = client.post(self.url("edit", obj.pk), data)
        assert response.status_code == 200
        assert "Someone else changed this record" in response.content.decode()
        assert response.context["form"].data[next(iter(self.edit_changes))] == next(
            iter(self.edit_changes.values())
        )
        fresh = self.fresh(obj)
        assert fresh.version == other.version
        for name, value in self.edit_changes.items():
            assert str(getattr(fresh, name)) != str(value)

    @pytest.mark.parametrize("who", ["add_user", SECRETARIAT])
    def test_create(self, client, net, who):
        who = self.adder() if who == "add_user" else who
        self.login(client, net, who)
        assert client.get(self.url("add")).status_code == 200
        listing = client.get(self.url("list")).content.decode()
        assert 'id="add-button"' in listing
        before = self.model._base_manager.count()
        response = client.post(self.url("add"), self.create_data(net))
        assert response.status_code == 302, _errors(response)
        assert self.model._base_manager.count() == before + 1
        created = self.model._base_manager.order_by("-pk").first()
        assert created.history.first().history_user == net.users[who]

    def test_create_refused_for_out_of_scope_user_or_reader(self, client, net):
        self.login(client, net, READER)
        before = self.model._base_manager.count()
        assert client.post(self.url("add"), self.create_data(net)).status_code == 403
        assert self.model._base_manager.count() == before

    @pytest.mark.parametrize("garbage", [{}, {"version": "abc"}, {"x": "\x00" * 10}])
    def test_garbage_never_500(self, client, net, garbage):
        obj = self.make_object(net)
        self.login(client, net, SECRETARIAT)
        for url in (self.url("add"), self.url("edit", obj.pk)):
            response = client.post(url, garbage)
            assert response.status_code in (200, 302, 403), url
        response = client.get(
            self.url("list"),
            {"q": "\x00é%_'\"", "sort": "nonsense", "page": "-1", "per_page": "x", "archived": "z"},
        )
        assert response.status_code == 200

    # --- archiving ------------------------------------------------------------------------

    @pytest.mark.parametrize("who", ["archiver", SECRETARIAT])
    def test_archive_and_restore(self, client, net, who):
        who = self.archiver() if who == "archiver" else who
        obj = self.make_object(net)
        self.login(client, net, who)
        assert client.get(self.url("archive", obj.pk)).status_code == 200
        response = client.post(self.url("archive", obj.pk))
        assert response.status_code == 302
        fresh = self.fresh(obj)
        assert fresh.archived_at is not None
        assert self.last_history_user(fresh) == net.users[who]
        # Archived rows leave the default list, and come back with archived=all.
        assert obj.pk not in _listed_pks(client.get(self.url("list")))
        assert obj.pk in _listed_pks(client.get(self.url("list"), {"archived": "all"}))
        response = client.post(self.url("archive", obj.pk), {"action": "restore"})
        assert response.status_code == 302
        assert self.fresh(obj).archived_at is None

    # --- import and export ----------------------------------------------------------------

    def test_import_creates_all_rows_with_history(self, client, net):
        self.login(client, net, self.adder())
        rows = self.import_rows(net)
        before = self.model._base_manager.count()
        response = client.post(self.url("import"), {"file": _upload(csv_text(rows))})
        assert response.status_code == 302, _import_errors(response)
        assert self.model._base_manager.count() == before + len(rows) - 1
        for created in self.model._base_manager.order_by("-pk")[: len(rows) - 1]:
            assert created.history.first().history_user == net.users[self.adder()]

    def test_import_is_all_or_nothing(self, client, net):
        self.login(client, net, self.adder())
        rows = self.import_rows(net)
        broken = [*rows, rows[1]]  # a duplicate row
        before = self.model._base_manager.count()
        response = client.post(self.url("import"), {"file": _upload(csv_text(broken))})
        assert response.status_code == 200
        result = response.context["result"]
        assert [error.row for error in result.errors] == [len(broken)]
        assert self.model._base_manager.count() == before

    def test_import_dry_run_saves_nothing(self, client, net):
        self.login(client, net, self.adder())
        before = self.model._base_manager.count()
        response = client.post(
            self.url("import"), {"file": _upload(csv_text(self.import_rows(net))), "dry_run": "1"}
        )
        assert response.status_code == 200
        assert response.context["result"].ok
        assert self.model._base_manager.count() == before

    def test_import_refuses_unknown_columns_and_bad_encoding(self, client, net):
        self.login(client, net, self.adder())
        rows = self.import_rows(net)
        wrong = [[*rows[0], "shoe size"], *[[*row, "42"] for row in rows[1:]]]
        response = client.post(self.url("import"), {"file": _upload(csv_text(wrong))})
        assert response.status_code == 200
        assert any("shoe size" in error.message for error in response.context["result"].errors)
        binary = _upload(b"\x00\x01\x02\xff" * 100, name="data.csv")
        response = client.post(self.url("import"), {"file": binary})
        assert response.status_code == 200 and response.context["file_error"]
        fake_xlsx = _upload(b"PK\x03\x04 not really a zip", name="data.xlsx")
        response = client.post(self.url("import"), {"file": fake_xlsx})
        assert response.status_code == 200 and response.context["file_error"]

    def test_export_csv_and_xlsx(self, client, net):
        obj = self.make_object(net)
        self.login(client, net, READER)
        response = client.get(self.url("export"), {"format": "csv"})
        assert response.status_code == 200
        body = response.content
        assert body.startswith(b"\xef\xbb\xbf")
        lines = body.decode("utf-8-sig").splitlines()
        assert len(lines) == 1 + self.model.objects.filter(archived_at__isnull=True).count()
        response = client.get(self.url("export"), {"format": "xlsx"})
        assert response.status_code == 200
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
        assert sheet.max_row == len(lines)
        # The export follows the list's filters.
        response = client.get(self.url("export"), {"format": "csv", "archived": "yes"})
        assert len(response.content.decode("utf-8-sig").splitlines()) == 1
        assert obj.pk

    # --- query counts ------------------------------------------------------------------------

    def test_list_query_count_does_not_grow_with_rows(self, client, net):
        self.login(client, net, SECRETARIAT)
        self.make_rows(net, self.list_query_rows)
        client.get(self.url("list"))  # warm caches (content types, sessions)
        with CaptureQueriesContext(connection) as few:
            assert client.get(self.url("list")).status_code == 200
        self.make_rows(net, 2 * self.list_query_rows)
        with CaptureQueriesContext(connection) as many:
            assert client.get(self.url("list")).status_code == 200
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def _listed_pks(response):
    return {row.record.pk for row in response.context["table"].paginated_rows}


def _upload(content, name="import.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    if isinstance(content, str):
        content = content.encode("utf-8")
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _errors(response):
    context = getattr(response, "context", None)
    if context and "form" in context:
        return context["form"].errors
    return response.status_code


def _import_errors(response):
    context = getattr(response, "context", None)
    if context is None:
        return response.status_code
    if context.get("file_error"):
        return context["file_error"]
    result = context.get("result")
    return [(e.row, e.field, e.message) for e in result.errors] if result else None
