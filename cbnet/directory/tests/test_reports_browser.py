"""In Chromium: the region page draws its map and chart offline, downloads work, PDF link.

Runs on the PostgreSQL leg (``make test``), against the demo network.
"""

import pytest
from playwright.sync_api import expect

from cbnet.directory.tests.test_browser import demo, page, shot, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_region_page_draws_map_and_chart_from_local_assets(page, live_server, demo, tmp_path):  # noqa: F811
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, "ncp.br")
    page.goto(live_server.url + demo["ams"].get_absolute_url())
    charts = page.locator("#region-charts [data-chart-spec]")
    expect(charts).to_have_count(2)
    expect(page.locator('#region-charts [data-chart-drawn="true"]')).to_have_count(2)
    # The map: one shape per member country drawn by vega in the browser, plus markers.
    map_svg = charts.nth(0).locator("svg")
    expect(map_svg).to_have_count(1)
    assert map_svg.locator("path").count() > 10
    shot(page, tmp_path, "region-map")
    with page.expect_download() as download:
        page.locator("#region-charts .chart-download-csv").first.click()
    path = download.value.path()
    with open(path, "rb") as handle:
        assert handle.read(3) == b"\xef\xbb\xbf"
    assert download.value.suggested_filename.startswith("map-AMS-")
    pdf = page.request.get(
        live_server.url + page.locator("#ncp-directory-pdf").get_attribute("href")
    )
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert not errors
    # Everything came from the platform itself: no CDN, no tile server.
    assert all(url.startswith((live_server.url, "data:", "blob:")) for url in requested), [
        url for url in requested if not url.startswith(live_server.url)
    ]
