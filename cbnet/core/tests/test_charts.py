"""Charts: Vega-Lite specs from Altair, SVG/PNG on the server, downloads, the template tag."""

import csv
import io
import json

import altair as alt
import pytest
from django.http import Http404
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cbnet.core import charts
from cbnet.core.charts import Chart, ChartError, build_chart, chart_spec, chart_svg, register_chart
from cbnet.core.testing import factories as f

ROWS = [
    {"label": '=HYPERLINK("http://evil")', "count": 3},
    {"label": "Señal <script>alert(1)</script>", "count": -2},
    {"label": "Plain", "count": 1234.5},
]


@register_chart("tests.sample")
def sample_chart(request, size):
    """A chart over fixed rows; ``size`` must be a whole number (bad input answers 404)."""
    try:
        size = int(size)
    except ValueError:
        raise Http404 from None
    regions, organisations = _("Regions"), _("Organisations")
    chart = (
        alt.Chart(alt.Data(values=ROWS[:size]))
        .mark_bar()
        .encode(x=alt.X("count:Q", title=organisations), y=alt.Y("label:N", title=regions))
        .properties(title=regions, width=200, height=80)
    )
    return Chart(
        chart,
        title=regions,
        description="sample",
        columns=[("label", regions), ("count", organisations)],
        rows=ROWS[:size],
        filename="sample/../chart",
    )


@pytest.fixture
def net(db):
    return f.network()


def request_for(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_spec_is_valid_vega_lite_with_inline_data():
    result = sample_chart(None, "3")
    spec = result.spec(validate=True)  # raises if the spec breaks the Vega-Lite schema
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    assert spec["data"]["values"] == ROWS
    assert spec["config"]["font"] == charts.CHART_FONT
    assert "url" not in json.dumps(spec["data"])


def test_titles_and_axes_follow_the_readers_language():
    with translation.override("es"):
        spec = sample_chart(None, "3").spec(validate=True)
    assert spec["title"] == "Regiones"
    assert spec["encoding"]["x"]["title"] == "Organizaciones"
    assert spec["encoding"]["y"]["title"] == "Regiones"
    spec = sample_chart(None, "3").spec()
    assert spec["title"] == "Regions"


def test_datasets_are_added_after_altair():
    spec = chart_spec(alt.Chart(alt.Data(name="big")).mark_point(), datasets={"big": [{"a": 1}]})
    assert spec["datasets"] == {"big": [{"a": 1}]}


def test_server_side_svg_escapes_text_and_formats_numbers_in_the_readers_language():
    svg = sample_chart(None, "3").svg()
    assert svg.startswith("<svg")
    assert ">1,200<" in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    with translation.override("es"):
        spanish = sample_chart(None, "3").svg()
    assert "Regiones" in spanish
    # d3-format's Spanish locale groups thousands with a point.
    assert ">1.200<" in spanish and ">1,200<" not in spanish


def test_svg_never_fetches_external_data():
    spec = {
        "data": {"url": "http://example.com/data.csv"},
        "mark": "bar",
        "encoding": {"x": {"field": "a", "type": "quantitative"}},
    }
    with pytest.raises(ChartError, match="not allowed"):
        chart_svg(spec)


def test_png_render():
    assert sample_chart(None, "2").png().startswith(b"\x89PNG\r\n\x1a\n")


def test_unknown_chart_and_parameters_are_refused():
    with pytest.raises(ChartError):
        build_chart("tests.nothing", None)
    with pytest.raises(ChartError):
        build_chart("tests.sample", None, size="1", colour="red")


def download(client, fmt, query="?size=3", name="tests.sample"):
    return client.get(reverse("charts:download", args=[name, fmt]) + query)


def test_csv_download_has_bom_and_neutralised_formulas(client, net):
    client.force_login(net.users["reader"])
    response = download(client, "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["Regions", "Organisations"]
    assert rows[1] == ['\'=HYPERLINK("http://evil")', "3"]
    assert rows[2] == ["Señal <script>alert(1)</script>", "-2"]  # numbers stay numbers
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "/" not in disposition and ".." not in disposition and disposition.endswith('.csv"')


def test_svg_png_and_spec_downloads(client, net):
    client.force_login(net.users["reader"])
    svg = download(client, "svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<svg")
    png = download(client, "png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    spec = download(client, "json").json()
    assert spec["data"]["values"] == ROWS


def test_downloads_answer_bad_requests_clearly(client, net):
    client.force_login(net.users["reader"])
    assert download(client, "exe").status_code == 404
    assert download(client, "svg", name="tests.unknown").status_code == 404
    missing = download(client, "csv", query="")
    assert missing.status_code == 400 and b"size" in missing.content
    assert download(client, "csv", query="?size=abc").status_code == 404
    # Parameters a chart does not declare are ignored, never passed on.
    assert download(client, "csv", query="?size=1&colour=red").status_code == 200


def test_downloads_need_a_signed_in_user(client, net):
    response = download(client, "csv")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_renderer_failure_is_a_clear_503_not_a_500(client, net, monkeypatch):
    client.force_login(net.users["reader"])

    def broken(chart):
        raise ChartError("boom")

    monkeypatch.setattr(Chart, "svg", broken)
    response = download(client, "svg")
    assert response.status_code == 503
    assert b"could not be drawn" in response.content


def render(source, user, **context):
    template = Template("{% load charts %}" + source)
    return template.render(Context({"request": request_for(user), **context}))


def test_tag_renders_container_spec_downloads_and_accessible_table(net):
    html = render('{% chart "tests.sample" size=3 %}', net.users["reader"])
    assert 'data-chart-spec="chart-' in html
    assert 'type="application/json"' in html
    # json_script escapes markup, so a name cannot close the script element.
    assert "<script>alert" not in html.split('type="application/json"')[1].split("</script>")[0]
    assert "/charts/tests.sample/svg/?size=3" in html
    assert "/charts/tests.sample/png/?size=3" in html
    assert "/charts/tests.sample/csv/?size=3" in html
    assert 'class="visually-hidden"' in html and '<th scope="col">Regions</th>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # table cells escaped
    assert 'role="img"' in html and "aria-describedby" in html


def test_tag_passes_model_instances_by_pk(net):
    html = render('{% chart "tests.sample" size=obj %}', net.users["reader"], obj=FakeRow(2))
    assert "?size=2" in html


class FakeRow:
    def __init__(self, pk):
        self.pk = pk


def test_tag_in_a_pdf_renders_inline_svg(net):
    html = render('{% chart "tests.sample" size=3 %}', net.users["reader"], pdf=True)
    assert "<svg" in html and "data-chart-spec" not in html and "vega" not in html.lower()


def test_chart_scripts_load_vega_from_static_files_with_the_locale(net):
    with translation.override("fr"):
        html = Template("{% load charts %}{% chart_scripts %}").render(Context({}))
    for name in ("vega/vega.min.js", "vega-lite/vega-lite.min.js", "vega-embed/vega-embed.min.js"):
        assert f"/static/vendor/{name}" in html
    assert "cbnet/charts.js" in html and "http" not in html
    locale = json.loads(
        html.split('id="cbnet-chart-locale" type="application/json">')[1].split("<")[0]
    )
    assert locale["format"]["decimal"] == ","
