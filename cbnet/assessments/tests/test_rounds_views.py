"""Round pages: list, export, detail (what each kind of user sees), open, extend, add."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cbnet.assessments.models import Assessment, AssessmentShare, Round
from cbnet.assessments.services import rounds
from cbnet.assessments.testing import assessment, questionnaire, round_
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)
LIST = reverse("assessments:round_list")
ADD = reverse("assessments:round_add")


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def net():
    net = f.network()
    net.africa = f.region("AF", "Africa")
    net.rocb_af_org = f.organisation("ROCB Africa", kind="rocb", region=net.africa)
    net.users["rocb_af"] = f.member("rocb.af", net.rocb_af_org, "rocb_officer")
    return net


@pytest.fixture
def dsa():
    return questionnaire()


@pytest.fixture
def ams_round(net, dsa):
    return rounds.open_round(
        name="AMS 2026",
        questionnaire=dsa,
        region=net.ams,
        subregion=net.sam,
        opens_on=datetime.date(2026, 3, 1),
        due_on=datetime.date(2026, 3, 31),
        time_zone="America/Montevideo",
        user=net.users["rocb"],
    )


def login(client, net, who):
    client.force_login(net.users[who])
    return client


def detail(round_obj):
    return reverse("assessments:round_detail", args=[round_obj.pk])


# --- list and export --------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, ams_round):
    for url in (LIST, detail(ams_round), ADD):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("who", ["reader", "ncp_uy", "partner", "rocb", "secretariat"])
def test_every_signed_in_user_lists_and_reads_rounds(client, net, ams_round, who):
    login(client, net, who)
    listing = client.get(LIST)
    assert listing.status_code == 200
    assert "AMS 2026" in listing.content.decode()
    assert client.get(detail(ams_round)).status_code == 200


def test_the_list_filters_by_status_region_and_questionnaire(client, net, dsa, ams_round):
    later = round_(
        dsa,
        net.ams,
        name="Next year",
        opens_on=datetime.date(2027, 1, 1),
        due_on=datetime.date(2027, 2, 1),
    )
    other = questionnaire(code="other-dsa")
    past = round_(
        other,
        net.africa,
        name="Africa 2025",
        opens_on=datetime.date(2025, 1, 1),
        due_on=datetime.date(2025, 2, 1),
    )
    login(client, net, "reader")

    def names(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200
        body = response.content.decode()
        return {r.name for r in (ams_round, later, past) if r.name in body}

    assert names(status="open") == {"AMS 2026"}
    assert names(status="upcoming") == {"Next year"}
    assert names(status="closed") == {"Africa 2025"}
    assert names(region=net.africa.pk) == {"Africa 2025"}
    assert names(questionnaire=other.pk) == {"Africa 2025"}
    assert client.get(LIST, {"status": "bogus"}).status_code == 200  # a form error, not a 500


def test_export_csv_and_xlsx(client, net, ams_round):
    login(client, net, "reader")
    response = client.get(reverse("assessments:round_export"), {"format": "csv"})
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert "AMS 2026" in body and "America/Montevideo" in body and "open" in body
    xlsx = client.get(reverse("assessments:round_export"), {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


# --- detail: who sees which assessments -------------------------------------------------


def test_the_rocb_and_the_secretariat_see_every_administration(client, net, ams_round):
    for who in ("rocb", "secretariat"):
        body = login(client, net, who).get(detail(ams_round)).content.decode()
        for assessment_obj in ams_round.assessments.all():
            assert assessment_obj.get_absolute_url() in body
            assert assessment_obj.organisation.name in body
        assert 'id="status-summary"' in body


def test_an_ncp_sees_only_its_own_row_and_a_count_of_the_others(client, net, ams_round):
    body = login(client, net, "ncp_uy").get(detail(ams_round)).content.decode()
    uy = ams_round.assessments.get(organisation=net.uruguay)
    br = ams_round.assessments.get(organisation=net.brazil)
    assert uy.get_absolute_url() in body
    assert br.get_absolute_url() not in body
    assert net.brazil.name not in body
    assert 'id="hidden-note"' in body and 'id="status-summary"' not in body
    assert "extend-form" not in body


@pytest.mark.parametrize("who", ["reader", "partner", "rocb_af"])
def test_outsiders_see_no_assessment_of_the_round(client, net, ams_round, who):
    body = login(client, net, who).get(detail(ams_round)).content.decode()
    for assessment_obj in ams_round.assessments.all():
        assert assessment_obj.get_absolute_url() not in body
        assert assessment_obj.organisation.name not in body


def test_a_partner_sees_a_validated_assessment_shared_with_it(client, net, ams_round):
    uy = ams_round.assessments.get(organisation=net.uruguay)
    Assessment.objects.filter(pk=uy.pk).update(status="validated")
    AssessmentShare.objects.create(assessment=uy, partner=net.idb)
    body = login(client, net, "partner").get(detail(ams_round)).content.decode()
    assert uy.get_absolute_url() in body
    assert net.brazil.name not in body


def test_the_closing_time_is_shown_in_the_rounds_zone_and_the_readers(client, net, ams_round):
    net.secretariat_org.time_zone = "Europe/Brussels"
    net.secretariat_org.save()
    body = login(client, net, "secretariat").get(detail(ams_round)).content.decode()
    assert "America/Montevideo" in body
    assert 'id="closes-at-viewer"' in body and "Europe/Brussels" in body
    # 23:59 in Montevideo (UTC-3) is 04:59 the next day in Brussels (UTC+2 from 29 March).
    shown = body.split('id="closes-at-round"')[1].split("</div>")[0]
    assert "31 March 2026" in shown and "23:59" in shown
    shown = body.split('id="closes-at-viewer"')[1].split("</div>")[0]
    assert "1 April 2026" in shown and "04:59" in shown


def test_the_detail_query_count_does_not_grow_with_the_administrations(client, net, dsa):
    small = round_(dsa, net.ams, name="Small")
    for n in range(2):
        assessment(small, f.organisation(f"Small member {n}", region=net.ams))
    large = round_(dsa, net.ams, name="Large")
    for n in range(12):
        assessment(large, f.organisation(f"Large member {n}", region=net.ams))
    login(client, net, "rocb")
    counts = []
    for obj in (small, large):
        client.get(detail(obj))  # warm caches (sessions, content types)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail(obj)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- opening a round --------------------------------------------------------------------


def open_data(net, dsa, **changes):
    data = {
        "name": "AMS 2027",
        "questionnaire": dsa.pk,
        "region": net.ams.pk,
        "subregion": "",
        "opens_on": "2026-04-01",
        "due_on": "2026-05-31",
        "time_zone": "",
        "instructions": "",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("who", ["ncp_uy", "partner", "reader"])
def test_people_who_may_not_open_rounds_get_403(client, net, dsa, who):
    login(client, net, who)
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, open_data(net, dsa)).status_code == 403
    assert not Round.objects.exists()
    assert ADD not in client.get(LIST).content.decode()


def test_another_regions_rocb_cannot_open_a_round_for_ams(client, net, dsa):
    login(client, net, "rocb_af")
    response = client.post(ADD, open_data(net, dsa))
    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    assert not Round.objects.exists()


def test_the_rocb_opens_a_round_with_defaults(client, net, dsa):
    net.rocb_org.time_zone = "America/Port_of_Spain"
    net.rocb_org.save()
    login(client, net, "rocb")
    form_page = client.get(ADD)
    assert form_page.status_code == 200
    form = form_page.context["form"]
    assert form["region"].value() == net.ams.pk
    assert form["time_zone"].value() == "America/Port_of_Spain"
    response = client.post(ADD, open_data(net, dsa))
    created = Round.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(created)
    assert created.time_zone == "America/Port_of_Spain"
    assert set(created.assessments.values_list("organisation", flat=True)) == {
        net.uruguay.pk,
        net.brazil.pk,
    }


def test_the_rocb_opens_a_round_for_chosen_administrations(client, net, dsa):
    login(client, net, "rocb")
    response = client.post(ADD, open_data(net, dsa, organisations=[net.brazil.pk]))
    assert response.status_code == 302
    assert list(Round.objects.get().assessments.values_list("organisation", flat=True)) == [
        net.brazil.pk
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"due_on": "2026-03-01"}, "due_on"),
        ({"due_on": "31/31/2026"}, "due_on"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"questionnaire": "999999"}, "questionnaire"),
        ({"organisations": ["999999"]}, "organisations"),
        ({"subregion": "999999"}, "subregion"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_comes_back_as_field_errors(client, net, dsa, changes, field):
    login(client, net, "rocb")
    response = client.post(ADD, open_data(net, dsa, **changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Round.objects.exists()


def test_a_non_member_administration_is_a_field_error(client, net, dsa):
    # The IDB is not in the choices (member administrations only).
    login(client, net, "secretariat")
    response = client.post(ADD, open_data(net, dsa, organisations=[net.idb.pk]))
    assert "organisations" in response.context["form"].errors
    # Kenya is a member administration, but of another region: the service refuses it.
    kenya = f.organisation("Kenya Revenue Authority", country="KE", region=net.africa)
    response = client.post(ADD, open_data(net, dsa, organisations=[kenya.pk]))
    assert response.status_code == 200
    assert "Kenya" in response.context["form"].errors["organisations"][0]
    assert not Round.objects.exists()


# --- extend and add ---------------------------------------------------------------------


def test_the_rocb_extends_the_due_date(client, net, ams_round):
    login(client, net, "rocb")
    url = reverse("assessments:round_extend", args=[ams_round.pk])
    response = client.post(url, {"due_on": "2026-04-15", "version": ams_round.version})
    assert response.status_code == 302
    assert Round.objects.get().due_on == datetime.date(2026, 4, 15)
    again = client.post(url, {"due_on": "2026-04-10", "version": ams_round.version + 1})
    assert again.status_code == 200 and "due_on" in again.context["form"].errors
    stale = client.post(url, {"due_on": "2026-05-10", "version": ams_round.version})
    assert stale.status_code == 200 and stale.context["form"].non_field_errors()
    assert Round.objects.get().due_on == datetime.date(2026, 4, 15)


@pytest.mark.parametrize(("who", "status"), [("ncp_uy", 403), ("rocb_af", 403), ("reader", 403)])
def test_others_cannot_extend_or_add(client, net, ams_round, who, status):
    login(client, net, who)
    for name in ("extend", "add_administrations"):
        url = reverse(f"assessments:round_{name}", args=[ams_round.pk])
        assert client.get(url).status_code == status
        assert client.post(url, {"due_on": "2026-04-15"}).status_code == status
    assert Round.objects.get().due_on == datetime.date(2026, 3, 31)


def test_the_rocb_adds_an_administration(client, net, dsa):
    jamaica = f.organisation("Jamaica Customs Agency", country="JM", region=net.ams)
    obj = rounds.open_round(
        name="AMS partial",
        questionnaire=dsa,
        region=net.ams,
        organisations=[net.uruguay],
        opens_on=datetime.date(2026, 3, 1),
        due_on=datetime.date(2026, 3, 31),
        user=net.users["rocb"],
    )
    login(client, net, "rocb")
    url = reverse("assessments:round_add_administrations", args=[obj.pk])
    page = client.get(url)
    choices = {str(c[0]) for c in page.context["form"].fields["organisations"].choices}
    assert str(jamaica.pk) in choices and str(net.uruguay.pk) not in choices
    response = client.post(url, {"organisations": [jamaica.pk]})
    assert response.status_code == 302
    assert obj.assessments.filter(organisation=jamaica).exists()
    empty = client.post(url, {})
    assert empty.status_code == 200 and "organisations" in empty.context["form"].errors


def test_the_rocb_edits_the_name_and_instructions_others_get_403(client, net, ams_round):
    url = reverse("assessments:round_edit", args=[ams_round.pk])
    version = Round.objects.get().version
    data = {"name": "AMS 2026 (DSA)", "instructions": "Attach your laws.", "version": version}
    for who in ("ncp_uy", "rocb_af"):
        assert login(client, net, who).post(url, data).status_code == 403
    response = login(client, net, "rocb").post(url, data)
    assert response.status_code == 302
    saved = Round.objects.get()
    assert saved.name == "AMS 2026 (DSA)" and saved.instructions == "Attach your laws."
    assert saved.due_on == datetime.date(2026, 3, 31)
    stale = client.post(url, {**data, "name": "Again"})
    assert stale.status_code == 200 and stale.context["form"].non_field_errors()
