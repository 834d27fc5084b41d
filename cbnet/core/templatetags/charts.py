"""``{% chart name key=value %}`` draws a registered chart (cbnet/core/charts.py).

On a page it renders a container that vega-embed fills, the spec as ``json_script``, links to
download the chart as SVG and PNG and its data as CSV, and the data as a visually hidden
table for screen readers. In a PDF (``pdf`` in the context, set by ``render_pdf``) it
renders the chart as inline SVG. ``{% map %}`` is the same tag under the name maps use.
``{% chart_scripts %}`` goes in the page's ``extra_js`` block: it loads vega, vega-lite,
vega-embed (served from node_modules, no CDN) and cbnet/charts.js.
"""

import itertools
from urllib.parse import urlencode

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from cbnet.core.charts import ChartError, browser_locale, build_chart

register = template.Library()


def _param(value):
    return str(getattr(value, "pk", value))


@register.simple_tag(takes_context=True)
def chart(context, name, **params):
    request = context["request"]
    params = {key: _param(value) for key, value in params.items()}
    result = build_chart(name, request, **params)
    headers, rows = result.table()
    # Ids unique within the response (charts may sit in included templates), and the same
    # on every render of the page.
    ids = request.__dict__.setdefault("_cbnet_chart_ids", itertools.count(1))
    chart_id = f"chart-{next(ids)}"
    base = {
        "chart": result,
        "headers": headers,
        "rows": rows,
        "chart_id": chart_id,
        "spec_id": f"{chart_id}-spec",
    }
    if context.get("pdf"):
        try:
            base["svg"] = mark_safe(result.svg())  # vl-convert escapes the chart's texts
        except ChartError:
            base["svg"] = None
        return render_to_string("core/chart_pdf.html", base, request=request)
    query = urlencode(params)

    def url(fmt):
        return reverse("charts:download", args=[name, fmt]) + (f"?{query}" if query else "")

    base.update(
        spec=result.spec(),
        downloads=[("svg", "SVG", url("svg")), ("png", "PNG", url("png"))],
        csv_url=url("csv"),
    )
    return render_to_string("core/chart.html", base, request=request)


register.simple_tag(chart, takes_context=True, name="map")


@register.inclusion_tag("core/chart_scripts.html")
def chart_scripts():
    return {"locale": browser_locale()}
