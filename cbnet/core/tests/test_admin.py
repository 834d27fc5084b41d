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
