"""The results API: scores of one assessment, target levels, and the region view.

- ``GET /api/assessments/scores/<assessment_id>/``: the assessment's scores (404 if it is not
  yours to see), per area: ``score``, ``completeness``, ``answered``, ``questions``,
  ``target``, ``gap`` (numbers rounded to 2 decimals, as strings; ``null`` when missing).
- ``GET /api/assessments/targets/<organisation_id>/?framework=<id>``: the target levels;
  ``PUT`` the same URL ``{"framework": 1, "levels": {"D1": "3.5", "D2": null}}`` sets them
  all or nothing (``null`` removes one): 400 naming the area, 403 for who may not set them.
- ``GET /api/assessments/results/region/?questionnaire=<code>&round=&subregion=&region=``:
  ROCB officers and the Secretariat get every administration they may see (latest validated
  assessment of the code) with its area scores and trend, and the area means; an
  administration's NCPs and head get ``own`` results and the region's ``averages`` (``mean``
  is null for an area scored by fewer than 3 administrations); anyone else 403.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from cbnet.assessments import scoring
from cbnet.assessments.models import AreaTarget, Assessment
from cbnet.assessments.results_forms import RegionResultsForm
from cbnet.assessments.services import targets as target_services
from cbnet.assessments.views import results as views
from cbnet.capabilities.models import Framework
from cbnet.core import permissions
from cbnet.directory.models import Organisation


def _number(value):
    return None if value is None else str(value)


def area_json(area):
    return {
        "area": area.area.code,
        "area_id": area.area.pk,
        "name": str(area.area.name),
        "score": _number(scoring.display(area.score)),
        "completeness": _number(scoring.display(area.completeness, 4)),
        "answered": area.answered,
        "questions": area.questions,
        "target": _number(scoring.display(area.target)),
        "gap": _number(scoring.display(area.gap)),
    }


def score_json(score):
    return {
        "framework_score": _number(scoring.display(score.framework_score)),
        "completeness": _number(scoring.display(score.completeness, 4)),
        "unscored_areas": [a.code for a in score.unscored_areas],
        "areas": [area_json(a) for a in score.areas],
    }


class AssessmentScoresView(APIView):
    """The scores of one assessment you may see (404 otherwise)."""

    @extend_schema(operation_id="assessment_scores", responses={200: dict})
    def get(self, request, pk):
        queryset = Assessment.objects.select_related("organisation", "round")
        assessment = get_object_or_404(queryset.restrict(request.user, "view"), pk=pk)
        score = scoring.score_assessment(assessment)
        return Response(
            {
                "assessment": assessment.pk,
                "organisation": assessment.organisation_id,
                "round": assessment.round_id,
                "status": assessment.status,
                **score_json(score),
            }
        )


class TargetsView(APIView):
    """An administration's target level per area of a framework."""

    def organisation(self, request, pk):
        queryset = Organisation.objects.restrict(request.user, "view").filter(
            kind="member_administration"
        )
        organisation = get_object_or_404(queryset, pk=pk)
        if not target_services.may_set_targets(request.user, organisation):
            raise Http404
        return organisation

    def framework(self, value):
        try:
            return Framework.objects.get(pk=int(value))
        except (TypeError, ValueError, Framework.DoesNotExist):
            raise ValidationError({"framework": ["Unknown framework."]}) from None

    def payload(self, organisation, framework):
        targets = {
            t.area_id: t.level
            for t in AreaTarget.objects.filter(organisation=organisation, area__framework=framework)
        }
        return {
            "organisation": organisation.pk,
            "framework": framework.pk,
            "max_level": str(target_services.scale_max(framework)),
            "levels": {
                area.code: _number(targets.get(area.pk))
                for area in framework.areas.order_by("position", "code")
            },
        }

    @extend_schema(
        operation_id="assessment_targets",
        parameters=[OpenApiParameter("framework", int, required=True)],
        responses={200: dict},
    )
    def get(self, request, pk):
        organisation = self.organisation(request, pk)
        framework = self.framework(request.query_params.get("framework"))
        return Response(self.payload(organisation, framework))

    @extend_schema(operation_id="assessment_targets_update", request=dict, responses={200: dict})
    def put(self, request, pk):
        organisation = self.organisation(request, pk)
        data = request.data if isinstance(request.data, dict) else {}
        framework = self.framework(data.get("framework"))
        levels = data.get("levels")
        if not isinstance(levels, dict):
            raise ValidationError({"levels": ["An object of area code: level (or null)."]})
        areas = {a.code: a for a in framework.areas.all()}
        unknown = sorted(str(code) for code in levels if code not in areas)
        if unknown:
            raise ValidationError({"levels": [f"Unknown areas: {', '.join(unknown)}."]})
        try:
            target_services.set_targets(
                organisation,
                {areas[code]: level for code, level in levels.items()},
                user=request.user,
            )
        except DjangoPermissionDenied:
            raise PermissionDenied from None
        except DjangoValidationError as error:
            raise ValidationError({"levels": error.messages}) from None
        return Response(self.payload(organisation, framework))


PARAMETERS = {"questionnaire", "round", "subregion", "region"}


class RegionResultsView(APIView):
    """The region view's numbers (see the module docstring for who gets what)."""

    @extend_schema(
        operation_id="assessment_region_results",
        parameters=[
            OpenApiParameter("questionnaire", str, description="A questionnaire code."),
            OpenApiParameter("round", int),
            OpenApiParameter("subregion", int),
            OpenApiParameter("region", int, description="Secretariat only."),
        ],
        responses={200: dict},
    )
    def get(self, request):
        unknown = sorted(set(request.query_params) - PARAMETERS)
        if unknown:
            raise ValidationError({name: ["Unknown parameter."] for name in unknown})
        actor = permissions.get_actor(request.user)
        if not (actor.is_secretariat or actor.is_rocb or actor.assessment_org_ids):
            raise PermissionDenied
        data = QueryDict(mutable=True)
        data.update({k: v for k, v in request.query_params.items() if v})
        form = RegionResultsForm(data, user=request.user)
        if not form.is_valid():
            raise ValidationError(form.errors.get_json_data())
        values = form.cleaned_data
        try:
            results = views.region_results(
                request.user,
                values["questionnaire"],
                region=values.get("region"),
                round_=values.get("round"),
                subregion=values.get("subregion"),
            )
        except DjangoPermissionDenied:
            raise PermissionDenied from None
        averages = {
            s.area.code: {"mean": _number(s.display), "administrations": s.count}
            for s in results.summaries
        }
        areas = [{"id": a.pk, "code": a.code, "name": str(a.name)} for a in results.areas]

        def item_json(item, with_trend):
            row = {
                "organisation": {"id": item.organisation.pk, "name": item.organisation.name},
                "assessment": item.assessment.pk,
                "round": {"id": item.assessment.round_id, "name": item.assessment.round.name},
                **score_json(item.score),
            }
            if with_trend:
                row["trend"] = [
                    {"round": r.pk, "name": r.name, "framework_score": _number(s)}
                    for r, s in item.trend
                ]
            return row

        body = {"questionnaire": results.code, "areas": areas, "averages": averages}
        if results.overseer:
            body["administrations"] = [item_json(i, True) for i in results.administrations]
            body["weakest_areas"] = [s.area.code for s in results.weakest]
        else:
            body["own"] = [item_json(i, False) for i in results.own]
            body["minimum_administrations"] = views.MIN_GROUP
        return Response(body)


urlpatterns = [
    path(
        "assessments/scores/<int:pk>/",
        AssessmentScoresView.as_view(),
        name="assessments-scores",
    ),
    path(
        "assessments/targets/<int:pk>/",
        TargetsView.as_view(),
        name="assessments-targets",
    ),
    path(
        "assessments/results/region/",
        RegionResultsView.as_view(),
        name="assessments-region-results",
    ),
]
