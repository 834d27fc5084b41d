"""Django admin is for Secretariat staff only: the staff flag and a current Secretariat role."""

import pytest

from cbnet.core.testing import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def net():
    return factories.network()


def make_staff(user):
    user.is_staff = True
    user.save()
    return user


@pytest.mark.parametrize(
    ("key", "staff", "allowed"),
    [
        ("secretariat", True, True),
        ("secretariat", False, False),  # a Secretariat officer without the staff flag
        ("rocb", True, False),  # staff flag but no Secretariat role
        ("ncp_uy", True, False),
        ("reader", True, False),
    ],
)
def test_admin_index(client, net, key, staff, allowed):
    user = net.users[key]
    if staff:
        make_staff(user)
    client.force_login(user)
    response = client.get("/admin/")
    if allowed:
        assert response.status_code == 200
        assert b"Directory" in response.content
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_admin_change_page_refused_to_rocb_staff(client, net):
    client.force_login(make_staff(net.users["rocb"]))
    response = client.get(f"/admin/directory/organisation/{net.uruguay.pk}/change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_history_shows_changes(client, net):
    client.force_login(make_staff(net.users["secretariat"]))
    net.uruguay.website = "https://example.org/uy"
    net.uruguay.save()
    response = client.get(f"/admin/directory/organisation/{net.uruguay.pk}/history/")
    assert response.status_code == 200
    assert response.content.count(b"<tr") >= 3  # header, the creation and the change


def test_events_are_listed_and_shown_in_the_admin_but_never_edited(client, net):
    from cbnet.core.events import record_event
    from cbnet.core.models import Event

    event = record_event("person.invited", net.people["reader"], actor=net.users["ncp_uy"])
    client.force_login(make_staff(net.users["secretariat"]))
    listing = client.get("/admin/core/event/")
    assert listing.status_code == 200
    assert "person.invited" in listing.content.decode()
    detail = client.get(f"/admin/core/event/{event.pk}/change/")
    assert detail.status_code == 200
    assert b'name="name"' not in detail.content  # shown read-only, no input
    assert client.get("/admin/core/event/add/").status_code == 403
    client.post(f"/admin/core/event/{event.pk}/change/", {"name": "record.archived"})
    client.post(f"/admin/core/event/{event.pk}/delete/", {"post": "yes"})
    assert Event.objects.get().name == "person.invited"
