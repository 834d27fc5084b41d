"""Chart downloads: ``/charts/<name>/<format>/?<params>`` (format: json, svg, png, csv).

The chart function reads its rows through the permission door, so a download shows exactly
what the page shows to the same user; a record the user may not see answers 404.
"""

import logging

from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cbnet.core import exporting
from cbnet.core.charts import ChartError, build_chart, chart_parameters, get_chart_function
from cbnet.core.pdf import attachment

logger = logging.getLogger(__name__)

FORMATS = {
    "json": "application/json",
    "svg": "image/svg+xml",
    "png": "image/png",
    "csv": exporting.CSV_CONTENT_TYPE,
}


def chart_params(name, query):
    """The chart's parameters from a query string (only those it declares)."""
    return {key: query[key] for key in chart_parameters(name) if key in query}


@require_GET
def chart_download(request, name, fmt):
    if fmt not in FORMATS:
        raise Http404
    try:
        get_chart_function(name)
    except ChartError:
        raise Http404 from None
    params = chart_params(name, request.GET)
    missing = [key for key in chart_parameters(name) if key not in params]
    if missing:
        return HttpResponseBadRequest(
            _("This chart needs: %(names)s.") % {"names": ", ".join(missing)},
            content_type="text/plain; charset=utf-8",
        )
    chart = build_chart(name, request, **params)
    try:
        if fmt == "json":
            return JsonResponse(chart.spec())
        if fmt == "svg":
            body = chart.svg()
        elif fmt == "png":
            body = chart.png()
        else:
            body = chart.csv()
    except ChartError:
        return HttpResponse(
            _("The chart could not be drawn; the error has been logged."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(body, content_type=FORMATS[fmt])
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = attachment(f"{chart.filename}-{stamp}.{fmt}")
    return response


app_name = "charts"
urlpatterns = [path("<str:name>/<str:fmt>/", chart_download, name="download")]
