"""Generic, permission-aware API tests: a model's test class only declares its data.

Every model's API is tried by five users — anonymous, a reader (signed in, no appointments),
a signed-in user whose rights lie elsewhere (out of scope), a user in scope and the
Secretariat — on list, detail, create, update, archive (DELETE) and purge, with the history
row, the version rules (409 / 412 / 428), strict filters and a list query count that does
not grow with rows. Users come from ``cbnet.core.testing.factories.network()`` and sign in
with a real token (``Authorization: Token ...``).

A model's tests::

    class TestPersonAPI(APITests):
        model = Person
        in_scope_user = "ncp_uy"       # network() key of a user who may change make_object()
        out_of_scope_user = "ncp_br"   # signed in, has rights, but not over that row

        def make_object(self, net): ...            # a row in_scope_user may change
        def create_data(self, net): ...            # a POST body in_scope_user may create
        def update_data(self, net, obj): ...       # a PATCH body in_scope_user may send
        def out_of_scope_update(self, net, obj): ...  # a PATCH that would move obj out of scope

``in_scope_user = None`` means only the Secretariat writes (reference data). Optional hooks
(``forbidden_fields_update``, ``protected_object``, ``filter_params``, ``invalid_data``) add
their checks when a model defines them.
"""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cbnet.core.api.serializers import api_basename
from cbnet.core.testing import factories

ROLES = ("reader", "out_of_scope", "in_scope", "secretariat")


class APITests:
    model = None
    in_scope_user: str | None = "ncp_uy"
    out_of_scope_user = "ncp_br"
    # Whether in_scope_user may archive (DELETE) the object, not only change it.
    in_scope_may_archive = True
    # Primary (archivable) records answer DELETE; reference data answers 405.
    archivable = True

    # --- what a model declares ----------------------------------------------------------

    def make_object(self, net):
        raise NotImplementedError

    def create_data(self, net):
        raise NotImplementedError

    def update_data(self, net, obj):
        raise NotImplementedError

    def out_of_scope_update(self, net, obj):
        """A PATCH body (without version) after which in_scope_user could no longer change obj."""
        return None

    def out_of_scope_create(self, net):
        """A POST body in_scope_user may not create (outside their scope)."""
        return None

    def forbidden_fields_update(self, net, obj):
        """(PATCH body, refused field names) for fields in_scope_user may not change."""
        return None

    def protected_object(self, net, obj):
        """Make another row refer to obj so that purging it must answer 409 (optional)."""
        return None

    def filter_params(self, net, obj):
        """(query params, whether obj is expected in the answer) pairs (optional)."""
        return []

    def make_rows(self, net, count):
        for _ in range(count):
            self.make_object(net)

    # --- plumbing -----------------------------------------------------------------------

    @pytest.fixture
    def net(self, db, settings):
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        return factories.network()

    @pytest.fixture
    def obj(self, net):
        return self.make_object(net)

    def user(self, net, role):
        if role is None:
            return None
        if role == "in_scope":
            if self.in_scope_user is None:
                pytest.skip("only the Secretariat writes this model")
            return net.users[self.in_scope_user]
        if role == "out_of_scope":
            return net.users[self.out_of_scope_user]
        return net.users[role]

    def client_for(self, net, role, **headers):
        client = APIClient(**headers)
        user = self.user(net, role)
        if user is not None:
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    def url(self, action, obj=None):
        name = f"api:{api_basename(self.model)}-{action}"
        return reverse(name, args=[obj.pk] if obj is not None else [])

    def ids(self, response):
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    def fresh(self, obj):
        return type(obj)._default_manager.get(pk=obj.pk)

    def snapshot(self, obj):
        row = self.fresh(obj)
        return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}

    def latest_history(self, obj):
        return self.model.history.filter(id=obj.pk).order_by("-history_id").first()

    # --- anonymous ----------------------------------------------------------------------

    def test_anonymous_gets_401_everywhere(self, net, obj):
        client = self.client_for(net, None)
        calls = [
            ("get", self.url("list")),
            ("get", self.url("detail", obj)),
            ("post", self.url("list")),
            ("patch", self.url("detail", obj)),
            ("put", self.url("detail", obj)),
            ("delete", self.url("detail", obj)),
            ("post", self.url("purge", obj)),
        ]
        before = self.snapshot(obj)
        for method, url in calls:
            response = getattr(client, method)(url, {}, format="json")
            assert response.status_code == 401, (method, url, response.status_code)
            assert response["WWW-Authenticate"].startswith("Token"), (method, url)
        assert self.snapshot(obj) == before

    # --- reading ------------------------------------------------------------------------

    @pytest.mark.parametrize("role", ROLES)
    def test_list_and_detail_for_every_signed_in_user(self, net, obj, role):
        client = self.client_for(net, role)
        assert obj.pk in self.ids(client.get(self.url("list"), {"page_size": 500}))
        response = client.get(self.url("detail", obj))
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == obj.pk
        assert body["version"] == self.fresh(obj).version
        assert response["ETag"] == f'"{body["version"]}"'
        assert body["display"] == str(self.fresh(obj))
        assert body["url"].endswith(self.url("detail", obj))

    def test_detail_of_missing_row_is_404(self, net, obj):
        client = self.client_for(net, "secretariat")
        missing = self.model._default_manager.order_by("-pk").first().pk + 1000
        response = client.get(reverse(f"api:{api_basename(self.model)}-detail", args=[missing]))
        assert response.status_code == 404
        assert response.json()["detail"]

    def test_unknown_filter_is_400_and_named(self, net, obj):
        client = self.client_for(net, "reader")
        response = client.get(self.url("list"), {"no_such_filter": "1", "page": 1})
        assert response.status_code == 400
        assert response.json()["unknown_parameters"] == ["no_such_filter"]

    def test_unknown_ordering_is_400(self, net, obj):
        client = self.client_for(net, "reader")
        response = client.get(self.url("list"), {"ordering": "-no_such_field"})
        assert response.status_code == 400
        assert "ordering" in response.json()

    def test_declared_ordering_is_applied(self, net, obj):
        self.make_rows(net, 2)
        client = self.client_for(net, "reader")
        field = self.viewset_ordering_fields()[0]
        ascending = [
            r["id"] for r in client.get(self.url("list"), {"ordering": field}).json()["results"]
        ]
        descending = [
            r["id"]
            for r in client.get(self.url("list"), {"ordering": f"-{field}"}).json()["results"]
        ]
        assert sorted(ascending) == sorted(descending)
        rows = self.model._default_manager.filter(pk__in=ascending)
        expected = list(rows.order_by(field, "pk").values_list("pk", flat=True))
        assert ascending == expected

    def viewset_ordering_fields(self):
        from django.urls import resolve

        return resolve(self.url("list")).func.cls.ordering_fields

    def test_declared_filters_select_rows(self, net, obj):
        client = self.client_for(net, "reader")
        for params, expected in self.filter_params(net, obj):
            ids = self.ids(client.get(self.url("list"), {**params, "page_size": 500}))
            assert (obj.pk in ids) is expected, params

    def test_list_query_count_does_not_grow_with_rows(self, net, obj):
        client = self.client_for(net, "secretariat")
        client.get(self.url("list"))  # warm caches (content types, token)

        def count():
            with CaptureQueriesContext(connection) as queries:
                response = client.get(self.url("list"), {"page_size": 500})
            assert response.status_code == 200
            return len(queries), response.json()["count"]

        few, rows_before = count()
        self.make_rows(net, 5)
        many, rows_after = count()
        assert rows_after > rows_before
        assert many == few, f"{few} queries for {rows_before} rows, {many} for {rows_after}"

    # --- creating -----------------------------------------------------------------------

    @pytest.mark.parametrize("role", ["reader", "out_of_scope"])
    def test_create_refused_without_rights(self, net, obj, role):
        data = self.create_data(net)
        before = self.model._default_manager.count()
        response = self.client_for(net, role).post(self.url("list"), data, format="json")
        assert response.status_code == 403, response.content
        assert response.json()["detail"]
        assert self.model._default_manager.count() == before

    @pytest.mark.parametrize("role", ["in_scope", "secretariat"])
    def test_create_writes_row_and_history(self, net, obj, role):
        data = self.create_data(net)
        response = self.client_for(net, role).post(self.url("list"), data, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        created = self.model._default_manager.get(pk=body["id"])
        assert body["version"] == created.version == 1
        assert response["ETag"] == '"1"'
        history = self.model.history.get(id=created.pk)
        assert history.history_type == "+"
        assert history.history_user == self.user(net, role)

    def test_create_outside_scope_is_rolled_back(self, net, obj):
        data = self.out_of_scope_create(net)
        if data is None:
            pytest.skip("no create outside the in-scope user's scope declared")
        before = self.model._default_manager.count()
        history_before = self.model.history.count()
        response = self.client_for(net, "in_scope").post(self.url("list"), data, format="json")
        assert response.status_code == 403, response.content
        assert self.model._default_manager.count() == before
        assert self.model.history.count() == history_before

    def test_create_with_missing_fields_answers_in_users_language(self, net, obj):
        client = self.client_for(net, "secretariat", HTTP_ACCEPT_LANGUAGE="es")
        response = client.post(self.url("list"), {}, format="json")
        assert response.status_code == 400
        messages = [m for errors in response.json().values() for m in errors]
        assert "Este campo es requerido." in messages

    # --- updating -----------------------------------------------------------------------

    def patch(self, net, role, obj, data, **headers):
        return self.client_for(net, role).patch(
            self.url("detail", obj), data, format="json", **headers
        )

    def versioned(self, obj, data):
        return {**data, "version": self.fresh(obj).version}

    @pytest.mark.parametrize("role", ["reader", "out_of_scope"])
    def test_update_refused_without_rights(self, net, obj, role):
        before = self.snapshot(obj)
        response = self.patch(net, role, obj, self.versioned(obj, self.update_data(net, obj)))
        assert response.status_code == 403, response.content
        assert self.snapshot(obj) == before

    @pytest.mark.parametrize("role", ["in_scope", "secretariat"])
    def test_update_saves_bumps_version_and_writes_history(self, net, obj, role):
        version = self.fresh(obj).version
        data = self.update_data(net, obj)
        response = self.patch(net, role, obj, self.versioned(obj, data))
        assert response.status_code == 200, response.content
        row = self.fresh(obj)
        assert row.version == version + 1
        assert response.json()["version"] == row.version
        assert response["ETag"] == f'"{row.version}"'
        for name, value in data.items():
            assert response.json()[name] == value, name
        history = self.latest_history(obj)
        assert history.history_type == "~"
        assert history.history_user == self.user(net, role)

    def test_put_with_full_body_saves(self, net, obj):
        client = self.client_for(net, "secretariat")
        body = client.get(self.url("detail", obj)).json()
        body.update(self.update_data(net, obj))
        response = client.put(self.url("detail", obj), body, format="json")
        assert response.status_code == 200, response.content

    def test_update_moving_row_out_of_scope_is_refused(self, net, obj):
        data = self.out_of_scope_update(net, obj)
        if data is None:
            pytest.skip("no out-of-scope move declared")
        before = self.snapshot(obj)
        response = self.patch(net, "in_scope", obj, self.versioned(obj, data))
        assert response.status_code == 403, response.content
        assert self.snapshot(obj) == before

    def test_update_of_forbidden_fields_is_refused_naming_them(self, net, obj):
        declared = self.forbidden_fields_update(net, obj)
        if declared is None:
            pytest.skip("no field-level restriction for this model")
        data, fields = declared
        before = self.snapshot(obj)
        response = self.patch(net, "in_scope", obj, self.versioned(obj, data))
        assert response.status_code == 403, response.content
        for name in fields:
            assert name in response.json()["detail"]
        assert self.snapshot(obj) == before

    def test_update_without_version_is_428(self, net, obj):
        before = self.snapshot(obj)
        response = self.patch(net, "secretariat", obj, self.update_data(net, obj))
        assert response.status_code == 428
        assert self.snapshot(obj) == before

    def test_update_with_old_version_is_409(self, net, obj):
        data = {**self.update_data(net, obj), "version": self.fresh(obj).version + 5}
        before = self.snapshot(obj)
        response = self.patch(net, "secretariat", obj, data)
        assert response.status_code == 409
        assert response.json()["detail"]
        assert self.snapshot(obj) == before

    def test_update_with_stale_if_match_is_412_and_current_one_passes(self, net, obj):
        version = self.fresh(obj).version
        data = self.update_data(net, obj)
        stale = self.patch(net, "secretariat", obj, data, HTTP_IF_MATCH=f'"{version + 1}"')
        assert stale.status_code == 412
        assert self.fresh(obj).version == version
        current = self.patch(net, "secretariat", obj, data, HTTP_IF_MATCH=f'"{version}"')
        assert current.status_code == 200, current.content

    def test_concurrent_save_between_read_and_write_is_409(self, net, obj):
        """Another writer commits after the API read the row: the stale save is refused."""
        model = self.model
        original_clean = model.clean

        def clean_then_someone_else_saves(instance):
            original_clean(instance)
            model._base_manager.filter(pk=instance.pk).update(version=instance.version + 1)

        data = self.versioned(obj, self.update_data(net, obj))
        history_before = model.history.filter(id=obj.pk).count()
        with mock.patch.object(model, "clean", clean_then_someone_else_saves):
            response = self.patch(net, "secretariat", obj, data)
        assert response.status_code == 409, response.content
        assert model.history.filter(id=obj.pk).count() == history_before

    # --- archiving and purging ----------------------------------------------------------

    @pytest.mark.parametrize("role", ["reader", "out_of_scope"])
    def test_archive_refused_without_rights(self, net, obj, role):
        response = self.client_for(net, role).delete(self.url("detail", obj))
        assert response.status_code == (403 if self.archivable else 405)
        if self.archivable:
            assert self.fresh(obj).archived_at is None

    @pytest.mark.parametrize("role", ["in_scope", "secretariat"])
    def test_archive_keeps_row_and_hides_it_from_list(self, net, obj, role):
        if not self.archivable:
            pytest.skip("not archivable")
        client = self.client_for(net, role)
        response = client.delete(self.url("detail", obj))
        if role == "in_scope" and not self.in_scope_may_archive:
            assert response.status_code == 403
            assert self.fresh(obj).archived_at is None
            return
        assert response.status_code == 204, response.content
        row = self.fresh(obj)
        assert row.archived_at is not None
        assert self.latest_history(obj).history_user == self.user(net, role)
        assert client.get(self.url("detail", obj)).status_code == 200
        assert obj.pk not in self.ids(client.get(self.url("list"), {"page_size": 500}))
        archived = self.ids(client.get(self.url("list"), {"archived": "yes", "page_size": 500}))
        assert obj.pk in archived

    def test_delete_is_not_offered_for_reference_data(self, net, obj):
        if self.archivable:
            pytest.skip("archivable: DELETE archives")
        response = self.client_for(net, "secretariat").delete(self.url("detail", obj))
        assert response.status_code == 405
        assert self.model._default_manager.filter(pk=obj.pk).exists()

    @pytest.mark.parametrize("role", ["reader", "out_of_scope", "in_scope"])
    def test_purge_is_for_the_secretariat_only(self, net, obj, role):
        response = self.client_for(net, role).post(self.url("purge", obj))
        assert response.status_code == 403
        assert self.model._default_manager.filter(pk=obj.pk).exists()

    def test_purge_by_secretariat_deletes_and_keeps_history(self, net, obj):
        response = self.client_for(net, "secretariat").post(self.url("purge", obj))
        assert response.status_code == 204, response.content
        assert not self.model._default_manager.filter(pk=obj.pk).exists()
        assert self.latest_history(obj).history_type == "-"
        assert self.latest_history(obj).history_user == net.users["secretariat"]

    def test_purge_of_referenced_row_is_409(self, net, obj):
        if self.protected_object(net, obj) is None:
            pytest.skip("no protecting relation declared")
        response = self.client_for(net, "secretariat").post(self.url("purge", obj))
        assert response.status_code == 409
        assert response.json()["detail"]
        assert self.model._default_manager.filter(pk=obj.pk).exists()
