"""Needs register pages: the generic view tests, confidentiality, status actions by role,
gaps into needs, grouping, export and query counts."""

import io

import pytest
from django.urls import reverse

from cbnet.assessments.choices import NeedStatus, RegionalNeedStatus
from cbnet.assessments.models import Need, RegionalNeed
from cbnet.assessments.services import needs as services
from cbnet.assessments.testing import framework
from cbnet.assessments.tests.test_needs_services import validated_kit
from cbnet.core.testing.factories import network
from cbnet.core.testing.views import ModelViewTests

pytestmark = pytest.mark.django_db


def area():
    return framework().areas.order_by("position").first()


def make_need(org, status=NeedStatus.PUBLISHED, title="Risk analysts", **kwargs):
    return Need.objects.create(
        organisation=org,
        area=kwargs.pop("area", None) or area(),
        title=title,
        status=status,
        **kwargs,
    )


class TestNeedViews(ModelViewTests):
    model = Need
    in_scope_user = "ncp_uy"
    out_of_scope_user = "ncp_br"
    edit_changes = {"priority": "2"}

    def make_object(self, net):
        return make_need(net.uruguay)

    def create_data(self, net):
        return {
            "organisation": net.uruguay.pk,
            "area": area().pk,
            "title": "Scanners for the port",
            "priority": "2",
            "support": ["equipment", "training"],
        }

    def make_rows(self, net, count):
        for n in range(count):
            make_need(net.uruguay if n % 2 else net.brazil, title=f"Need {n}", support=["funding"])

    # Needs are not imported (they come from assessments or the add form).
    test_import_creates_all_rows_with_history = None
    test_import_is_all_or_nothing = None
    test_import_dry_run_saves_nothing = None
    test_import_refuses_unknown_columns_and_bad_encoding = None

    @pytest.mark.parametrize(
        "action,detail",
        [("list", False), ("export", False), ("add", False), ("detail", True), ("edit", True)],
    )
    def test_anonymous_is_sent_to_login(self, client, net, action, detail):
        ModelViewTests.test_anonymous_is_sent_to_login(self, client, net, action, detail)

    def test_reader_sees_no_write_buttons_and_is_refused(self, client, net):
        obj = self.make_object(net)
        self.login(client, net, "reader")
        page = client.get(self.url("detail", obj.pk)).content.decode()
        assert 'id="edit-button"' not in page and 'id="publish-form"' not in page
        for url in (self.url("add"), self.url("edit", obj.pk)):
            assert client.get(url).status_code == 403
            assert client.post(url, {}).status_code == 403
        assert client.post(self.url("archive", obj.pk)).status_code == 403


@pytest.fixture
def net():
    return network()


def login(client, net, who):
    client.force_login(net.users[who])
    return client


def listed(response):
    return {row.record.pk for row in response.context["table"].paginated_rows}


# --- confidentiality ----------------------------------------------------------------------


def test_drafts_only_for_the_administration_its_rocb_and_the_secretariat(client, net):
    draft = make_need(net.uruguay, status=NeedStatus.DRAFT)
    published = make_need(net.brazil)
    url = reverse("assessments:need_list")
    for who, sees_draft in (
        ("ncp_uy", True),
        ("rocb", True),
        ("secretariat", True),
        ("ncp_br", False),
        ("partner", False),
        ("reader", False),
    ):
        login(client, net, who)
        assert listed(client.get(url)) == (
            {draft.pk, published.pk} if sees_draft else {published.pk}
        )
        detail = client.get(reverse("assessments:need_detail", args=[draft.pk]))
        assert detail.status_code == (200 if sees_draft else 404), who
        assert (
            client.get(reverse("assessments:need_detail", args=[published.pk])).status_code == 200
        )


def test_answers_behind_a_need_only_for_those_who_see_the_assessment(client, net):
    kit = validated_kit(net)
    (item,) = services.needs_from_assessment(
        kit.uy, [{"area": kit.areas["D1"], "title": "Risk"}], user=net.users["ncp_uy"]
    )
    services.publish(item, user=net.users["ncp_uy"])
    url = reverse("assessments:need_detail", args=[item.pk])
    for who in ("ncp_uy", "rocb", "secretariat"):
        page = login(client, net, who).get(url).content.decode()
        assert "D1-01" in page and 'id="answers-hidden"' not in page, who
    for who in ("ncp_br", "partner", "reader"):
        page = login(client, net, who).get(url).content.decode()
        assert "D1-01" not in page and 'id="answers-hidden"' in page, who


# --- status actions by role ---------------------------------------------------------------


def test_publish_and_withdraw_by_the_administration(client, net):
    item = make_need(net.uruguay, status=NeedStatus.DRAFT)
    login(client, net, "ncp_br")
    assert client.post(reverse("assessments:need_publish", args=[item.pk])).status_code == 404
    login(client, net, "rocb")
    client.post(reverse("assessments:need_publish", args=[item.pk]))
    assert Need.objects.get(pk=item.pk).status == NeedStatus.DRAFT
    login(client, net, "ncp_uy")
    assert client.get(reverse("assessments:need_publish", args=[item.pk])).status_code == 405
    response = client.post(reverse("assessments:need_publish", args=[item.pk]))
    assert response.status_code == 302
    assert Need.objects.get(pk=item.pk).status == NeedStatus.PUBLISHED
    client.post(reverse("assessments:need_withdraw", args=[item.pk]))
    assert Need.objects.get(pk=item.pk).status == NeedStatus.WITHDRAWN


def test_rocb_sets_statuses_the_ncp_and_partner_cannot(client, net):
    item = make_need(net.uruguay)
    url = reverse("assessments:need_set_status", args=[item.pk])
    login(client, net, "ncp_uy")
    page = client.get(reverse("assessments:need_detail", args=[item.pk])).content.decode()
    assert 'id="status-form"' not in page
    client.post(url, {"status": "matched"})
    assert Need.objects.get(pk=item.pk).status == NeedStatus.PUBLISHED
    login(client, net, "partner")
    assert client.post(url, {"status": "matched"}).status_code == 403
    login(client, net, "rocb")
    page = client.get(reverse("assessments:need_detail", args=[item.pk])).content.decode()
    assert 'id="status-form"' in page
    response = client.post(url, {"status": "met"}, follow=True)  # skips matched: refused
    assert Need.objects.get(pk=item.pk).status == NeedStatus.PUBLISHED
    assert any(
        "cannot become" in str(m) or "valid choice" in str(m) for m in response.context["messages"]
    )
    for status in ("matched", "in_progress", "met"):
        client.post(url, {"status": status})
        assert Need.objects.get(pk=item.pk).status == status


def test_matched_need_is_no_longer_edited(client, net):
    item = make_need(net.uruguay, status=NeedStatus.MATCHED)
    login(client, net, "ncp_uy")
    assert client.get(reverse("assessments:need_edit", args=[item.pk])).status_code == 403


@pytest.mark.parametrize("priority", ["0", "6", "x"])
def test_bad_priority_and_support_are_field_errors(client, net, priority):
    login(client, net, "ncp_uy")
    data = {"organisation": net.uruguay.pk, "area": area().pk, "title": "T", "priority": priority}
    response = client.post(reverse("assessments:need_add"), data)
    assert response.status_code == 200 and "priority" in response.context["form"].errors
    data.update(priority="1", support=["bribes"])
    response = client.post(reverse("assessments:need_add"), data)
    assert response.status_code == 200 and "support" in response.context["form"].errors
    assert not Need.objects.exists()


def test_ncp_cannot_add_a_need_for_another_administration(client, net):
    login(client, net, "ncp_uy")
    data = {"organisation": net.brazil.pk, "area": area().pk, "title": "T", "priority": "1"}
    response = client.post(reverse("assessments:need_add"), data)
    assert response.status_code == 200 and "organisation" in response.context["form"].errors
    assert not Need.objects.exists()


# --- gaps into needs ----------------------------------------------------------------------


def test_needs_from_assessment_page(client, net):
    kit = validated_kit(net)
    url = reverse("assessments:need_from_assessment", args=[kit.uy.pk])
    login(client, net, "ncp_br")
    assert client.get(url).status_code == 404
    login(client, net, "rocb")
    assert client.get(url).status_code == 403
    login(client, net, "ncp_uy")
    page = client.get(url)
    assert page.status_code == 200
    (proposal, form) = page.context["rows"][0]
    prefix = form.prefix
    data = {
        f"{prefix}-take": "on",
        f"{prefix}-title": "Risk profiling",
        f"{prefix}-priority": "9",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and not Need.objects.exists()
    data[f"{prefix}-priority"] = "1"
    data[f"{prefix}-support"] = ["training"]
    data[f"{prefix}-answers"] = [a.pk for a in proposal["answers"]][:1]
    response = client.post(url, data)
    assert response.status_code == 302
    created = Need.objects.get()
    assert created.priority == 1 and created.support == ["training"]
    assert created.answers.count() == 1
    page = client.get(url).content.decode()
    assert 'id="existing-needs"' in page and 'id="no-gaps"' in page


# --- regional needs -----------------------------------------------------------------------


def test_grouping_page_and_region_plan(client, net):
    uy, br = make_need(net.uruguay), make_need(net.brazil)
    login(client, net, "ncp_uy")
    assert client.get(reverse("assessments:regionalneed_add")).status_code == 403
    login(client, net, "rocb")
    data = {"region": net.ams.pk, "area": uy.area_id, "title": "Regional", "priority": "2"}
    response = client.post(reverse("assessments:regionalneed_add"), {**data, "needs": [uy.pk]})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(
        reverse("assessments:regionalneed_add"), {**data, "needs": [uy.pk, br.pk]}
    )
    assert response.status_code == 302
    regional = RegionalNeed.objects.get()
    plan_url = reverse("assessments:regionalneed_plan", args=[net.ams.pk])
    login(client, net, "partner")
    assert (
        client.get(reverse("assessments:regionalneed_detail", args=[regional.pk])).status_code
        == 404
    )
    assert regional.pk not in [r.pk for r in client.get(plan_url).context["rows"]]
    login(client, net, "rocb")
    client.post(reverse("assessments:regionalneed_publish", args=[regional.pk]))
    assert RegionalNeed.objects.get().status == RegionalNeedStatus.PUBLISHED
    login(client, net, "partner")
    page = client.get(plan_url)
    assert [r.pk for r in page.context["rows"]] == [regional.pk]
    assert net.brazil.name in page.content.decode()


# --- export and query counts --------------------------------------------------------------


def test_partner_exports_published_needs_of_the_network(client, net):
    make_need(net.uruguay, support=["training", "funding"])
    make_need(net.brazil, status=NeedStatus.DRAFT, title="Hidden draft")
    login(client, net, "partner")
    body = client.get(reverse("assessments:need_export"), {"format": "csv"}).content
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "Risk analysts" in text and "Hidden draft" not in text and "Training, Funding" in text
    from openpyxl import load_workbook

    xlsx = client.get(reverse("assessments:need_export"), {"format": "xlsx", "support": "funding"})
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    assert sheet.max_row == 2


def test_filters(client, net):
    a = make_need(net.uruguay, support=["training"], priority=1, tfa_category="B")
    b = make_need(net.brazil, support=["funding"], priority=4)
    login(client, net, "partner")
    url = reverse("assessments:need_list")
    assert listed(client.get(url, {"support": "training"})) == {a.pk}
    assert listed(client.get(url, {"priority": "4"})) == {b.pk}
    assert listed(client.get(url, {"organisation": net.brazil.pk})) == {b.pk}
    assert listed(client.get(url, {"tfa_category": "B"})) == {a.pk}
    assert listed(client.get(url, {"region": net.ams.pk, "subregion": net.sam.pk})) == {a.pk, b.pk}


def test_regional_need_list_query_count_is_constant(client, net):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def rows(n):
        for i in range(n):
            uy, br = make_need(net.uruguay, title=f"u{i}"), make_need(net.brazil, title=f"b{i}")
            services.group_needs(
                net.ams, [uy, br], title=f"R{i}", area=uy.area, user=net.users["rocb"]
            )

    login(client, net, "rocb")
    rows(2)
    url = reverse("assessments:regionalneed_list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    rows(5)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few) == len(many)
