"""The search page and the search API: messages, links, paging, constant query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cbnet.core.search import views
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def net():
    return f.network()


@pytest.fixture
def reader(client, net):
    client.force_login(net.users["reader"])
    return client


def page(client, q, **params):
    return client.get(reverse("search:search"), {"q": q, **params})


def test_page_lists_results_with_links_kinds_and_marked_snippets(reader, net):
    response = page(reader, "ramirez")
    assert response.status_code == 200
    html = response.content.decode()
    lucia = net.people["ncp_uy"]
    assert f'href="{lucia.get_absolute_url()}"' in html
    assert "Lucía Ramírez" in html
    assert "Person" in html
    assert "<mark>Ramírez</mark>" in html
    assert "1 result" in html


def test_page_without_a_query_shows_the_box_only(reader):
    response = reader.get(reverse("search:search"))
    assert response.status_code == 200
    assert b'id="search-query"' in response.content
    assert b"search-error" not in response.content


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type a word or a name to search for."),
        ("a", "Type at least 2 letters or digits to search."),
        ('"*', "Type at least 2 letters or digits to search."),
        ("x" * 500, "Search for at most 200 characters."),
    ],
)
def test_unsearchable_queries_get_a_clear_message(reader, query, message):
    response = page(reader, query)
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.parametrize("query", ['NEAR("a"', "aduana*", "-aduana", "col:aduana", "'; --"])
def test_fts_syntax_in_the_query_is_just_text(reader, query):
    response = page(reader, query)
    assert response.status_code == 200


def test_nothing_found_says_so(reader):
    response = page(reader, "xyzzy")
    assert "Nothing you may see matches" in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client):
    response = page(client, "ramirez")
    assert response.status_code == 302
    assert "/accounts/" in response["Location"] or "login" in response["Location"]


def _many(n, organisation):
    for i in range(n):
        f.person("Zoila", f"Zambrano{i:03d}", organisation, title="Inspectora de aduanas")


def test_query_count_does_not_grow_with_the_results(reader, net, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 50)
    _many(3, net.uruguay)
    page(reader, "zambrano")  # warm caches (content types, the actor)
    with CaptureQueriesContext(connection) as few:
        response = page(reader, "zambrano")
    assert response.content.decode().count("<mark>Zambrano") == 3
    _many(40, net.brazil)
    with CaptureQueriesContext(connection) as many:
        response = page(reader, "zambrano")
    assert response.content.decode().count("<mark>Zambrano") == 43
    assert len(many) == len(few)


def test_results_are_paged(reader, net):
    _many(25, net.uruguay)
    first = page(reader, "zambrano").content.decode()
    second = page(reader, "zambrano", page=2).content.decode()
    assert "25 results" in first and "Page 1 of 2" in first
    assert first.count("<mark>Zambrano") == 20 and second.count("<mark>Zambrano") == 5
    assert "Zambrano000" in first and "Zambrano024" in second
    assert page(reader, "zambrano", page="nonsense").status_code == 200


def test_navbar_has_the_search_box(reader):
    html = reader.get(reverse("home")).content.decode()
    assert f'action="{reverse("search:search")}"' in html


# --- API ---------------------------------------------------------------------------------


def api(client, **params):
    return client.get(reverse("api:search"), params)


def test_api_returns_type_id_title_url(reader, net):
    response = api(reader, q="ramírez")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    (result,) = data["results"]
    lucia = net.people["ncp_uy"]
    assert result["type"] == "directory.person"
    assert result["id"] == lucia.pk
    assert result["title"] == "Lucía Ramírez"
    assert result["url"].endswith(lucia.get_absolute_url())


def test_api_type_name_follows_the_language(reader):
    response = reader.get(reverse("api:search"), {"q": "ramirez"}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.json()["results"][0]["type_name"] == "persona"


def test_api_refuses_bad_queries_with_400(reader):
    assert api(reader, q="").status_code == 400
    assert api(reader).status_code == 400
    response = api(reader, q="a")
    assert response.status_code == 400
    assert "q" in response.json()
    response = api(reader, q="ramirez", colour="red")
    assert response.status_code == 400
    assert response.json()["unknown_parameters"] == ["colour"]


def test_api_pages_and_anonymous(client, reader, net):
    _many(7, net.uruguay)
    data = api(reader, q="zambrano", page_size=5).json()
    assert data["count"] == 7 and len(data["results"]) == 5 and data["next"]
    assert api(reader, q="zambrano", page=9).status_code == 404
    client.logout()
    assert api(client, q="zambrano").status_code == 401
