import pytest
from django.urls import reverse

from cbnet.core.testing import factories as f


@pytest.fixture
def net(db):
    return f.network()


def test_smoke(client, net):
    client.force_login(net.users["ncp_br"])
    response = client.get(reverse("directory:region_detail", args=[net.ams.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "chart-download-svg" in html
    open("/tmp/smoke/region.html", "w").write(html)
    response = client.get(reverse("directory:region_ncps_pdf", args=[net.ams.pk]))
    assert response.status_code == 200, response.content[:500]
    open("/tmp/smoke/ncps.pdf", "wb").write(response.content)
    for fmt in ("svg", "png", "csv", "json"):
        response = client.get(
            reverse("charts:download", args=["directory.region_map", fmt]) + f"?region={net.ams.pk}"
        )
        assert response.status_code == 200, (fmt, response.content[:300])
