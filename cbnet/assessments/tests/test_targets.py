"""Target levels per area: the service, the page and the API, and who may set them."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cbnet.assessments.models import AreaTarget
from cbnet.assessments.services.targets import TARGETS_CHANGED, scale_max, set_targets
from cbnet.assessments.testing import assessment_kit
from cbnet.capabilities.models import Area
from cbnet.core.models import Event
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def net():
    return f.network()


@pytest.fixture
def kit(net):
    return assessment_kit(net)


@pytest.fixture
def areas(kit):
    return {a.code: a for a in Area.objects.filter(framework=kit.framework)}


def targets(org):
    return {t.area.code: t.level for t in AreaTarget.objects.filter(organisation=org)}


def test_set_change_and_remove_targets_with_an_event(net, areas):
    user = net.users["ncp_uy"]
    assert scale_max(areas["D1"].framework) == 4
    assert set_targets(net.uruguay, {areas["D1"]: Decimal("3.5"), areas["D2"]: 2}, user=user) == 2
    assert targets(net.uruguay) == {"D1": Decimal("3.50"), "D2": Decimal("2.00")}
    # Unchanged D1, D2 removed, D3 added.
    changed = set_targets(
        net.uruguay, {areas["D1"]: "3.5", areas["D2"]: None, areas["D3"]: 4}, user=user
    )
    assert changed == 2
    assert targets(net.uruguay) == {"D1": Decimal("3.50"), "D3": Decimal("4.00")}
    events = Event.objects.filter(name=TARGETS_CHANGED, object_id=net.uruguay.pk)
    assert events.count() == 2
    assert set_targets(net.uruguay, {areas["D1"]: "3.50"}, user=user) == 0


@pytest.mark.parametrize("bad", ["5", "-1", "abc", "2.555", "NaN", "Infinity"])
def test_impossible_levels_are_refused_and_nothing_is_written(net, areas, bad):
    with pytest.raises(ValidationError) as error:
        set_targets(net.uruguay, {areas["D1"]: 3, areas["D2"]: bad}, user=net.users["ncp_uy"])
    assert "D2" in error.value.messages[0]
    assert targets(net.uruguay) == {}


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        ("ncp_uy", True),
        ("rocb", True),
        ("secretariat", True),
        ("ncp_br", False),
        ("partner", False),
        ("reader", False),
    ],
)
def test_who_may_set_uruguays_targets(net, areas, key, allowed):
    if allowed:
        assert set_targets(net.uruguay, {areas["D1"]: 2}, user=net.users[key]) == 1
    else:
        with pytest.raises(PermissionDenied):
            set_targets(net.uruguay, {areas["D1"]: 2}, user=net.users[key])
        assert targets(net.uruguay) == {}


def test_targets_page(client, net, kit, areas):
    client.force_login(net.users["ncp_uy"])
    url = reverse("assessments:areatarget_edit", args=[net.uruguay.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert 'id="targets-form"' in response.content.decode()
    data = {
        "framework": kit.framework.pk,
        f"area_{areas['D1'].pk}": "3.25",
        f"area_{areas['D2'].pk}": "",
        f"area_{areas['D3'].pk}": "1",
    }
    response = client.post(url + f"?framework={kit.framework.pk}", data)
    assert response.status_code == 302
    assert targets(net.uruguay) == {"D1": Decimal("3.25"), "D3": Decimal("1.00")}
    # An impossible level comes back on its field, nothing written.
    data[f"area_{areas['D1'].pk}"] = "7"
    data[f"area_{areas['D3'].pk}"] = "2"
    response = client.post(url, data)
    assert response.status_code == 400
    assert response.context["form"].errors[f"area_{areas['D1'].pk}"]
    assert targets(net.uruguay)["D3"] == Decimal("1.00")


@pytest.mark.parametrize(("key", "status"), [("ncp_br", 403), ("partner", 403), ("rocb", 200)])
def test_targets_page_door(client, net, kit, key, status):
    client.force_login(net.users[key])
    url = reverse("assessments:areatarget_edit", args=[net.uruguay.pk])
    assert client.get(url).status_code == status
    assert client.get(url + "?framework=abc").status_code in (status, 404)


def test_targets_api(client, net, kit, areas):
    client.force_login(net.users["ncp_uy"])
    url = f"/api/assessments/targets/{net.uruguay.pk}/"
    body = client.get(url + f"?framework={kit.framework.pk}").json()
    assert body["levels"] == {"D1": None, "D2": None, "D3": None}
    assert body["max_level"] == "4"
    response = client.put(
        url,
        {"framework": kit.framework.pk, "levels": {"D1": "3.5", "D2": 2}},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["levels"]["D1"] == "3.50"
    for bad in ({"D1": 9}, {"XX": 1}, "nope"):
        response = client.put(
            url, {"framework": kit.framework.pk, "levels": bad}, content_type="application/json"
        )
        assert response.status_code == 400
    assert targets(net.uruguay) == {"D1": Decimal("3.50"), "D2": Decimal("2.00")}
    client.force_login(net.users["ncp_br"])
    assert client.get(url + f"?framework={kit.framework.pk}").status_code == 404
    response = client.put(
        url, {"framework": kit.framework.pk, "levels": {"D1": 1}}, content_type="application/json"
    )
    assert response.status_code == 404
