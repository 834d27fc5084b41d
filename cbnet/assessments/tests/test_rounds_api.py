"""The rounds API: reading, opening (open_round), extending, adding administrations."""

import datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from cbnet.assessments.models import Assessment, Round
from cbnet.assessments.services import rounds
from cbnet.assessments.testing import questionnaire, round_
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)
BASE = "/api/assessments/rounds/"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def net():
    net = f.network()
    net.africa = f.region("AF", "Africa")
    net.kenya = f.organisation("Kenya Revenue Authority", country="KE", region=net.africa)
    net.rocb_af_org = f.organisation("ROCB Africa", kind="rocb", region=net.africa)
    net.users["rocb_af"] = f.member("rocb.af", net.rocb_af_org, "rocb_officer")
    return net


@pytest.fixture
def dsa():
    return questionnaire()


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def body(net, dsa, **changes):
    data = {
        "name": "AMS 2027",
        "questionnaire": dsa.pk,
        "region": net.ams.pk,
        "opens_on": "2026-04-01",
        "due_on": "2026-05-31",
    }
    data.update(changes)
    return data


def test_anonymous_clients_get_401(net, dsa):
    assert api().get(BASE).status_code == 401
    assert api().post(BASE, body(net, dsa), format="json").status_code == 401


def test_signed_in_users_read_rounds_with_status_and_closing_time(net, dsa):
    obj = round_(dsa, net.ams, time_zone="Pacific/Auckland")
    Assessment.objects.create(round=obj, organisation=net.uruguay)
    response = api(net.users["reader"]).get(BASE)
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert row["id"] == obj.pk and row["status"] == "open" and row["administrations"] == 1
    assert row["closes_at"] == "2026-03-31T23:59:59+13:00"
    detail = api(net.users["partner"]).get(f"{BASE}{obj.pk}/")
    assert detail.status_code == 200 and detail["ETag"] == f'"{obj.version}"'


def test_the_list_filters_by_status_in_each_rounds_zone(net, dsa):
    open_now = round_(dsa, net.ams, name="open")
    round_(
        dsa,
        net.ams,
        name="later",
        opens_on=datetime.date(2026, 6, 1),
        due_on=datetime.date(2026, 7, 1),
    )
    client = api(net.users["reader"])
    names = [r["name"] for r in client.get(BASE, {"status": "open"}).json()["results"]]
    assert names == [open_now.name]
    names = [r["name"] for r in client.get(BASE, {"status": "upcoming"}).json()["results"]]
    assert names == ["later"]
    assert client.get(BASE, {"status": "bogus"}).status_code == 400
    assert client.get(BASE, {"regoin": net.ams.pk}).status_code == 400  # unknown filter
    assert client.get(BASE, {"ordering": "-due_on"}).status_code == 200


def test_the_rocb_opens_a_round_through_open_round(net, dsa):
    response = api(net.users["rocb"]).post(
        BASE, body(net, dsa, subregion=net.sam.pk), format="json"
    )
    assert response.status_code == 201, response.json()
    created = Round.objects.get()
    assert response.json()["id"] == created.pk
    assert response.json()["administrations"] == 2
    assert created.time_zone == "UTC"  # the ROCB has none: the site's
    assert dsa.is_frozen


@pytest.mark.parametrize("who", ["ncp_uy", "partner", "reader", "rocb_af"])
def test_others_may_not_open_a_round_for_ams(net, dsa, who):
    response = api(net.users[who]).post(BASE, body(net, dsa), format="json")
    assert response.status_code == 403
    assert not Round.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"due_on": "2026-03-01"}, "due_on"),
        ({"due_on": "tomorrow"}, "due_on"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"organisations": [999999]}, "organisations"),
        ({"organisations": "all"}, "organisations"),
        ({"questionnaire": None}, "questionnaire"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_is_400_naming_the_field(net, dsa, changes, field):
    response = api(net.users["rocb"]).post(BASE, body(net, dsa, **changes), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Round.objects.exists()


def test_a_member_of_another_region_is_400(net, dsa):
    response = api(net.users["secretariat"]).post(
        BASE, body(net, dsa, organisations=[net.uruguay.pk, net.kenya.pk]), format="json"
    )
    assert response.status_code == 400
    assert "Kenya" in response.json()["organisations"][0]
    assert not Round.objects.exists()


def test_extend_and_add_administrations(net, dsa):
    obj = rounds.open_round(
        name="AMS",
        questionnaire=dsa,
        region=net.ams,
        organisations=[net.uruguay],
        opens_on=datetime.date(2026, 3, 1),
        due_on=datetime.date(2026, 3, 31),
        user=net.users["rocb"],
    )
    rocb = api(net.users["rocb"])
    response = rocb.post(f"{BASE}{obj.pk}/extend/", {"due_on": "2026-04-30"}, format="json")
    assert response.status_code == 200 and response.json()["due_on"] == "2026-04-30"
    earlier = rocb.post(f"{BASE}{obj.pk}/extend/", {"due_on": "2026-04-01"}, format="json")
    assert earlier.status_code == 400 and "due_on" in earlier.json()
    stale = rocb.post(
        f"{BASE}{obj.pk}/extend/", {"due_on": "2026-05-30", "version": 1}, format="json"
    )
    assert stale.status_code == 409
    added = rocb.post(
        f"{BASE}{obj.pk}/add-administrations/", {"organisations": [net.brazil.pk]}, format="json"
    )
    assert added.status_code == 200 and added.json()["administrations"] == 2
    again = rocb.post(
        f"{BASE}{obj.pk}/add-administrations/", {"organisations": [net.brazil.pk]}, format="json"
    )
    assert again.status_code == 400
    ncp = api(net.users["ncp_uy"])
    assert (
        ncp.post(f"{BASE}{obj.pk}/extend/", {"due_on": "2026-06-30"}, format="json").status_code
        == 403
    )
    assert (
        ncp.post(
            f"{BASE}{obj.pk}/add-administrations/", {"organisations": []}, format="json"
        ).status_code
        == 403
    )
    assert Round.objects.get().due_on == datetime.date(2026, 4, 30)


def test_writes_other_than_the_actions_are_not_offered(net, dsa):
    obj = round_(dsa, net.ams)
    rocb = api(net.users["rocb"])
    assert rocb.put(f"{BASE}{obj.pk}/", {"name": "x"}, format="json").status_code == 405
    assert rocb.delete(f"{BASE}{obj.pk}/").status_code == 405
