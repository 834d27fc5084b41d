"""Assessment charts: one assessment's scores against its targets, and the region heatmap.

Both read through the permission door (the request's user), like the pages that show them.
"""

import altair as alt
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from cbnet.assessments import scoring
from cbnet.assessments.models import Assessment
from cbnet.core.charts import Chart, register_chart


def _number(value):
    return None if value is None else float(value)


def _assessment_score(request, assessment):
    cache = request.__dict__.setdefault("_cbnet_assessment_scores", {})
    if assessment not in cache:
        try:
            pk = int(assessment)
        except (TypeError, ValueError):
            raise Http404 from None
        queryset = Assessment.objects.select_related("organisation", "round")
        obj = get_object_or_404(queryset.restrict(request.user, "view"), pk=pk)
        cache[assessment] = (obj, scoring.score_assessment(obj))
    return cache[assessment]


@register_chart("assessments.assessment_scores")
def assessment_scores(request, assessment):
    """Score and target per area (grouped bars); areas without a score show their target."""
    obj, score = _assessment_score(request, assessment)
    score_label, target_label = _("Score"), _("Target")
    rows = []
    for area in score.areas:
        label = f"{area.area.code} {area.area.name}"
        rows.append(
            {
                "area": label,
                "score": _number(scoring.display(area.score)),
                "target": _number(scoring.display(area.target)),
                "gap": _number(scoring.display(area.gap)),
            }
        )
    long_rows = [
        {"area": row["area"], "measure": measure, "value": row[key]}
        for row in rows
        for key, measure in (("score", score_label), ("target", target_label))
        if row[key] is not None
    ]
    area_title, level_title, measure_title = _("Capability area"), _("Level"), _("Measure")
    chart = (
        alt.Chart(alt.Data(values=long_rows))
        .mark_bar()
        .encode(
            y=alt.Y("area:N", title=area_title, sort=None),
            x=alt.X("value:Q", title=level_title, scale=alt.Scale(domain=[0, 4])),
            yOffset=alt.YOffset("measure:N", sort=[score_label, target_label]),
            color=alt.Color(
                "measure:N",
                title=measure_title,
                scale=alt.Scale(domain=[score_label, target_label], range=["#0d6efd", "#adb5bd"]),
            ),
            tooltip=[
                alt.Tooltip("area:N", title=area_title),
                alt.Tooltip("measure:N", title=measure_title),
                alt.Tooltip("value:Q", title=level_title, format=".2f"),
            ],
        )
        .properties(width=420)
    )
    return Chart(
        chart,
        title=_("Score and target by capability area"),
        columns=[
            ("area", area_title),
            ("score", score_label),
            ("target", target_label),
            ("gap", _("Gap")),
        ],
        rows=rows,
        filename=f"scores-{obj.pk}",
    )


def region_results_for(request, params):
    """The region view's results for the chart (cached per request and parameters)."""
    from cbnet.assessments.results_forms import RegionResultsForm
    from cbnet.assessments.views.results import region_results

    key = tuple(sorted(params.items()))
    cache = request.__dict__.setdefault("_cbnet_region_results", {})
    if key not in cache:
        data = QueryDict(mutable=True)
        data.update({k: v for k, v in params.items() if v})
        form = RegionResultsForm(data, user=request.user)
        if not form.is_valid():
            raise Http404
        values = form.cleaned_data
        cache[key] = region_results(
            request.user,
            values["questionnaire"],
            region=values.get("region"),
            round_=values.get("round"),
            subregion=values.get("subregion"),
        )
    return cache[key]


@register_chart("assessments.region_heatmap")
def region_heatmap(request, questionnaire, round="", subregion="", region=""):  # noqa: A002
    """Administrations × areas, coloured by score (ROCB officers and the Secretariat only)."""
    results = region_results_for(
        request,
        {"questionnaire": questionnaire, "round": round, "subregion": subregion, "region": region},
    )
    if not results.overseer:
        raise Http404
    administration_title, area_title = _("Administration"), _("Capability area")
    score_title = _("Score")
    rows = []
    for item in results.administrations:
        for area, value in zip(results.areas, item.cells(results.areas), strict=True):
            rows.append(
                {
                    "administration": item.organisation.name,
                    "area": f"{area.code} {area.name}",
                    "score": _number(value),
                }
            )
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_rect()
        .encode(
            x=alt.X("area:N", title=area_title, sort=None),
            y=alt.Y("administration:N", title=administration_title, sort=None),
            color=alt.Color(
                "score:Q",
                title=score_title,
                scale=alt.Scale(domain=[0, 4], scheme="redyellowgreen"),
            ),
            tooltip=[
                alt.Tooltip("administration:N", title=administration_title),
                alt.Tooltip("area:N", title=area_title),
                alt.Tooltip("score:Q", title=score_title, format=".2f"),
            ],
        )
        .properties(width=alt.Step(48), height=alt.Step(16))
    )
    return Chart(
        chart,
        title=_("Scores by administration and capability area"),
        columns=[
            ("administration", administration_title),
            ("area", area_title),
            ("score", score_title),
        ],
        rows=rows,
        filename=f"heatmap-{results.code}",
    )
