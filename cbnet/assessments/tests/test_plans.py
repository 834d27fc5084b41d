"""National capacity-building plans: pages (generic tests, milestones inline, PDF), services
and the API's milestone rules."""

import datetime
import subprocess

import pytest
import time_machine
from django.urls import reverse

from cbnet.assessments.choices import MilestoneStatus
from cbnet.assessments.models import Milestone, Plan
from cbnet.assessments.services import plans as services
from cbnet.assessments.tests.test_needs_views import make_need
from cbnet.core.testing import factories as f
from cbnet.core.testing.views import ModelViewTests

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2026, 6, 15, 12, tzinfo=datetime.UTC), tick=False):
        yield


def make_plan(org, title="Plan 2026-2027"):
    return Plan.objects.create(
        organisation=org,
        title=title,
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2027, 12, 31),
    )


class TestPlanViews(ModelViewTests):
    model = Plan
    in_scope_user = "ncp_uy"
    out_of_scope_user = "rocb"  # reads (its region), edits too: see below
    edit_changes = {"title": "Plan 2026-2028"}

    def make_object(self, net):
        return make_plan(net.uruguay)

    def create_data(self, net):
        return {
            "organisation": net.uruguay.pk,
            "title": "New plan",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        }

    def make_rows(self, net, count):
        for n in range(count):
            plan = make_plan(net.uruguay, title=f"Plan {n}")
            Milestone.objects.create(plan=plan, title="m", due_on=datetime.date(2026, 1, 1))

    test_import_creates_all_rows_with_history = None
    test_import_is_all_or_nothing = None
    test_import_dry_run_saves_nothing = None
    test_import_refuses_unknown_columns_and_bad_encoding = None
    # Plans are confidential: Brazil's NCP does not even read Uruguay's (tested below).
    test_out_of_scope_user_reads_but_cannot_edit = None
    test_export_csv_and_xlsx = None  # a reader exports nothing: test_plan_export_... below

    @pytest.mark.parametrize("who", ["reader", "in_scope", "secretariat"])
    def test_signed_in_users_read(self, client, net, who):
        if who == "reader":
            obj = self.make_object(net)
            self.login(client, net, "reader")
            assert client.get(self.url("detail", obj.pk)).status_code == 404
            return
        ModelViewTests.test_signed_in_users_read(self, client, net, who)

    @pytest.mark.parametrize(
        "action,detail",
        [("list", False), ("export", False), ("add", False), ("detail", True), ("edit", True)],
    )
    def test_anonymous_is_sent_to_login(self, client, net, action, detail):
        ModelViewTests.test_anonymous_is_sent_to_login(self, client, net, action, detail)

    def test_reader_sees_no_write_buttons_and_is_refused(self, client, net):
        obj = self.make_object(net)
        self.login(client, net, "reader")
        assert obj.pk not in {
            row.record.pk for row in client.get(self.url("list")).context["table"].paginated_rows
        }
        assert client.get(self.url("add")).status_code == 403
        assert client.get(self.url("edit", obj.pk)).status_code == 404


@pytest.fixture
def net():
    return f.network()


def test_plan_confidentiality(client, net):
    plan = make_plan(net.uruguay)
    url = reverse("assessments:plan_detail", args=[plan.pk])
    for who, code in (
        ("ncp_uy", 200),
        ("rocb", 200),
        ("secretariat", 200),
        ("ncp_br", 404),
        ("partner", 404),
    ):
        client.force_login(net.users[who])
        assert client.get(url).status_code == code, who
        assert client.get(reverse("assessments:plan_pdf", args=[plan.pk])).status_code == code


def test_overdue_is_computed():
    milestone = Milestone(due_on=datetime.date(2026, 6, 14), status=MilestoneStatus.IN_PROGRESS)
    assert services.is_overdue(milestone, TODAY)
    milestone.status = MilestoneStatus.DONE
    assert not services.is_overdue(milestone, TODAY)
    milestone.status, milestone.due_on = MilestoneStatus.PLANNED, TODAY
    assert not services.is_overdue(milestone, TODAY)


def _milestone_post(formset_prefix="form", rows=(), initial=0, version=None):
    data = {
        f"{formset_prefix}-TOTAL_FORMS": str(len(rows)),
        f"{formset_prefix}-INITIAL_FORMS": str(initial),
        f"{formset_prefix}-MIN_NUM_FORMS": "0",
        f"{formset_prefix}-MAX_NUM_FORMS": "1000",
    }
    if version is not None:
        data["plan_version"] = str(version)
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{formset_prefix}-{index}-{key}"] = value
    return data


def test_milestones_inline_all_or_nothing_and_owner_of_the_administration(client, net):
    plan = make_plan(net.uruguay)
    need = make_need(net.uruguay)
    brazil_need = make_need(net.brazil, title="Brazil's")
    url = reverse("assessments:plan_milestones", args=[plan.pk])
    client.force_login(net.users["ncp_br"])
    assert client.get(url).status_code == 404
    client.force_login(net.users["ncp_uy"])
    assert client.get(url).status_code == 200
    good = {
        "title": "Train analysts",
        "due_on": "2026-03-01",
        "status": "planned",
        "need": need.pk,
        "owner": net.people["ncp_uy"].pk,
        "position": "1",
    }
    bad_owner = {**good, "title": "Second", "owner": net.people["ncp_br"].pk}
    response = client.post(url, _milestone_post(rows=[good, bad_owner], version=plan.version))
    assert response.status_code == 200 and not Milestone.objects.exists()
    bad_need = {**good, "title": "Third", "need": brazil_need.pk}
    response = client.post(url, _milestone_post(rows=[good, bad_need], version=plan.version))
    assert response.status_code == 200 and not Milestone.objects.exists()
    response = client.post(url, _milestone_post(rows=[good], version=plan.version))
    assert response.status_code == 302
    milestone = Milestone.objects.get()
    assert milestone.owner == net.people["ncp_uy"] and milestone.need == need
    page = client.get(reverse("assessments:plan_detail", args=[plan.pk])).content.decode()
    assert "Train analysts" in page and "overdue" in page  # due 2026-03-01, planned
    # A stale form (the plan changed meanwhile) is refused.
    response = client.post(
        url, _milestone_post(rows=[{**good, "title": "New"}], version=plan.version)
    )
    assert response.status_code == 200
    assert Milestone.objects.count() == 1


def test_plan_pdf_lists_milestones(client, net):
    plan = make_plan(net.uruguay)
    need = make_need(net.uruguay, title="Risk profiling capacity")
    services.save_milestones(
        plan,
        [
            {
                "title": "Workshop on targeting",
                "due_on": datetime.date(2026, 9, 1),
                "need": need,
                "status": "planned",
            },
            {
                "title": "Scanner procurement",
                "due_on": datetime.date(2027, 2, 1),
                "status": "planned",
            },
        ],
        user=net.users["ncp_uy"],
    )
    client.force_login(net.users["ncp_uy"])
    response = client.get(
        reverse("assessments:plan_pdf", args=[plan.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert "Workshop on targeting" in text and "Scanner procurement" in text
    assert "Risk profiling capacity" in text
    assert "Page 1" in text or "1 of" in text or "1/" in text


def test_milestone_api_scopes_and_rules(net):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def client_for(who):
        client = APIClient()
        token, _created = Token.objects.get_or_create(user=net.users[who])
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    plan = make_plan(net.uruguay)
    late = Milestone.objects.create(plan=plan, title="late", due_on=datetime.date(2026, 1, 1))
    url = reverse("api:assessments-milestone-list")
    for who, count in (
        ("ncp_uy", 1),
        ("rocb", 1),
        ("secretariat", 1),
        ("ncp_br", 0),
        ("partner", 0),
        ("reader", 0),
    ):
        body = client_for(who).get(url).json()
        assert body["count"] == count, who
    ncp = client_for("ncp_uy")
    assert ncp.get(url, {"overdue": "yes"}).json()["results"][0]["overdue"] is True
    assert ncp.get(url, {"overdue": "no"}).json()["count"] == 0
    data = {"plan": plan.pk, "title": "New", "due_on": "2026-08-01", "status": "planned"}
    response = ncp.post(url, {**data, "owner": net.people["ncp_br"].pk}, format="json")
    assert response.status_code == 400 and "owner" in response.json()
    response = ncp.post(url, {**data, "owner": net.people["ncp_uy"].pk}, format="json")
    assert response.status_code == 201, response.content
    assert client_for("ncp_br").post(url, data, format="json").status_code == 400  # plan unseen
    detail = reverse("api:assessments-milestone-detail", args=[late.pk])
    assert client_for("ncp_br").patch(detail, {"title": "x", "version": 1}).status_code == 404
    response = ncp.patch(detail, {"status": "done", "version": late.version}, format="json")
    assert response.status_code == 200 and response.json()["overdue"] is False


def test_plan_export_has_the_users_plans_only(client, net):
    import io

    from openpyxl import load_workbook

    make_plan(net.uruguay)
    make_plan(net.brazil, title="Brazil plan")
    client.force_login(net.users["ncp_uy"])
    body = client.get(reverse("assessments:plan_export"), {"format": "csv"}).content
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and "Brazil plan" not in body.decode("utf-8-sig")
    xlsx = client.get(reverse("assessments:plan_export"), {"format": "xlsx"}).content
    assert load_workbook(io.BytesIO(xlsx), read_only=True).active.max_row == 2
