"""Issue 4's walk in Chromium, through the real pages only.

The NCP of Uruguay fills in the assessment and submits it; the ROCB officer returns it with a
comment; the NCP reads the comment, fixes an answer and resubmits; the ROCB officer validates
it; the NCP turns a gap into a need and publishes it; the IDB's focal point finds the need in
the needs register but gets "not found" on the assessment.

Each person uses their own browser context (own cookies). The data (a small questionnaire, a
round open today with Uruguay in it, Uruguay's target levels) is made with the factories.
Runs on the PostgreSQL leg only (``make test``); screenshots go to pytest's ``tmp_path``.
"""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cbnet.assessments import testing as kit
from cbnet.assessments.choices import AssessmentStatus as A
from cbnet.assessments.choices import NeedStatus as N
from cbnet.assessments.models import AreaTarget, Assessment, Need
from cbnet.core.testing import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT_MS = 20_000
COMMENT = "Please explain the strategic plan answer: level 1 looks too low for D2-01."
NEED_TITLE = "Train the risk analysts of the border posts"
FIRST = {"D1-01": 1, "D1-02": 2, "D2-01": 1, "D2-02": 2, "D3-01": 3, "D3-02": 2}


@pytest.fixture
def walk(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    net = f.network()
    today = timezone.localdate()
    questionnaire = kit.questionnaire()
    round_ = kit.round_(
        questionnaire,
        net.ams,
        name="Walk round",
        opens_on=today - datetime.timedelta(days=3),
        due_on=today + datetime.timedelta(days=20),
    )
    assessment = kit.assessment(round_, net.uruguay)
    for area in questionnaire.framework.areas.all():
        AreaTarget.objects.create(organisation=net.uruguay, area=area, level=4)
    return net, assessment


def open_as(browser, live_server, username):
    """A new browser context signed in as ``username``; returns its page."""
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page.locator("#user-menu")).to_contain_text(username)
    return page


def choose_level(page, code, level):
    page.locator(f"#question-{code} input[type=radio][value='{level}']").check()


def shot(page, tmp_path, name):
    page.screenshot(path=tmp_path / f"{name}.png", full_page=True)


def test_fill_in_return_resubmit_validate_publish_a_need_partner_sees_only_the_need(
    browser, live_server, walk, tmp_path
):
    net, assessment = walk
    url = live_server.url + reverse("assessments:assessment_detail", args=[assessment.pk])
    status = "#assessment-status"

    # 1. The NCP answers every question, saves the draft, submits.
    ncp = open_as(browser, live_server, "ncp.uy")
    ncp.goto(url)
    expect(ncp.locator(status)).to_have_text(str(A.NOT_STARTED.label))
    for code, level in FIRST.items():
        choose_level(ncp, code, level)
    ncp.locator("#save-draft").click()
    expect(ncp.locator(status)).to_have_text(str(A.IN_PROGRESS.label))
    expect(ncp.locator("#completeness")).to_have_text("100 %")
    expect(ncp.locator("#question-D2-01 input[type=radio][value='1']")).to_be_checked()
    shot(ncp, tmp_path, "01-draft")
    ncp.locator("#submit-button").click()
    ncp.locator("#confirm-submit").click()
    expect(ncp.locator(status)).to_have_text(str(A.SUBMITTED.label))
    expect(ncp.locator("#save-draft")).to_have_count(0)  # no more edits
    assert Assessment.objects.get(pk=assessment.pk).status == "submitted"

    # 2. The ROCB officer returns it with a comment.
    rocb = open_as(browser, live_server, "rocb.ams")
    rocb.goto(url)
    expect(rocb.locator(status)).to_have_text(str(A.SUBMITTED.label))
    rocb.locator("#review-panel textarea").fill(COMMENT)
    rocb.locator("#return-button").click()
    expect(rocb.locator(status)).to_have_text(str(A.RETURNED.label))
    shot(rocb, tmp_path, "02-returned")

    # 3. The NCP reads the comment, fixes the answer, resubmits.
    ncp.goto(url)
    expect(ncp.locator(status)).to_have_text(str(A.RETURNED.label))
    expect(ncp.locator("#review-comment")).to_contain_text(COMMENT)
    choose_level(ncp, "D2-01", 2)
    ncp.locator("#save-draft").click()
    expect(ncp.locator(status)).to_have_text(str(A.IN_PROGRESS.label))
    expect(ncp.locator("#question-D2-01 input[type=radio][value='2']")).to_be_checked()
    ncp.locator("#submit-button").click()
    ncp.locator("#confirm-submit").click()
    expect(ncp.locator(status)).to_have_text(str(A.SUBMITTED.label))
    answer = Assessment.objects.get(pk=assessment.pk).answers.get(question__code="D2-01")
    assert answer.level == 2

    # 4. The ROCB officer validates it: final.
    rocb.goto(url)
    rocb.locator("#validate-button").click()
    expect(rocb.locator(status)).to_have_text(str(A.VALIDATED.label))
    expect(rocb.locator("#review-panel")).to_have_count(0)
    shot(rocb, tmp_path, "03-validated")

    # 5. The NCP turns the D1 gap into a need (the other areas unticked) and publishes it.
    ncp.goto(url)
    expect(ncp.locator(status)).to_have_text(str(A.VALIDATED.label))
    ncp.locator("#needs-from-gaps").click()
    expect(ncp.locator("#proposal-D1")).to_be_visible()
    for code in ("D2", "D3"):
        ncp.locator(f"#proposal-{code} input[name$='-take']").uncheck()
    ncp.locator("#proposal-D1 input[name$='-title']").fill(NEED_TITLE)
    ncp.locator("#proposal-D1 input[name$='-support'][value='training']").check()
    ncp.locator("#proposals-form button[type=submit]").click()
    expect(ncp).to_have_url(re.compile(r"/needs/\?organisation=\d+$"))
    ncp.get_by_role("link", name=NEED_TITLE).click()
    expect(ncp.locator("#need-status")).to_have_text(str(N.DRAFT.label))
    ncp.locator("#publish-form button[type=submit]").click()
    expect(ncp.locator("#need-status")).to_have_text(str(N.PUBLISHED.label))
    shot(ncp, tmp_path, "04-need-published")
    need = Need.objects.get()
    assert (need.status, need.assessment_id, need.area.code) == ("published", assessment.pk, "D1")

    # 6. The partner's focal point sees the need in the register, not the assessment.
    partner = open_as(browser, live_server, "partner.idb")
    partner.goto(live_server.url + reverse("assessments:need_list"))
    expect(partner.get_by_role("link", name=NEED_TITLE)).to_be_visible()
    partner.get_by_role("link", name=NEED_TITLE).click()
    expect(partner.locator("#need-status")).to_have_text(str(N.PUBLISHED.label))
    expect(partner.locator("#answers-hidden")).to_be_visible()
    response = partner.goto(url)
    assert response.status == 404
    expect(partner.locator("body")).to_contain_text("Not Found")
    expect(partner.locator(status)).to_have_count(0)
    shot(partner, tmp_path, "05-partner-not-found")
    for page in (ncp, rocb, partner):
        page.context.close()
