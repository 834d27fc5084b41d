"""The journey of issue 2 in Chromium, against the real demo network.

The NCP of Uruguay signs in, reads the Americas and Caribbean region and Uruguay's
administration (current NCPs, handover history, ROCB, Secretariat, partners), corrects a
colleague's phone number and sees the change in the history tab, confirms the contacts, is
refused an edit in Brazil, switches the interface language and signs out.

Runs on the PostgreSQL leg only (``make test``); screenshots go to pytest's ``tmp_path``.
"""

import datetime
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from cbnet.directory.choices import Domain, OrganisationKind, Role
from cbnet.directory.demo import demo_password
from cbnet.directory.models import Appointment, Organisation, Person, Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT_MS = 10_000


@pytest.fixture
def demo(settings):
    """The demo network of ``make run``, with a fast hasher for the demo passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", stdout=StringIO())
    return {
        "ams": Region.objects.get(code="AMS"),
        "uruguay": Organisation.objects.get(kind="member_administration", country="UY"),
        "brazil": Organisation.objects.get(kind="member_administration", country="BR"),
    }


@pytest.fixture
def page(page: Page):
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return page


def in_language(language, text):
    with translation.override(language):
        return gettext(text)


def localised_date(day, format_name, language="en"):
    with translation.override(language):
        return formats.date_format(day, format_name)


def shot(page, tmp_path, name):
    page.screenshot(path=tmp_path / f"{name}.png", full_page=True)


def sign_in(page, live_server, username="ncp.uy"):
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("h1")).to_have_text(in_language("en", "Sign in to CBNet"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo_password())
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("#user-menu")).to_contain_text(username)


def directory_menu(page, item):
    """Directory ▸ item, from the main navigation."""
    nav = page.locator("#main-nav")
    nav.locator(".dropdown-toggle", has_text="Directory").click()
    nav.get_by_role("link", name=item, exact=True).click()


def test_ncp_of_uruguay_reads_the_region_and_keeps_the_contacts_current(
    page, live_server, demo, tmp_path
):
    uruguay = demo["uruguay"]
    sign_in(page, live_server)
    expect(page.locator("h1")).to_have_text("Welcome, Lucía")
    shot(page, tmp_path, "01-home")

    # The region: every member administration, each with its current NCP.
    directory_menu(page, "Regions")
    page.get_by_role("link", name="Americas and Caribbean", exact=True).first.click()
    expect(page.locator("h1")).to_contain_text("Americas and Caribbean")
    members = Organisation.objects.filter(
        kind=OrganisationKind.MEMBER_ADMINISTRATION, region=demo["ams"], archived_at__isnull=True
    )
    assert members.count() == 31  # ../shared/data/reference/ams-members.csv
    rows = page.locator("table tbody tr").filter(has_text="Member administration")
    expect(rows).to_have_count(31)
    cells = rows.evaluate_all("rows => rows.map(r => Array.from(r.cells, c => c.innerText))")
    listed = {name.strip(): (ncp, alternate) for name, _kind, ncp, alternate, _date in cells}
    assert set(listed) == {m.name for m in members}
    current = Appointment.objects.current().filter(
        organisation__in=members, domain=Domain.CAPACITY_BUILDING, archived_at__isnull=True
    )
    for role, column in ((Role.NCP, 0), (Role.ALTERNATE_NCP, 1)):
        holders = {a.organisation.name: str(a.person) for a in current.filter(role=role)}
        assert set(holders) == set(listed), f"every member has a current {role}"
        for name, person in holders.items():
            assert f"{person} (Capacity building)" in listed[name][column], (name, role)
    assert listed[uruguay.name][0].startswith("Lucía Ramírez")
    assert listed[uruguay.name][1].startswith("Diego Fernández")
    rocb = Organisation.objects.get(kind=OrganisationKind.ROCB, region=demo["ams"])
    expect(page.get_by_role("link", name=rocb.name, exact=True)).to_be_visible()
    shot(page, tmp_path, "02-region")

    # Uruguay: current NCP and alternate, and the handovers over the years.
    page.get_by_role("link", name=uruguay.name, exact=True).click()
    expect(page.locator("h1")).to_contain_text(uruguay.name)
    capacity_building = page.locator("#current-ncps tbody tr").filter(has_text="Capacity building")
    expect(capacity_building.locator("td").nth(1)).to_have_text("Lucía Ramírez")
    expect(capacity_building.locator("td").nth(2)).to_have_text("Diego Fernández")
    history = page.locator("#ncp-history tbody tr")
    assert history.count() >= 6
    first_ncp = history.filter(has_text="Martín Pereyra").filter(
        has_text=localised_date(datetime.date(2014, 3, 1), "SHORT_DATE_FORMAT")
    )
    expect(first_ncp).to_have_count(1)
    expect(first_ncp).to_contain_text(
        localised_date(datetime.date(2017, 6, 1), "SHORT_DATE_FORMAT")
    )
    expect(history.filter(has_text="Sofía Castro")).to_have_count(2)  # alternate, then NCP
    shot(page, tmp_path, "03-uruguay")

    # The Secretariat and the partners, from the organisations list filtered by kind.
    directory_menu(page, "Organisations")
    for kind, expected in (
        ("development_partner", "Inter-American Development Bank"),
        ("wco_secretariat", "World Customs Organization Secretariat"),
        ("rocb", rocb.name),
    ):
        page.select_option("#filters select[name=kind]", kind)
        page.locator("#filters button[type=submit]").click()
        expect(page).to_have_url(re.compile(rf"kind={kind}"))
        expect(page.locator("table").get_by_role("link", name=expected)).to_be_visible()
        expect(page.locator("table").get_by_role("link", name=uruguay.name)).to_have_count(0)
    page.select_option("#filters select[name=kind]", "development_partner")
    page.locator("#filters button[type=submit]").click()
    for partner in ("Inter-American Development Bank", "World Bank", "International Monetary Fund"):
        expect(page.locator("table").get_by_text(partner, exact=False).first).to_be_visible()
    shot(page, tmp_path, "04-partners")

    # A colleague's phone number, corrected from Uruguay's page.
    colleague = Person.objects.get(organisation=uruguay, given_name="Martín", family_name="Pereyra")
    old_phone, new_phone = colleague.phone, "+598 2 915 0007"
    assert old_phone and colleague.user_id is None
    page.goto(live_server.url + uruguay.get_absolute_url())
    page.locator("#people").get_by_role("link", name="Martín Pereyra").click()
    page.locator("#edit-button").click()
    expect(page.locator("#id_phone")).to_have_value(old_phone)
    page.fill("#id_phone", new_phone)
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(live_server.url + colleague.get_absolute_url())
    expect(page.locator("#contact-card")).to_contain_text(new_phone)
    expect(page.locator("#contact-card")).not_to_contain_text(old_phone)
    colleague.refresh_from_db()
    assert colleague.phone == new_phone

    page.locator("#history-tab").click()
    latest = page.locator(".history-change").first
    expect(latest).to_contain_text("Lucía Ramírez (ncp.uy)")
    change = latest.locator("tbody tr").filter(has_text="Office phone")
    expect(change.locator("td.old")).to_have_text(old_phone)
    expect(change.locator("td.new")).to_have_text(new_phone)
    shot(page, tmp_path, "05-history")

    # Contacts confirmed: today, by the NCP.
    page.goto(live_server.url + uruguay.get_absolute_url())
    expect(page.locator("#contacts-confirmed")).to_have_class(re.compile("alert-warning"))
    page.locator("#confirm-contacts").click()
    today = timezone.localdate()
    confirmed = page.locator("#contacts-confirmed")
    expect(confirmed).to_contain_text(
        f"Contacts confirmed on {localised_date(today, 'DATE_FORMAT')} by Lucía Ramírez."
    )
    expect(confirmed).to_have_class(re.compile("alert-success"))
    uruguay.refresh_from_db()
    assert uruguay.contacts_confirmed_on == today
    assert uruguay.contacts_confirmed_by.user.username == "ncp.uy"
    shot(page, tmp_path, "06-confirmed")


def test_ncp_of_uruguay_reads_brazil_but_is_refused_an_edit(page, live_server, demo, tmp_path):
    brazil = demo["brazil"]
    sign_in(page, live_server)

    page.goto(live_server.url + demo["ams"].get_absolute_url())
    page.get_by_role("link", name=brazil.name, exact=True).click()
    expect(page.locator("h1")).to_contain_text(brazil.name)
    capacity_building = page.locator("#current-ncps tbody tr").filter(has_text="Capacity building")
    expect(capacity_building.locator("td").nth(1)).to_have_text("João Carvalho")
    expect(page.locator("#edit-button")).to_have_count(0)
    expect(page.locator("#archive-button")).to_have_count(0)
    expect(page.locator("#confirm-contacts")).to_have_count(0)
    expect(page.get_by_role("link", name="Add a person")).to_have_count(0)

    person = Person.objects.get(organisation=brazil, given_name="Renata", family_name="Almeida")
    before = (person.phone, person.version, person.history.count())
    page.locator("#people").get_by_role("link", name="Renata Almeida").click()
    expect(page.locator("#contact-card")).to_contain_text("Renata Almeida")
    expect(page.locator("#edit-button")).to_have_count(0)
    shot(page, tmp_path, "07-brazil-person")

    edit_url = live_server.url + f"{person.get_absolute_url()}edit/"
    response = page.goto(edit_url)
    assert response.status == 403
    expect(page.locator("#permission-denied")).to_contain_text(
        in_language("en", "You may not make this change.")
    )
    expect(page.locator("#user-menu")).to_contain_text("ncp.uy")  # still signed in, with menus
    expect(page.locator("#object-form")).to_have_count(0)
    shot(page, tmp_path, "08-refused")

    # Nor does a hand-made POST with a valid CSRF token get through.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        edit_url,
        form={
            "given_name": person.given_name,
            "family_name": person.family_name,
            "organisation": str(brazil.pk),
            "phone": "+55 61 0000 0000",
            "version": str(person.version),
        },
        headers={"X-CSRFToken": csrf, "Referer": edit_url},
    )
    assert response.status == 403
    person.refresh_from_db()
    assert (person.phone, person.version, person.history.count()) == before


def test_interface_language_switch_is_remembered_until_sign_out(page, live_server, demo, tmp_path):
    uruguay = demo["uruguay"]
    sign_in(page, live_server)
    page.goto(live_server.url + uruguay.get_absolute_url())
    expect(page.locator("html")).to_have_attribute("lang", "en")
    nav = page.locator("#main-nav .dropdown-toggle").first
    expect(nav).to_have_text("Directory")

    confirmed_on = uruguay.contacts_confirmed_on
    assert confirmed_on is not None
    for language in ("es", "fr", "pt"):
        label = in_language(language, "Directory")
        assert label != "Directory", f"{language} catalogue: 'Directory' is not translated"
        page.select_option("#language-select", language)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page).to_have_url(live_server.url + uruguay.get_absolute_url())
        expect(nav).to_have_text(label)
        expect(page.locator("#history-tab")).to_have_text(in_language(language, "History"))
        # Dates are localised too.
        expect(page.locator("#contacts-confirmed")).to_contain_text(
            localised_date(confirmed_on, "DATE_FORMAT", language)
        )
        shot(page, tmp_path, f"09-{language}")

        # Remembered on the next page load, without asking again.
        page.goto(live_server.url + "/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("#main-nav .dropdown-toggle").first).to_have_text(label)
        page.goto(live_server.url + uruguay.get_absolute_url())

    page.locator("#user-menu").click()
    page.locator("#sign-out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/|/$"))
    page.goto(live_server.url + uruguay.get_absolute_url())
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("#user-menu")).to_have_count(0)
    expect(page.locator("html")).to_have_attribute("lang", "pt")
    expect(page.locator("h1")).to_have_text(in_language("pt", "Sign in to CBNet"))
    shot(page, tmp_path, "10-signed-out")
