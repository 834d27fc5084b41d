"""The assessment page shows its scores and their chart (issue 4: "a chart on the assessment
page"), computed from the saved answers."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from cbnet.assessments.services import workflow
from cbnet.assessments.testing import assessment_kit
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db
DURING = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def during_round():
    with time_machine.travel(DURING, tick=False):
        yield


def area_score(page, code):
    row = re.search(rf'<tr data-area="{code}">(.*?)</tr>', page, re.S).group(1)
    return re.search(r'class="text-end score">([^<]*)<', row).group(1).strip()


def test_the_page_shows_each_areas_weighted_score_and_the_chart(client):
    net = f.network()
    kit = assessment_kit(net)
    # D1: weights 1 and 2, levels 1 and 4 -> (1*1 + 2*4) / 3 = 3.00; D2: one answer, level 2.
    d1_1, d1_2, d2_1 = kit.questions[0], kit.questions[1], kit.questions[2]
    answers = {d1_1.code: {"level": 1}, d1_2.code: {"level": 4}, d2_1.code: {"level": 2}}
    workflow.save_answers(kit.uy, answers, user=net.users["ncp_uy"])
    client.force_login(net.users["ncp_uy"])
    page = client.get(reverse("assessments:assessment_detail", args=[kit.uy.pk])).content.decode()
    assert 'id="scores-table"' in page
    assert area_score(page, "D1") in ("3.00", "3.0", "3")
    assert area_score(page, "D2") in ("2.00", "2.0", "2")
    assert area_score(page, "D3") == ""  # no answer: no score, not zero
    assert "vega-embed" in page  # the chart's scripts are loaded on this page


def test_a_validated_assessment_offers_its_administration_to_turn_gaps_into_needs(client):
    net = f.network()
    kit = assessment_kit(net)
    answers = {question.code: {"level": 2} for question in kit.questions}
    workflow.save_answers(kit.uy, answers, user=net.users["ncp_uy"])
    page_url = reverse("assessments:assessment_detail", args=[kit.uy.pk])
    link = reverse("assessments:need_from_assessment", args=[kit.uy.pk])
    client.force_login(net.users["ncp_uy"])
    assert link not in client.get(page_url).content.decode()  # not validated yet
    workflow.submit(kit.uy, user=net.users["ncp_uy"])
    kit.uy.refresh_from_db()
    workflow.validate(kit.uy, user=net.users["rocb"])
    assert link in client.get(page_url).content.decode()
    client.force_login(net.users["rocb"])  # the ROCB reviews; the administration asks
    assert link not in client.get(page_url).content.decode()
