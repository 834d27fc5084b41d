"""What the speed work changed on pages: capped lists on the organisation page, and each
permission question answered once per request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cbnet.core.testing import factories as f
from cbnet.directory.views import DETAIL_LIMIT


@pytest.fixture
def net(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return f.network()


def _people(organisation, count):
    for index in range(count):
        person = f.person(organisation=organisation, family_name=f"Zz{index:03d}")
        f.appointment(person, role="staff")


def test_organisation_page_lists_the_first_people_and_links_to_all(client, net):
    _people(net.uruguay, DETAIL_LIMIT + 5)
    client.force_login(net.users["reader"])
    response = client.get(reverse("directory:organisation_detail", args=[net.uruguay.pk]))
    assert response.status_code == 200
    people = response.context["people"]
    assert len(people) == DETAIL_LIMIT
    # Alphabetical: Ramírez (the NCP) comes before the Zz… people.
    assert people[0] == net.people["ncp_uy"]
    html = response.content.decode()
    people_url = f"{reverse('directory:person_list')}?organisation={net.uruguay.pk}"
    assert f'href="{people_url}"' in html
    assert len(response.context["other_appointments"]) == DETAIL_LIMIT
    appointments_url = (
        f"{reverse('directory:appointment_list')}?organisation={net.uruguay.pk}&amp;current=yes"
    )
    assert f'href="{appointments_url}"' in html
    # The link leads to every one of them.
    listed = client.get(people_url)
    assert listed.context["table"].paginator.count == DETAIL_LIMIT + 6


def test_organisation_page_without_links_when_everything_fits(client, net):
    _people(net.uruguay, 3)
    client.force_login(net.users["reader"])
    response = client.get(reverse("directory:organisation_detail", args=[net.uruguay.pk]))
    assert len(response.context["people"]) == 4
    assert response.context["all_people_url"] is None
    assert 'id="all-people"' not in response.content.decode()


def test_organisation_page_queries_do_not_grow_with_its_people(client, net):
    client.force_login(net.users["ncp_uy"])
    url = reverse("directory:organisation_detail", args=[net.uruguay.pk])
    _people(net.uruguay, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _people(net.uruguay, DETAIL_LIMIT * 2)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_organisation_page_asks_each_permission_question_once(client, net):
    """can_change, can_confirm and can_add_person all need "may change Uruguay": one query."""
    client.force_login(net.users["ncp_uy"])
    url = reverse("directory:organisation_detail", args=[net.uruguay.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.context["can_change"] and response.context["can_confirm"]
    assert response.context["can_add_person"]
    scope_checks = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT 1 AS")
        and f'"directory_organisation"."id" = {net.uruguay.pk}' in q["sql"]
    ]
    assert scope_checks and len(scope_checks) == len(set(scope_checks))


def test_organisation_page_links_are_the_records_urls(client, net):
    """The page presets its rows' URLs from a pattern (views.preset_urls): each link is
    still the record's own get_absolute_url()."""
    from cbnet.directory.models import Appointment, Person

    _people(net.uruguay, 3)
    client.force_login(net.users["reader"])
    response = client.get(reverse("directory:organisation_detail", args=[net.uruguay.pk]))
    html = response.content.decode()
    people = Person.objects.filter(organisation=net.uruguay)
    appointments = Appointment.objects.filter(organisation=net.uruguay)
    assert people.count() == 4 and appointments.count() >= 4
    for record in [*people, *appointments]:
        fresh = type(record).objects.get(pk=record.pk)
        assert f'href="{fresh.get_absolute_url()}"' in html
    for a in response.context["ncp_history"]:
        assert a.get_absolute_url() == reverse("directory:appointment_detail", args=[a.pk])
        assert a.person.get_absolute_url() == reverse("directory:person_detail", args=[a.person.pk])
