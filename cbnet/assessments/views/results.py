"""Assessment results: scores of one assessment, targets, and the region view.

- ``score_context(assessment, user)`` + ``assessments/_scores.html``: the scores table and
  chart any assessment page can include.
- ``assessments:assessment_results`` (``/assessments/assessments/<pk>/results/``) and
  ``assessment_results_pdf``: the results page and its PDF.
- ``assessments:areatarget_edit`` (``/assessments/targets/<organisation>/``): the
  administration's target level per area of a framework.
- ``assessments:region_results`` (``/assessments/results/``), ``region_results_export``
  (XLSX) and ``region_results_pdf``: for ROCB officers and the Secretariat, a heatmap of
  administrations × areas, trends and the weakest areas; for an administration's NCPs and
  head, their own results beside the regional average (never another member's results).

Rows come through the permission door. The one exception is the regional average shown to
an administration: an aggregate over the region's validated assessments, shown only for
areas scored by at least ``MIN_GROUP`` administrations (fewer would reveal a member's score).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from cbnet.assessments import scoring
from cbnet.assessments.choices import AssessmentStatus
from cbnet.assessments.models import Assessment, Questionnaire
from cbnet.assessments.results_forms import RegionResultsForm, TargetsForm
from cbnet.assessments.services import targets as target_services
from cbnet.assessments.services.targets import may_set_targets
from cbnet.capabilities.models import Framework
from cbnet.core import exporting, permissions
from cbnet.core.models import StaleObjectError
from cbnet.core.pdf import render_pdf, safe_filename
from cbnet.directory.models import Organisation

# A regional average over fewer administrations is not shown to an administration.
MIN_GROUP = 3


# --- one assessment --------------------------------------------------------------------


def score_rows(score):
    """Display rows of an AssessmentScore: one per area (numbers rounded for people)."""
    return [
        {
            "area": area.area,
            "code": area.area.code,
            "name": str(area.area.name),
            "score": scoring.display(area.score),
            "completeness": scoring.percent(area.completeness),
            "answered": area.answered,
            "questions": area.questions,
            "target": scoring.display(area.target),
            "gap": scoring.display(area.gap),
        }
        for area in score.areas
    ]


def score_context(assessment, user):
    """Context for ``{% include "assessments/_scores.html" %}`` on any assessment page.

    ``assessment`` must already come through the permission door (the caller's page)."""
    score = scoring.score_assessment(assessment)
    organisation = assessment.organisation
    framework_id = assessment.round.questionnaire.framework_id
    return {
        "scores": score,
        "score_rows": score_rows(score),
        "framework_score": scoring.display(score.framework_score),
        "completeness": scoring.percent(score.completeness),
        "unscored_areas": score.unscored_areas,
        "has_scores": bool(score.scored_areas),
        "score_assessment": assessment,
        "results_url": reverse("assessments:assessment_results", args=[assessment.pk]),
        "results_pdf_url": reverse("assessments:assessment_results_pdf", args=[assessment.pk]),
        "targets_url": (
            reverse("assessments:areatarget_edit", args=[organisation.pk])
            + f"?framework={framework_id}"
            if may_set_targets(user, organisation)
            else None
        ),
    }


def _assessment(request, pk):
    queryset = Assessment.objects.select_related(
        "organisation", "round__questionnaire__framework", "round__region"
    )
    return get_object_or_404(queryset.restrict(request.user, "view"), pk=pk)


class AssessmentResultsView(View):
    def get(self, request, pk):
        assessment = _assessment(request, pk)
        context = {"object": assessment, **score_context(assessment, request.user)}
        return render(request, "assessments/results.html", context)


class AssessmentResultsPdfView(View):
    def get(self, request, pk):
        assessment = _assessment(request, pk)
        today = timezone.localdate()
        context = {
            "object": assessment,
            "generated_on": today,
            **score_context(assessment, request.user),
        }
        name = f"results-{assessment.organisation.name}-{assessment.round.name}.pdf"
        return render_pdf(request, "assessments/results_pdf.html", context, safe_filename(name))


# --- targets ---------------------------------------------------------------------------


class TargetsView(View):
    """One level per area of a framework for one administration (blank: no target)."""

    def organisation(self, request, pk):
        queryset = Organisation.objects.restrict(request.user, "view").filter(
            kind="member_administration"
        )
        organisation = get_object_or_404(queryset, pk=pk)
        if not may_set_targets(request.user, organisation):
            raise PermissionDenied
        return organisation

    def framework(self, request):
        frameworks = Framework.objects.filter(questionnaires__isnull=False).distinct()
        value = request.GET.get("framework") or request.POST.get("framework")
        if value:
            try:
                return get_object_or_404(frameworks, pk=int(value))
            except ValueError:
                raise Http404 from None
        framework = frameworks.order_by("code").first()
        if framework is None:
            raise Http404
        return framework

    def get(self, request, pk):
        organisation = self.organisation(request, pk)
        framework = self.framework(request)
        form = TargetsForm(organisation=organisation, framework=framework)
        return self.render(request, organisation, framework, form)

    def post(self, request, pk):
        organisation = self.organisation(request, pk)
        framework = self.framework(request)
        form = TargetsForm(request.POST, organisation=organisation, framework=framework)
        if form.is_valid():
            try:
                changed = target_services.set_targets(
                    organisation, form.levels(), user=request.user
                )
            except (ValidationError, StaleObjectError) as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                if changed:
                    messages.success(request, _("Target levels saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                url = reverse("assessments:areatarget_edit", args=[organisation.pk])
                return redirect(f"{url}?framework={framework.pk}")
        return self.render(request, organisation, framework, form, status=400)

    def render(self, request, organisation, framework, form, status=200):
        frameworks = Framework.objects.filter(questionnaires__isnull=False).distinct()
        context = {
            "organisation": organisation,
            "framework": framework,
            "frameworks": frameworks.order_by("code"),
            "form": form,
        }
        return render(request, "assessments/targets.html", context, status=status)


# --- the region view -------------------------------------------------------------------


@dataclass
class AdministrationResult:
    organisation: Organisation
    assessment: Assessment
    score: scoring.AssessmentScore
    trend: list = field(default_factory=list)  # [(round, framework score)] oldest first

    @property
    def framework_score(self):
        return scoring.display(self.score.framework_score)

    def cells(self, areas):
        by_area = self.score.by_area_id()
        return [scoring.display(by_area[a.pk].score) if a.pk in by_area else None for a in areas]


@dataclass
class AreaSummary:
    area: object
    mean: object  # Fraction or None
    count: int  # administrations with a score in the area

    @property
    def display(self):
        return scoring.display(self.mean)


@dataclass
class RegionResults:
    code: str
    overseer: bool
    areas: list = field(default_factory=list)
    administrations: list = field(default_factory=list)  # AdministrationResult, by name
    summaries: list = field(default_factory=list)  # AreaSummary per area, framework order
    own: list = field(default_factory=list)  # an administration's own results (not overseer)

    @property
    def weakest(self):
        scored = [s for s in self.summaries if s.mean is not None]
        return sorted(scored, key=lambda s: (s.mean, s.area.position))

    def average(self, area_id):
        for summary in self.summaries:
            if summary.area.pk == area_id:
                return summary
        return None


def is_overseer(user):
    actor = permissions.get_actor(user)
    return actor.is_secretariat or actor.is_rocb


def _latest(assessments):
    """The latest assessment per organisation (by round opening, then validation)."""
    latest = {}
    for assessment in sorted(
        assessments,
        key=lambda a: (a.round.opens_on, a.validated_at or a.created),
        reverse=True,
    ):
        latest.setdefault(assessment.organisation_id, assessment)
    return latest


def _summaries(areas, scores):
    per_area = defaultdict(list)
    for score in scores:
        for area in score.areas:
            if area.score is not None:
                per_area[area.area.pk].append(area.score)
    return [AreaSummary(a, scoring.mean(per_area[a.pk]), len(per_area[a.pk])) for a in areas]


def _areas(scores):
    areas = {}
    for score in scores:
        for area in score.areas:
            areas[area.area.pk] = area.area
    return sorted(areas.values(), key=lambda a: (a.position, a.code))


def _validated(code, *, region=None, round_=None, subregion=None):
    queryset = Assessment.objects.filter(
        status=AssessmentStatus.VALIDATED,
        round__questionnaire__code=code,
        archived_at__isnull=True,
        round__archived_at__isnull=True,
    ).select_related("organisation", "round")
    if region is not None:
        queryset = queryset.filter(round__region=region)
    if subregion is not None:
        queryset = queryset.filter(organisation__subregion=subregion)
    if round_ is not None:
        queryset = queryset.filter(round=round_)
    return queryset


def region_results(user, code, *, region=None, round_=None, subregion=None):
    """The region view's numbers for ``user``.

    ROCB officers and the Secretariat: every administration they may see (``restrict``)
    with its latest validated assessment of questionnaire ``code`` (any version: questions
    compare by code, areas by the framework), its trend over rounds, and the area means.
    An administration's NCPs and head: ``own`` results only, and the area means of their
    region where at least ``MIN_GROUP`` administrations have a score.
    A constant number of queries whatever the number of administrations.
    """
    overseer = is_overseer(user)
    result = RegionResults(code=code, overseer=overseer)
    if overseer:
        visible = list(_validated(code, region=region, subregion=subregion).restrict(user, "view"))
        scores = scoring.score_assessments([a.pk for a in visible], with_targets=False)
        chosen = [a for a in visible if round_ is None or a.round_id == round_.pk]
        latest = _latest(chosen)
        trends = defaultdict(list)
        for assessment in sorted(visible, key=lambda a: (a.round.opens_on, a.round.name)):
            trends[assessment.organisation_id].append(
                (assessment.round, scoring.display(scores[assessment.pk].framework_score))
            )
        latest_scores = [scores[a.pk] for a in latest.values()]
        result.areas = _areas(latest_scores)
        result.administrations = sorted(
            (
                AdministrationResult(a.organisation, a, scores[a.pk], trends[a.organisation_id])
                for a in latest.values()
            ),
            key=lambda r: r.organisation.name,
        )
        result.summaries = _summaries(result.areas, latest_scores)
        return result

    actor = permissions.get_actor(user)
    own_orgs = list(
        Organisation.objects.restrict(user, "view").filter(pk__in=actor.assessment_org_ids)
    )
    if not own_orgs:
        raise PermissionDenied
    own = _latest(
        _validated(code, round_=round_).filter(organisation__in=own_orgs).restrict(user, "view")
    )
    # The regional aggregate: every member of the administrations' regions, not through the
    # door (it is an average, never a row); hidden below MIN_GROUP administrations.
    regions = {o.region_id for o in own_orgs if o.region_id}
    peers = _latest(
        _validated(code, round_=round_).filter(
            Q(round__region_id__in=regions) | Q(organisation__region_id__in=regions)
        )
    )
    scores = scoring.score_assessments(
        [a.pk for a in peers.values()] + [a.pk for a in own.values()], with_targets=False
    )
    peer_scores = [scores[a.pk] for a in peers.values()]
    result.areas = _areas(peer_scores + [scores[a.pk] for a in own.values()])
    result.summaries = [
        s if s.count >= MIN_GROUP else AreaSummary(s.area, None, s.count)
        for s in _summaries(result.areas, peer_scores)
    ]
    result.own = [
        AdministrationResult(a.organisation, a, scores[a.pk])
        for a in sorted(own.values(), key=lambda a: a.organisation.name)
    ]
    return result


def region_table(results):
    """(headers, rows) of the region view: the XLSX export and the API use the same numbers."""
    area_headers = [f"{a.code} {a.name}" for a in results.areas]
    headers = [
        _("Administration"),
        _("Country"),
        _("Round"),
        _("Framework score"),
        _("Completeness (%)"),
        *area_headers,
    ]
    rows = []
    listed = results.administrations if results.overseer else results.own
    for item in listed:
        rows.append(
            [
                item.organisation.name,
                item.organisation.country,
                item.assessment.round.name,
                item.framework_score,
                scoring.percent(item.score.completeness),
                *item.cells(results.areas),
            ]
        )
    label = _("Regional average") if not results.overseer else _("Average")
    rows.append(
        [label, "", "", None, None, *[s.display for s in results.summaries]],
    )
    rows.append(
        [
            _("Administrations scored"),
            "",
            "",
            None,
            None,
            *[s.count for s in results.summaries],
        ]
    )
    return headers, rows


class RegionResultsView(View):
    template_name = "assessments/region_results.html"

    def results(self, request):
        form = RegionResultsForm(request.GET or None, user=request.user)
        if not form.is_valid():
            return form, None
        data = form.cleaned_data
        results = region_results(
            request.user,
            data["questionnaire"],
            region=data.get("region"),
            round_=data.get("round"),
            subregion=data.get("subregion"),
        )
        return form, results

    def check_access(self, request):
        actor = permissions.get_actor(request.user)
        if not (actor.is_secretariat or actor.is_rocb or actor.assessment_org_ids):
            raise PermissionDenied

    def get(self, request):
        self.check_access(request)
        form, results = self.results(request)
        context = {
            "form": form,
            "results": results,
            "min_group": MIN_GROUP,
            "query": request.GET.urlencode(),
        }
        if results is not None and results.overseer:
            context["rows"] = [
                (item, item.cells(results.areas)) for item in results.administrations
            ]
        elif results is not None:
            context["rows"] = [
                (
                    area,
                    scoring.display(own_area.score) if own_area else None,
                    results.average(area.pk),
                )
                for area in results.areas
                for own_area in [self._own_area(results, area)]
            ]
        return render(request, self.template_name, context, status=200 if form.is_valid() else 400)

    @staticmethod
    def _own_area(results, area):
        if not results.own:
            return None
        return results.own[0].score.by_area_id().get(area.pk)


class RegionResultsExportView(RegionResultsView):
    def get(self, request):
        self.check_access(request)
        form, results = self.results(request)
        if results is None:
            return HttpResponse(
                "; ".join(str(e) for errors in form.errors.values() for e in errors),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        headers, rows = region_table(results)
        body = exporting.to_xlsx(headers, rows, title=_("Results"))
        response = HttpResponse(body, content_type=exporting.XLSX_CONTENT_TYPE)
        name = safe_filename(f"results-{results.code}-{timezone.localdate().isoformat()}.xlsx")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class RegionResultsPdfView(RegionResultsView):
    def get(self, request):
        self.check_access(request)
        form, results = self.results(request)
        if results is None:
            return HttpResponse(status=400)
        headers, rows = region_table(results)
        context = {
            "results": results,
            "headers": headers,
            "table_rows": rows,
            "form": form,
            "query": request.GET.urlencode(),
            "generated_on": timezone.localdate(),
            "min_group": MIN_GROUP,
        }
        name = f"results-{results.code}-{timezone.localdate().isoformat()}.pdf"
        return render_pdf(request, "assessments/region_results_pdf.html", context, name)


def questionnaire_codes():
    return list(
        Questionnaire.objects.filter(archived_at__isnull=True)
        .order_by("code")
        .values_list("code", flat=True)
        .distinct()
    )


urlpatterns = [
    path(
        "assessments/<int:pk>/results/",
        AssessmentResultsView.as_view(),
        name="assessment_results",
    ),
    path(
        "assessments/<int:pk>/results.pdf",
        AssessmentResultsPdfView.as_view(),
        name="assessment_results_pdf",
    ),
    path("targets/<int:pk>/", TargetsView.as_view(), name="areatarget_edit"),
    path("results/", RegionResultsView.as_view(), name="region_results"),
    path("results/export.xlsx", RegionResultsExportView.as_view(), name="region_results_export"),
    path("results/report.pdf", RegionResultsPdfView.as_view(), name="region_results_pdf"),
]
