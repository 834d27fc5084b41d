"""BaseModelSerializer.to_representation's fast path gives DRF's own representation."""

import json

import pytest
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from cbnet.capabilities import api as capabilities_api
from cbnet.capabilities.models import Area, Framework
from cbnet.core.testing import factories as f
from cbnet.directory import api as directory_api
from cbnet.directory.models import Person

VIEWSETS = [
    directory_api.RegionViewSet,
    directory_api.OrganisationViewSet,
    directory_api.PersonViewSet,
    directory_api.AppointmentViewSet,
    capabilities_api.FrameworkViewSet,
    capabilities_api.AreaViewSet,
]


@pytest.mark.django_db
@pytest.mark.parametrize("viewset", VIEWSETS)
def test_fast_representation_matches_drf(viewset):
    net = f.network()
    person = Person.objects.exclude(organisation=None).first()
    person.languages = ["es", "en"]
    person.save()
    framework = Framework.objects.create(code="tfa", kind="tfa", name="TFA")
    framework.name = framework.name.with_text("es", "AFC")
    framework.save()
    top = Area.objects.create(framework=framework, code="1", name="Publication")
    child = Area.objects.create(framework=framework, parent=top, code="1.1", name="Internet")
    person.expertise.set([top, child])
    request = Request(APIRequestFactory().get("/api/", HTTP_HOST="testserver"))
    request.user = net.people["secretariat"].user
    view = viewset()
    view.request, view.action, view.format_kwarg, view.kwargs = request, "list", None, {}
    rows = list(view.get_queryset())
    assert rows
    serializer = view.get_serializer(rows, many=True)
    fast = json.dumps(serializer.data, default=str, sort_keys=True)
    slow = [serializers.Serializer.to_representation(serializer.child, row) for row in rows]
    assert fast == json.dumps(slow, default=str, sort_keys=True)
    first = serializer.data[0]
    assert first["url"] == serializer.child._url(type(rows[0]), rows[0].pk)
    assert first["url"].startswith("http://testserver/api/")
    if viewset is directory_api.PersonViewSet:
        assert sorted(r["expertise"] for r in serializer.data)[-1] == sorted([top.pk, child.pk])
