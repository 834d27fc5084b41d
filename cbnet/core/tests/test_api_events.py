"""/api/core/events/: the activity feed over the API, read-only, through the permission door."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cbnet.core import permissions
from cbnet.core.events import record_event
from cbnet.core.models import Event
from cbnet.core.testing import factories as f
from cbnet.core.tests.test_events import HideBrazilPolicy
from cbnet.directory import services as directory

pytestmark = pytest.mark.django_db
URL = reverse("api:core-event-list")


@pytest.fixture
def net():
    return f.network()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def confidential(net, monkeypatch):
    monkeypatch.setitem(permissions.POLICIES, "directory.person", HideBrazilPolicy())
    secret = f.person("João", "Secreto", net.brazil)
    open_ = f.person("Marta", "Pérez", net.uruguay)
    record_event("person.invited", secret, actor=None, new={"email": "secret@example.org"})
    record_event("person.invited", open_, actor=net.users["ncp_uy"], new={"email": "m@x.org"})
    return secret, open_


def ids(response):
    assert response.status_code == 200, response.content
    return {row["object_id"] for row in response.json()["results"]}


def test_anonymous_clients_get_401(api):
    assert api.get(URL).status_code == 401


def test_each_user_reads_only_events_about_records_they_may_view(api, net, confidential):
    secret, open_ = confidential
    api.force_authenticate(net.users["ncp_uy"])
    assert ids(api.get(URL)) == {open_.pk}
    api.force_authenticate(net.users["secretariat"])
    assert ids(api.get(URL)) == {secret.pk, open_.pk}


def test_an_event_out_of_view_is_404_not_403(api, net, confidential):
    secret, _open = confidential
    hidden = Event.objects.get(object_id=secret.pk)
    api.force_authenticate(net.users["ncp_uy"])
    assert api.get(reverse("api:core-event-detail", args=[hidden.pk])).status_code == 404
    api.force_authenticate(net.users["secretariat"])
    assert api.get(reverse("api:core-event-detail", args=[hidden.pk])).status_code == 200


def test_a_row_names_the_event_the_record_and_the_values(api, net):
    marta = f.person("Marta", "Pérez", net.uruguay)
    appointment = f.appointment(marta, role="staff")
    directory.end_appointment(appointment, datetime.date(2024, 3, 1), net.users["ncp_uy"])
    api.force_authenticate(net.users["rocb"])
    (row,) = api.get(URL).json()["results"]
    assert row["name"] == "appointment.ended"
    assert row["label"] == "Appointment ended"
    assert row["model"] == "directory.appointment"
    assert row["object_id"] == appointment.pk
    assert row["actor"] == "ncp.uy"
    assert row["organisation"] == net.uruguay.pk
    assert (row["old"], row["new"]) == ({"end_date": None}, {"end_date": "2024-03-01"})
    api.force_authenticate(net.users["rocb"])
    (row,) = api.get(URL, HTTP_ACCEPT_LANGUAGE="es").json()["results"]
    assert row["label"] != "Appointment ended"  # the label follows the client's language


def test_filters(api, net):
    marta = f.person("Marta", "Pérez", net.uruguay)
    ana = f.person("Ana", "Souza", net.brazil)
    first = f.appointment(marta, role="staff")
    second = f.appointment(ana, role="staff")
    directory.end_appointment(first, datetime.date(2024, 3, 1), net.users["ncp_uy"])
    record_event("person.invited", ana, actor=None, new={"email": "ana@example.org"})
    Event.objects.filter(name="person.invited").update(
        occurred_at=timezone.now() - datetime.timedelta(days=400)
    )
    api.force_authenticate(net.users["secretariat"])
    assert ids(api.get(URL, {"name": "appointment.ended"})) == {first.pk}
    assert ids(api.get(URL, {"model": "directory.person"})) == {ana.pk}
    assert ids(api.get(URL, {"model": "nosuch.model"})) == set()
    assert ids(api.get(URL, {"organisation": net.uruguay.pk})) == {first.pk}
    last_year = (timezone.now() - datetime.timedelta(days=200)).date().isoformat()
    assert ids(api.get(URL, {"since": last_year})) == {first.pk}
    assert ids(api.get(URL, {"until": last_year})) == {ana.pk}
    assert ids(api.get(URL, {"object_id": second.pk, "model": "directory.appointment"})) == set()


def test_unknown_and_malformed_parameters_are_400_naming_them(api, net):
    api.force_authenticate(net.users["ncp_uy"])
    response = api.get(URL, {"kind": "x"})
    assert response.status_code == 400
    assert response.json()["unknown_parameters"] == ["kind"]
    response = api.get(URL, {"since": "yesterday"})
    assert response.status_code == 400
    assert "since" in response.json()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_events_cannot_be_written_through_the_api(api, net, method):
    marta = f.person("Marta", "Pérez", net.uruguay)
    event = record_event("person.invited", marta, actor=None)
    api.force_authenticate(net.users["secretariat"])
    target = URL if method == "post" else reverse("api:core-event-detail", args=[event.pk])
    assert getattr(api, method)(target, {"name": "x"}).status_code == 405
    assert Event.objects.get().name == "person.invited"


def test_query_count_does_not_grow_with_rows(api, net, django_assert_max_num_queries):
    marta = f.person("Marta", "Pérez", net.uruguay)
    api.force_authenticate(net.users["rocb"])
    for _ in range(3):
        record_event("person.invited", marta, actor=net.users["ncp_uy"])
    with django_assert_max_num_queries(12) as few:
        api.get(URL)
    for _ in range(30):
        record_event("person.invited", marta, actor=net.users["ncp_uy"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(URL).json()["results"]) == 33
