"""The region page's map and freshness chart, and the PDF directory of NCPs."""

import csv
import datetime
import io
import subprocess

import pytest
import time_machine
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cbnet.core import permissions
from cbnet.core.testing import factories as f

TODAY = datetime.date(2026, 3, 10)
URUGUAY, BRAZIL, BARBADOS = "858", "076", "052"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def net(db):
    net = f.network()
    alternate = f.person("Diego", "Alterno", net.uruguay, email="diego@aduanas.gub.uy")
    alternate.phone = "+598 2915 0000"
    alternate.save()
    f.appointment(alternate, role="alternate_ncp")
    predecessor = f.person("Olga", "Predecesora", net.uruguay)
    f.appointment(
        predecessor,
        role="ncp",
        start_date=datetime.date(2015, 1, 1),
        end_date=datetime.date(2019, 12, 31),
    )
    net.brazil.contacts_confirmed_on = TODAY - datetime.timedelta(days=30)
    net.brazil.save()
    net.barbados = f.organisation(
        "Barbados Revenue Authority",
        country="BB",
        region=net.ams,
        contacts_confirmed_on=TODAY - datetime.timedelta(days=700),
    )
    f.appointment(f.person("Grace", "Barrow", net.barbados, email="g@bra.gov.bb"), role="ncp")
    archived = f.organisation("Archived Customs", country="AR", region=net.ams)
    archived.mark_archived()
    archived.save()
    net.eur = f.region("EUR", "Europe")
    f.organisation("Douane belge", country="BE", region=net.eur)
    return net


def get(client, user, name, *args, query="", **extra):
    if user is not None:
        client.force_login(user)
    return client.get(reverse(name, args=args) + query, **extra)


def chart_url(name, fmt, region):
    return reverse("charts:download", args=[name, fmt]) + f"?region={region.pk}"


def csv_rows(response):
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def pdf_text(response, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    pages = int(
        next(line for line in info.stdout.splitlines() if line.startswith("Pages:")).split()[1]
    )
    return text, pages


# --- the region page --------------------------------------------------------------------


def test_region_page_has_map_chart_downloads_and_pdf_link(client, net):
    response = get(client, net.users["reader"], "directory:region_detail", net.ams.pk)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-chart-spec="chart-') == 2
    for name in ("directory.region_map", "directory.region_freshness"):
        for fmt in ("svg", "png", "csv"):
            assert f"/charts/{name}/{fmt}/?region={net.ams.pk}" in html
    assert reverse("directory:region_ncps_pdf", args=[net.ams.pk]) in html
    assert "/static/vendor/vega-embed/vega-embed.min.js" in html
    assert "Confirmed over a year ago" in html  # the legend's data, in the accessible table


def test_pages_without_charts_do_not_load_vega(client, net):
    empty = get(client, net.users["reader"], "directory:region_detail", f.region("ESA").pk)
    organisation = get(client, None, "directory:organisation_detail", net.uruguay.pk)
    for response in (empty, organisation):
        assert response.status_code == 200
        assert b"vega" not in response.content and b"data-chart-spec" not in response.content


def test_map_holds_the_regions_members_only_with_markers_for_small_states(client, net):
    client.force_login(net.users["reader"])
    spec = client.get(chart_url("directory.region_map", "json", net.ams)).json()
    topology = spec["datasets"]["cbnet-country-shapes"]
    assert {g["id"] for g in topology["objects"]["countries"]["geometries"]} == {
        URUGUAY,
        BRAZIL,
        BARBADOS,
    }  # not Argentina (archived member), not Belgium (another region)
    lookup = spec["layer"][0]["transform"][0]["from"]["data"]["values"]
    assert {row["code"]: row["freshness"] for row in lookup} == {
        "BB": "Confirmed over a year ago",
        "BR": "Confirmed within a year",
        "UY": "Never confirmed",
    }
    (marker,) = spec["layer"][1]["data"]["values"]
    assert marker["code"] == "BB" and marker["organisations"] == "Barbados Revenue Authority"
    legend = spec["layer"][0]["encoding"]["color"]["scale"]
    assert legend["domain"] == [
        "Confirmed within a year",
        "Confirmed over a year ago",
        "Never confirmed",
    ]


def test_map_and_chart_downloads(client, net):
    client.force_login(net.users["ncp_br"])
    svg = client.get(chart_url("directory.region_map", "svg", net.ams))
    assert svg.status_code == 200 and svg.content.startswith(b"<svg")
    assert svg["Content-Disposition"] == 'attachment; filename="map-AMS-2026-03-10.svg"'
    png = client.get(chart_url("directory.region_freshness", "png", net.ams))
    assert png.content.startswith(b"\x89PNG")
    rows = csv_rows(client.get(chart_url("directory.region_freshness", "csv", net.ams)))
    assert rows == [
        ["Contacts", "Member administrations"],
        ["Confirmed within a year", "1"],
        ["Confirmed over a year ago", "1"],
        ["Never confirmed", "1"],
    ]
    rows = csv_rows(client.get(chart_url("directory.region_map", "csv", net.ams)))
    assert rows[0] == [
        "Country code",
        "Country",
        "Administration",
        "Contacts",
        "Contacts confirmed on",
    ]
    assert rows[1] == [
        "BB",
        "Barbados",
        "Barbados Revenue Authority",
        "Confirmed over a year ago",
        "2024-04-09",
    ]


def test_downloads_in_the_readers_language_and_formula_names_neutralised(client, net):
    net.brazil.name = "=HYPERLINK(1)"
    net.brazil.save()
    client.force_login(net.users["reader"])
    client.cookies["django_language"] = "es"
    rows = csv_rows(client.get(chart_url("directory.region_map", "csv", net.ams)))
    assert rows[0][1] == "País"
    brazil = next(row for row in rows if row[0] == "BR")
    assert brazil[1] == "Brasil" and brazil[2] == "'=HYPERLINK(1)"
    spec = client.get(chart_url("directory.region_map", "json", net.ams)).json()
    tooltip_titles = [t["title"] for t in spec["layer"][0]["encoding"]["tooltip"]]
    assert tooltip_titles[0] == "País"


def test_region_page_query_count_does_not_grow_with_members(client, net):
    client.force_login(net.users["reader"])
    url = reverse("directory:region_detail", args=[net.ams.pk])
    client.get(url)  # warm caches (map shapes, actor)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    for code in ("AR", "CL", "PE", "CO", "JM", "LC"):
        member = f.organisation(f"Customs {code}", country=code, region=net.ams)
        f.appointment(f.person("N", f"Cp{code}", member), role="ncp")
    client.get(url)  # a new set of countries: the shapes are sliced once
    assert count() == before


# --- the PDF directory ------------------------------------------------------------------


def test_pdf_directory_lists_current_ncps_and_alternates(client, net, tmp_path):
    response = get(client, net.users["ncp_br"], "directory:region_ncps_pdf", net.ams.pk)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="ncp-directory-AMS-2026-03-10.pdf"'
    )
    text, pages = pdf_text(response, tmp_path)
    assert "Directory of National Contact Points" in text
    assert "Generated on 10 March 2026" in text
    for expected in (
        "Lucía Ramírez",
        "Diego Alterno",
        "diego@aduanas.gub.uy",
        "+598 2915 0000",
        "João Silva",
        "Grace Barrow",
        "g@bra.gov.bb",
        "contacts confirmed on 8 February 2026",
        "contacts never confirmed",
        "Capacity building",
    ):
        assert expected in text, expected
    for absent in ("Olga Predecesora", "Archived Customs", "Douane belge"):
        assert absent not in text
    assert f"Page 1 of {pages}" in text
    assert "Member administrations of Americas and Caribbean" in text  # the map's caption


def test_pdf_directory_in_the_readers_language(client, net, tmp_path):
    client.cookies["django_language"] = "es"
    response = get(client, net.users["reader"], "directory:region_ncps_pdf", net.ams.pk)
    text, _pages = pdf_text(response, tmp_path)
    assert "Américas y el Caribe" in text and "Brasil" in text
    assert "Fortalecimiento de capacidades" in text
    assert "10 de marzo de 2026" in text


def test_pdf_of_a_large_region_runs_to_several_pages_in_constant_queries(client, net, tmp_path):
    client.force_login(net.users["reader"])
    url = reverse("directory:region_ncps_pdf", args=[net.ams.pk])
    client.get(url)

    def render():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return response, len(queries)

    _response, before = render()
    for n in range(30):
        member = f.organisation(f"Customs administration {n:02}", country="AR", region=net.ams)
        f.appointment(
            f.person("Ncp", f"Number{n:02}", member, email=f"ncp{n}@example.org"), role="ncp"
        )
        f.appointment(f.person("Alt", f"Number{n:02}", member), role="alternate_ncp")
    response, after = render()
    assert after == before
    text, pages = pdf_text(response, tmp_path)
    assert pages > 2
    assert f"Page {pages} of {pages}" in text
    assert "Ncp Number29" in text and "ncp29@example.org" in text


# --- the permission door ----------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client, net):
    for url in (
        reverse("directory:region_ncps_pdf", args=[net.ams.pk]),
        chart_url("directory.region_map", "csv", net.ams),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unknown_region_is_404(client, net):
    client.force_login(net.users["secretariat"])
    assert client.get(reverse("directory:region_ncps_pdf", args=[99999])).status_code == 404
    url = reverse("charts:download", args=["directory.region_map", "csv"])
    assert client.get(url + "?region=99999").status_code == 404
    assert client.get(url + "?region=abc").status_code == 404


@pytest.mark.parametrize("who", ["ncp_br", "partner", "reader"])
def test_every_signed_in_user_reads_other_regions_directory(client, net, who, tmp_path):
    """The policy lets every signed-in user read every region's contacts (docs/permissions.md):
    an NCP of Brazil, a partner and a reader get Uruguay's NCP and alternate too."""
    response = get(client, net.users[who], "directory:region_ncps_pdf", net.ams.pk)
    text, _pages = pdf_text(response, tmp_path)
    assert "Lucía Ramírez" in text and "Diego Alterno" in text


class HideBrazilAndAlternates(permissions.OrganisationPolicy):
    def viewable(self, actor, qs):
        if actor.is_secretariat:
            return super().viewable(actor, qs)
        return super().viewable(actor, qs).exclude(country="BR")


class HideAlternates(permissions.PersonPolicy):
    def viewable(self, actor, qs):
        if actor.is_secretariat:
            return super().viewable(actor, qs)
        return super().viewable(actor, qs).exclude(Q(family_name="Alterno"))


def test_reports_read_through_the_permission_door(client, net, monkeypatch, tmp_path):
    """A stricter policy (as a later module may register) hides rows from every report."""
    monkeypatch.setitem(permissions.POLICIES, "directory.organisation", HideBrazilAndAlternates())
    monkeypatch.setitem(permissions.POLICIES, "directory.person", HideAlternates())
    client.force_login(net.users["ncp_uy"])
    text, _pages = pdf_text(
        client.get(reverse("directory:region_ncps_pdf", args=[net.ams.pk])), tmp_path
    )
    assert "Lucía Ramírez" in text
    assert "Receita Federal" not in text and "João Silva" not in text
    assert "Diego Alterno" not in text
    rows = csv_rows(client.get(chart_url("directory.region_map", "csv", net.ams)))
    assert [row[0] for row in rows[1:]] == ["BB", "UY"]
    spec = client.get(chart_url("directory.region_map", "json", net.ams)).json()
    geometries = spec["datasets"]["cbnet-country-shapes"]["objects"]["countries"]["geometries"]
    assert {g["id"] for g in geometries} == {URUGUAY, BARBADOS}
    counts = csv_rows(client.get(chart_url("directory.region_freshness", "csv", net.ams)))
    assert counts[1] == ["Confirmed within a year", "0"]  # Brazil was the confirmed one
    page = client.get(reverse("directory:region_detail", args=[net.ams.pk])).content.decode()
    assert "Receita Federal" not in page
    # The Secretariat still sees everything.
    client.force_login(net.users["secretariat"])
    text, _pages = pdf_text(
        client.get(reverse("directory:region_ncps_pdf", args=[net.ams.pk])), tmp_path
    )
    assert "João Silva" in text and "Diego Alterno" in text
