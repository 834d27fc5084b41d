"""The Secretariat edits capability names in the admin, languages side by side."""

import pytest

from cbnet.capabilities.models import Area, Framework
from cbnet.core.testing import factories

pytestmark = pytest.mark.django_db


def test_admin_edits_an_area_name_language_by_language(client):
    net = factories.network()
    user = net.users["secretariat"]
    user.is_staff = True
    user.save()
    client.force_login(user)
    framework = Framework.objects.create(code="adm", kind="other", name="Framework")
    area = Area.objects.create(
        framework=framework,
        code="1",
        name={
            "original": "en",
            "texts": {
                "en": {"text": "Integrity", "status": "original"},
                "es": {"text": "Integridad", "status": "translated"},
            },
        },
    )
    url = f"/admin/capabilities/area/{area.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="name__es__text"' in page and ">Integridad</textarea>" in page
    assert 'name="name__new__code"' in page

    response = client.post(
        url,
        {
            "framework": framework.pk,
            "code": "1",
            "position": 0,
            "name__en__text": "Integrity and ethics",
            "name__en__status": "original",
            "name__es__text": "Integridad",
            "name__es__status": "translated",
            "name__new__code": "it",
            "name__new__text": "Integrità",
            "name__new__status": "translated",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    area.refresh_from_db()
    assert area.name.get("it") == "Integrità"
    assert area.name.status("es") == "needs_review"  # the English original changed
    assert area.history.first().history_user == user
