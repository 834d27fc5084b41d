import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cbnet.capabilities.models import Area, Framework, MaturityLevel, MaturityScale
from cbnet.capabilities.views import area_tree
from cbnet.core.testing.factories import network
from cbnet.core.text import normalize


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


def test_pages_show_names_in_the_readers_language_and_fall_back_visibly(client, db):
    from django.conf import settings

    from cbnet.capabilities.services import load_frameworks

    load_frameworks()
    net = network()
    diagnostic = Framework.objects.get(code="wco-diagnostic")
    area = diagnostic.areas.get(code="D7")
    area.name = {
        "original": "en",
        "texts": {
            "en": {"text": "Integrity", "status": "original"},
            "es": {"text": "Integridad", "status": "translated"},
        },
    }
    area.save()
    client.force_login(net.users["reader"])
    url = reverse("capabilities:framework_detail", args=[diagnostic.pk])

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = client.get(url).content.decode()
    assert '<h1 class="h3"><span lang="es">Diagnóstico de fortalecimiento' in page
    assert '<span lang="es">Integridad</span>' in page
    assert '<span lang="es">Gestión estratégica</span>' in page
    assert "ml-fallback" not in page

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(url).content.decode()
    assert '<span lang="fr">Gestion stratégique</span>' in page
    # Integrity has no French: the English original, marked as such
    fallback = re.search(
        r'<span lang="en">Integrity</span> <span class="badge[^"]*ml-fallback">', page
    )
    assert fallback is not None
    assert page.count("ml-fallback") == 1

    scale_url = reverse(
        "capabilities:maturityscale_detail",
        args=[MaturityScale.objects.get(code="wco-maturity").pk],
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt"
    page = client.get(scale_url).content.decode()
    level = MaturityLevel.objects.get(scale__code="wco-maturity", level=2)
    assert f'<span lang="pt">{level.descriptor.get("pt")}</span>' in page


def test_framework_search_finds_names_in_any_language(db):
    from cbnet.capabilities.services import load_frameworks

    load_frameworks()
    for word in ("integrite", "Integridad", "INTEGRITY"):
        found = Area.objects.filter(search_text__contains=normalize(word))
        assert ("wco-diagnostic", "D7") in {(a.framework.code, a.code) for a in found}, word
