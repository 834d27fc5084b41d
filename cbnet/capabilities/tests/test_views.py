import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cbnet.capabilities.models import Area, Framework, MaturityLevel, MaturityScale
from cbnet.capabilities.views import area_tree
from cbnet.core.testing.factories import network


@pytest.fixture
def framework(db):
    framework = Framework.objects.create(code="tfa-test", kind="tfa", name="TFA")
    one = Area.objects.create(framework=framework, code="1", name="Publication", position=1)
    Area.objects.create(
        framework=framework, code="1.2", name="Enquiry points", parent=one, position=2
    )
    Area.objects.create(framework=framework, code="1.1", name="Publication", parent=one, position=1)
    Area.objects.create(framework=framework, code="2", name="Comments", position=2)
    return framework


def test_area_tree_orders_by_parent_and_sets_depth(framework):
    tree = area_tree(list(framework.areas.all()))
    assert [(a.code, a.depth) for a in tree] == [("1", 0), ("1.1", 1), ("1.2", 1), ("2", 0)]


def test_framework_pages(client, framework):
    net = network()
    client.force_login(net.users["reader"])
    assert b"TFA" in client.get(reverse("capabilities:framework_list")).content
    url = reverse("capabilities:framework_detail", args=[framework.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    assert 'class="area-depth-1"' in page and 'id="area-1.2"' in page
    parent = framework.areas.get(code="2")
    for number in range(1, 6):
        Area.objects.create(framework=framework, code=f"2.{number}", name="x", parent=parent)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_maturity_scale_page(client, db):
    net = network()
    scale = MaturityScale.objects.create(code="maturity", name="Maturity")
    MaturityLevel.objects.create(scale=scale, level=0, name="Absent", descriptor="Nothing yet")
    client.force_login(net.users["reader"])
    page = client.get(reverse("capabilities:maturityscale_detail", args=[scale.pk]))
    assert page.status_code == 200 and b"Nothing yet" in page.content


def test_anonymous_is_sent_to_login(client, framework):
    response = client.get(reverse("capabilities:framework_detail", args=[framework.pk]))
    assert response.status_code == 302
