"""Results pages: one assessment's scores, the region view, their exports and the API.

Confidentiality is proven in every direction: an administration's people never get another
member's individual results (page, XLSX, PDF, API), and a regional average over fewer than
MIN_GROUP administrations is not shown to them.
"""

import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cbnet.assessments.models import Answer, AreaTarget, Assessment
from cbnet.assessments.testing import assessment, assessment_kit, round_
from cbnet.assessments.views.results import MIN_GROUP, region_results
from cbnet.capabilities.models import Area
from cbnet.core.charts import build_chart
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db

# Levels per question code: Uruguay D1 = (1×2 + 2×3)/3 = 8/3 ≈ 2.67; Brazil D1 = 1.
UY = {"D1-01": 2, "D1-02": 3, "D2-01": 4, "D2-02": 4}
BR = {"D1-01": 1, "D1-02": 1, "D2-01": 0, "D2-02": 3}
SECRET_BR_D2 = "2.00"  # Brazil's D2 score: (0 + 2×3)/3


def fill(a, levels, validated=True):
    questions = {q.code: q for q in a.round.questionnaire.questions.all()}
    for code, level in levels.items():
        Answer.objects.create(assessment=a, question=questions[code], level=level)
    if validated:
        Assessment.objects.filter(pk=a.pk).update(status="validated", validated_at=timezone.now())


@pytest.fixture
def net():
    return f.network()


@pytest.fixture
def kit(net):
    kit = assessment_kit(net)
    fill(kit.uy, UY)
    fill(kit.br, BR)
    return kit


def client_for(client, user):
    client.force_login(user)
    return client


def test_results_page_shows_scores_targets_and_gaps(client, net, kit):
    d1 = Area.objects.get(framework=kit.framework, code="D1")
    AreaTarget.objects.create(organisation=net.uruguay, area=d1, level=Decimal("3.5"))
    response = client_for(client, net.users["ncp_uy"]).get(
        reverse("assessments:assessment_results", args=[kit.uy.pk])
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="scores-table"' in html
    # D1 2.67, target 3.50, gap 0.83 (3.5 − 8/3 = 5/6); D2 4.00; framework (8/3 + 4)/2 = 3.33.
    assert "2.67" in html and "3.50" in html and "0.83" in html
    assert "3.33" in html
    assert "D3" in response.context["unscored_areas"][0].code
    assert 'id="targets-link"' in html  # the NCP may set targets


@pytest.mark.parametrize(
    ("key", "status"),
    [("ncp_uy", 200), ("rocb", 200), ("secretariat", 200), ("ncp_br", 404), ("partner", 404)],
)
def test_results_page_follows_the_assessment_door(client, net, kit, key, status):
    url = reverse("assessments:assessment_results", args=[kit.uy.pk])
    assert client_for(client, net.users[key]).get(url).status_code == status
    pdf = reverse("assessments:assessment_results_pdf", args=[kit.uy.pk])
    if status == 404:
        assert client.get(pdf).status_code == 404


def test_results_pdf(client, net, kit):
    response = client_for(client, net.users["ncp_uy"]).get(
        reverse("assessments:assessment_results_pdf", args=[kit.uy.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_assessment_chart_spec_has_the_scores(rf, net, kit):
    d1 = Area.objects.get(framework=kit.framework, code="D1")
    AreaTarget.objects.create(organisation=net.uruguay, area=d1, level=3)
    request = rf.get("/")
    request.user = net.users["ncp_uy"]
    chart = build_chart("assessments.assessment_scores", request, assessment=str(kit.uy.pk))
    values = chart.spec()["data"]["values"] if "values" in chart.spec().get("data", {}) else None
    if values is None:  # Altair may move inline data to datasets
        values = next(iter(chart.spec()["datasets"].values()))
    triples = {(v["area"].split()[0], v["measure"], v["value"]) for v in values}
    assert ("D1", "Score", 2.67) in triples
    assert ("D1", "Target", 3.0) in triples
    assert ("D2", "Score", 4.0) in triples
    assert not any(area == "D3" and measure == "Score" for area, measure, _v in triples)
    # Another member cannot draw it.
    request.user = net.users["ncp_br"]
    request.__dict__.pop("_cbnet_assessment_scores", None)
    from django.http import Http404

    with pytest.raises(Http404):
        build_chart("assessments.assessment_scores", request, assessment=str(kit.uy.pk))


# --- region view -----------------------------------------------------------------------


def region_url(name="assessments:region_results", **params):
    from urllib.parse import urlencode

    params.setdefault("questionnaire", "test-dsa")
    return reverse(name) + "?" + urlencode(params)


def test_rocb_sees_every_administration_heatmap_weakest_and_trend(client, net, kit):
    # An earlier validated round for Uruguay: the trend has two points.
    earlier = round_(
        kit.questionnaire,
        net.ams,
        name="Round 2025",
        opens_on=kit.round.opens_on.replace(year=2025),
        due_on=kit.round.due_on.replace(year=2025),
    )
    fill(assessment(earlier, net.uruguay), {"D1-01": 0, "D2-01": 1})
    response = client_for(client, net.users["rocb"]).get(region_url())
    assert response.status_code == 200
    results = response.context["results"]
    assert results.overseer
    names = [r.organisation.name for r in results.administrations]
    assert names == sorted([net.uruguay.name, net.brazil.name])
    # Latest round per administration, not the 2025 one.
    assert {r.assessment.round_id for r in results.administrations} == {kit.round.pk}
    html = response.content.decode()
    assert 'id="heatmap-table"' in html and SECRET_BR_D2 in html
    uy = next(r for r in results.administrations if r.organisation == net.uruguay)
    assert [str(s) for _r, s in uy.trend] == ["0.50", "3.33"]
    # Weakest first: D1 mean (8/3 + 1)/2 = 1.83 before D2 (4 + 2)/2 = 3.
    assert [(s.area.code, str(s.display), s.count) for s in results.weakest] == [
        ("D1", "1.83", 2),
        ("D2", "3.00", 2),
    ]


def test_round_and_subregion_filters(client, net, kit):
    other = f.organisation("Mexico", country="MX", region=net.ams)
    fill(assessment(kit.round, other), {"D1-01": 4})
    user = net.users["rocb"]
    everyone = region_results(user, "test-dsa")
    assert len(everyone.administrations) == 3
    south = region_results(user, "test-dsa", subregion=net.sam)
    assert {r.organisation for r in south.administrations} == {net.uruguay, net.brazil}
    empty_round = round_(kit.questionnaire, net.ams, name="Empty")
    assert region_results(user, "test-dsa", round_=empty_round).administrations == []


def test_unvalidated_assessments_are_left_out(net, kit):
    Assessment.objects.filter(pk=kit.br.pk).update(status="submitted")
    results = region_results(net.users["secretariat"], "test-dsa")
    assert [r.organisation for r in results.administrations] == [net.uruguay]


def test_ncp_sees_own_results_and_no_average_below_the_minimum(client, net, kit):
    response = client_for(client, net.users["ncp_uy"]).get(region_url())
    assert response.status_code == 200
    results = response.context["results"]
    assert not results.overseer
    assert results.administrations == []
    assert [r.organisation for r in results.own] == [net.uruguay]
    html = response.content.decode()
    assert net.brazil.name not in html
    # Two administrations scored: the average would reveal Brazil's score.
    assert all(s.mean is None for s in results.summaries)
    assert SECRET_BR_D2 not in html
    assert "3.00" not in html  # D2 mean (4 + 2) / 2


def add_members(net, kit, n):
    orgs = []
    for i in range(n):
        org = f.organisation(f"Member {i}", country="AR", region=net.ams, subregion=net.sam)
        fill(assessment(kit.round, org), {"D1-01": 2, "D1-02": 2, "D2-02": 1})
        orgs.append(org)
    return orgs


def test_ncp_sees_the_regional_average_from_the_minimum(client, net, kit):
    add_members(net, kit, MIN_GROUP - 2)  # with Uruguay and Brazil: MIN_GROUP administrations
    results = region_results(net.users["ncp_uy"], "test-dsa")
    d1, d2 = results.summaries[:2]
    assert d1.count == d2.count == MIN_GROUP
    # D1 mean over (8/3, 1, 2) = 17/9 = 1.89; D2 over (4, 2, 1) = 7/3 = 2.33.
    assert (str(d1.display), str(d2.display)) == ("1.89", "2.33")
    html = client_for(client, net.users["ncp_uy"]).get(region_url()).content.decode()
    assert "1.89" in html and "2.33" in html
    assert net.brazil.name not in html and "Member 0" not in html


def test_ncp_xlsx_and_pdf_and_api_do_not_leak(client, net, kit):
    c = client_for(client, net.users["ncp_uy"])
    response = c.get(region_url("assessments:region_results_export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert net.uruguay.name in cells
    assert net.brazil.name not in cells
    # The only numbers are Uruguay's (and counts): Brazil's D2 (2.00) appears nowhere.
    numbers = {
        c.value for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, Decimal)
    }
    assert Decimal(SECRET_BR_D2) not in numbers

    pdf = c.get(region_url("assessments:region_results_pdf"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert net.brazil.name.encode() not in pdf.content

    api = c.get("/api/assessments/results/region/?questionnaire=test-dsa")
    assert api.status_code == 200
    body = api.json()
    assert "administrations" not in body
    assert [o["organisation"]["id"] for o in body["own"]] == [net.uruguay.pk]
    assert all(v["mean"] is None for v in body["averages"].values())
    text = json.dumps(body)
    assert net.brazil.name not in text and SECRET_BR_D2 not in text


def test_rocb_xlsx_has_typed_numbers_and_a_frozen_header(client, net, kit):
    response = client_for(client, net.users["rocb"]).get(
        region_url("assessments:region_results_export")
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.freeze_panes == "A2"
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    brazil = rows[net.brazil.name]
    headers = [c.value for c in sheet[1]]
    d2 = next(i for i, h in enumerate(headers) if str(h).startswith("D2"))
    assert brazil[d2].value == 2  # a number, not text
    assert brazil[d2].data_type == "n"


@pytest.mark.parametrize("key", ["partner", "reader"])
def test_outsiders_get_no_region_view(client, net, kit, key):
    c = client_for(client, net.users[key])
    assert c.get(region_url()).status_code == 403
    assert c.get(region_url("assessments:region_results_export")).status_code == 403
    assert c.get(region_url("assessments:region_results_pdf")).status_code == 403
    assert c.get("/api/assessments/results/region/?questionnaire=test-dsa").status_code == 403


def test_partner_with_a_share_still_gets_no_region_view(client, net, kit):
    from cbnet.assessments.models import AssessmentShare

    AssessmentShare.objects.create(assessment=kit.uy, partner=net.idb)
    c = client_for(client, net.users["partner"])
    assert c.get(region_url()).status_code == 403
    # but the shared assessment's own results, through the assessment's door
    url = reverse("assessments:assessment_results", args=[kit.uy.pk])
    assert c.get(url).status_code == 200
    assert c.get(reverse("assessments:assessment_results", args=[kit.br.pk])).status_code == 404


def test_another_regions_rocb_sees_nothing(client, net, kit):
    from cbnet.directory.models import Region

    other = Region.objects.create(code="ESA", name="East and Southern Africa")
    rocb_org = f.organisation("ROCB ESA", kind="rocb", region=other)
    officer = f.member("rocb.esa", rocb_org, "rocb_officer")
    results = region_results(officer, "test-dsa")
    assert results.overseer and results.administrations == []
    body = client_for(client, officer).get("/api/assessments/results/region/").json()
    assert body["administrations"] == []


def test_bad_filters_answer_400_not_500(client, net, kit):
    c = client_for(client, net.users["rocb"])
    assert c.get(region_url(questionnaire="nope")).status_code == 400
    assert c.get(region_url(round="abc")).status_code == 400
    assert c.get(region_url("assessments:region_results_export", round="999999")).status_code == 400
    assert c.get("/api/assessments/results/region/?questionnaire=nope").status_code == 400
    assert c.get("/api/assessments/results/region/?bogus=1").status_code == 400


def test_region_page_query_count_is_constant(client, net, kit):
    c = client_for(client, net.users["rocb"])
    c.get(region_url())  # warm caches (content types, actor)
    with CaptureQueriesContext(connection) as few:
        assert c.get(region_url()).status_code == 200
    add_members(net, kit, 6)
    with CaptureQueriesContext(connection) as many:
        response = c.get(region_url())
    assert len(response.context["results"].administrations) == 8
    assert len(many) == len(few)


def test_heatmap_chart_spec_has_the_scores(rf, net, kit):
    request = rf.get("/")
    request.user = net.users["rocb"]
    chart = build_chart("assessments.region_heatmap", request, questionnaire="test-dsa")
    spec = chart.spec()
    values = spec.get("data", {}).get("values") or next(iter(spec["datasets"].values()))
    cells = {(v["administration"], v["area"].split()[0]): v["score"] for v in values}
    assert cells[(net.brazil.name, "D2")] == 2.0
    assert cells[(net.uruguay.name, "D1")] == 2.67
    assert cells[(net.uruguay.name, "D3")] is None
    assert spec["mark"]["type"] == "rect" if isinstance(spec["mark"], dict) else "rect"
    request = rf.get("/")
    request.user = net.users["ncp_uy"]
    from django.http import Http404

    with pytest.raises(Http404):
        build_chart("assessments.region_heatmap", request, questionnaire="test-dsa")


def test_scores_api(client, net, kit):
    c = client_for(client, net.users["ncp_uy"])
    body = c.get(f"/api/assessments/scores/{kit.uy.pk}/").json()
    assert body["framework_score"] == "3.33"
    assert body["unscored_areas"] == ["D3"]
    assert body["areas"][0]["score"] == "2.67"
    assert c.get(f"/api/assessments/scores/{kit.br.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/api/assessments/scores/{kit.uy.pk}/").status_code in (401, 403)
