"""Charts: one Altair definition drawn in the browser, rendered to SVG for PDFs, downloadable.

A chart is a function registered under a name. It receives the request (so every row it reads
goes through the permission door) and the chart's parameters, and returns a ``Chart``::

    from cbnet.core.charts import Chart, register_chart

    @register_chart("directory.region_freshness")
    def region_freshness(request, region):
        ...  # rows through Organisation.objects.restrict(request.user, "view")
        chart = alt.Chart(alt.Data(values=rows)).mark_bar().encode(...)
        return Chart(chart, title=_("Members by contact freshness"), columns=[...], rows=rows)

Pages draw it with ``{% load charts %}{% chart "directory.region_freshness" region=object %}``
(vega-embed, from node_modules, no CDN); PDFs get the same chart as inline SVG (vl-convert,
no network). ``/charts/<name>/<format>/?<params>`` serves it as ``json`` (the Vega-Lite spec),
``svg``, ``png`` and ``csv`` (the chart's data, UTF-8 with BOM, formula cells neutralised).
Modules named ``charts`` in installed apps are imported on first use, so registering a chart
is just defining it in ``<app>/charts.py``. Titles and labels are translated: the function
runs in the reader's language.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import inspect
import io
import logging
from dataclasses import dataclass, field
from functools import cache

from django.utils.module_loading import autodiscover_modules
from django.utils.translation import get_language

from cbnet.core import exporting

logger = logging.getLogger(__name__)

CHARTS: dict[str, object] = {}
_discovered = False

# d3-format / d3-time-format locales for numbers and dates, per interface language.
CHART_FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
D3_LOCALES = {"en": "en-US", "es": "es-ES", "fr": "fr-FR", "pt": "pt-BR"}


class ChartError(Exception):
    """The chart cannot be drawn (unknown name, bad parameters, renderer failure)."""


@dataclass
class Chart:
    """An Altair chart with what a reader needs beside it.

    ``columns`` are ``(key, header)`` pairs of ``rows`` (plain dicts): the CSV download and
    the accessible table under the chart show them. ``filename`` is the downloads' stem.
    """

    chart: object
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict]
    description: str = ""
    filename: str = "chart"
    notes: list[str] = field(default_factory=list)
    datasets: dict = field(default_factory=dict)  # large data added after Altair (maps)

    def spec(self, validate=False) -> dict:
        return chart_spec(self.chart, validate=validate, datasets=self.datasets)

    def svg(self) -> str:
        return chart_svg(self.spec())

    def png(self) -> bytes:
        return chart_png(self.spec())

    def csv(self) -> bytes:
        return data_csv(*self.table())

    def table(self):
        """(headers, rows as lists) for the CSV and the accessible table."""
        headers = [str(header) for _key, header in self.columns]
        return headers, [[row.get(key) for key, _header in self.columns] for row in self.rows]


def register_chart(name):
    """Register ``function(request, **params) -> Chart`` under ``name``."""

    def decorator(function):
        CHARTS[name] = function
        return function

    return decorator


def get_chart_function(name):
    global _discovered
    if not _discovered:
        autodiscover_modules("charts")
        _discovered = True
    try:
        return CHARTS[name]
    except KeyError:
        raise ChartError(f"unknown chart {name!r}") from None


def chart_parameters(name):
    """Names of the parameters chart ``name`` takes (besides the request)."""
    parameters = list(inspect.signature(get_chart_function(name)).parameters)
    return parameters[1:]


def build_chart(name, request, **params) -> Chart:
    """Run chart ``name`` for ``request``; unknown parameters are refused (ChartError)."""
    function = get_chart_function(name)
    unknown = set(params) - set(chart_parameters(name))
    if unknown:
        raise ChartError(f"unknown parameters for {name}: {', '.join(sorted(unknown))}")
    return function(request, **params)


def data_csv(headers, rows) -> bytes:
    """CSV of a chart's data: exporting's format (UTF-8 with BOM, formula text neutralised,
    numbers untouched), but text kept verbatim: chart data is plain text, not table HTML,
    so a name with "<" is not stripped as markup."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([exporting.neutralise(str(header)) for header in headers])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return exporting.neutralise(str(value))


# --- rendering ------------------------------------------------------------------------


def chart_spec(chart, validate=False, datasets=None) -> dict:
    """The Vega-Lite JSON of an Altair chart (a dict; data inline, ``$schema`` set).

    ``datasets`` ({name: values}) are added to the spec's top-level datasets, for data the
    chart names with ``alt.Data(name=...)``. Validation against the Vega-Lite schema is
    for tests: it costs more than the chart.
    """
    spec = chart if isinstance(chart, dict) else chart.to_dict(validate=validate)
    if "font" not in spec.get("config", {}):
        # One font for vl-convert's text measurement and WeasyPrint's drawing, else
        # legend labels overlap in PDFs; browsers fall back to Arial-compatible fonts.
        spec = {**spec, "config": {**spec.get("config", {}), "font": CHART_FONT}}
    if datasets:
        spec = {**spec, "datasets": {**spec.get("datasets", {}), **datasets}}
    return spec


def _locale():
    return D3_LOCALES.get((get_language() or "en").split("-")[0], "en-US")


@cache
def format_locale(name):
    import vl_convert

    return vl_convert.get_format_locale(name)


@cache
def time_format_locale(name):
    import vl_convert

    return vl_convert.get_time_format_locale(name)


def browser_locale():
    """The d3 locales vega-embed needs to format numbers and dates like the server does."""
    name = _locale()
    return {"format": format_locale(name), "time": time_format_locale(name)}


def _convert(function, chart, **options):
    spec = chart_spec(chart)
    name = _locale()
    try:
        return function(
            spec,
            # No network: a spec naming an external URL fails instead of fetching it.
            allowed_base_urls=[],
            format_locale=format_locale(name),
            time_format_locale=time_format_locale(name),
            **options,
        )
    except Exception as error:  # vl-convert raises ValueError with the JavaScript error
        logger.exception("chart rendering failed")
        raise ChartError(str(error)) from error


def chart_svg(chart) -> str:
    """The chart as an SVG document (server side, vl-convert; fonts from the system)."""
    import vl_convert

    return _convert(vl_convert.vegalite_to_svg, chart)


def chart_png(chart, scale=2) -> bytes:
    import vl_convert

    return _convert(vl_convert.vegalite_to_png, chart, scale=scale)
