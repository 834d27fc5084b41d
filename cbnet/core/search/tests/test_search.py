"""Search: the same answers on SQLite (FTS5) and PostgreSQL, accents, stems, the door."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from cbnet.capabilities.models import Area, Framework
from cbnet.core import permissions
from cbnet.core.search import base, engine, indexing
from cbnet.core.search.backends import backend_for, reference_match
from cbnet.core.search.models import SearchEntry
from cbnet.core.testing import factories as f
from cbnet.directory.models import Organisation, Person

pytestmark = pytest.mark.django_db


def names_in_languages(english, translations):
    """Area's name in four languages, whether it is a multilingual field or name + names."""
    if any(field.name == "names" for field in Area._meta.fields):
        return {"name": english, "names": translations}
    texts = {"en": {"text": english, "status": "original"}}
    texts.update(
        {code: {"text": text, "status": "translated"} for code, text in translations.items()}
    )
    return {"name": {"original": "en", "texts": texts}}


@pytest.fixture
def corpus():
    net = f.network()
    chile = f.organisation(
        "Servicio Nacional de Aduana", country="CL", region=net.ams, acronym="SNA"
    )
    france = f.organisation("Direction générale des douanes et droits indirects", country="FR")
    brigade = f.organisation("Brigade des enquêtes douanières", kind="other", country="FR")
    divisao = f.organisation("Divisão de Importação", kind="other", country="BR")
    people = {
        "jose": f.person("José", "Pereira", net.brazil, title="Chefe de importações"),
        "joseph": f.person("Joseph", "Okafor", france, title="Head of inspections"),
        "ines": f.person("Inès", "Lefèvre", france, title="Risk-based inspection officer"),
        "maria": f.person("María", "Núñez", chile, email="maria.nunez@aduana.cl"),
    }
    framework = Framework.objects.create(code="tfa-test", kind="tfa", name="Trade facilitation")
    area = Area.objects.create(
        framework=framework,
        code="7.4",
        **names_in_languages(
            "Risk management",
            {"es": "Gestión de riesgos", "fr": "Gestion des risques", "pt": "Gestão de riscos"},
        ),
    )
    return net, {
        "chile": chile,
        "france": france,
        "brigade": brigade,
        "divisao": divisao,
        "framework": framework,
        "area": area,
        **people,
    }


def found(user, query, **kwargs):
    return [(hit.model, hit.object_id) for hit in engine.search(user, query, **kwargs).hits]


def reference(user, query):
    """The answer computed without the database's full-text index: every entry matched in
    Python (``reference_match``), ranked, and filtered through the door."""
    groups = engine.prepare_query(query)
    rows = [
        (ct, oid, title, fields)
        for ct, oid, title, fields, tokens in SearchEntry.objects.filter(
            archived=False
        ).values_list("content_type_id", "object_id", "title", "fields", "tokens")
        if reference_match(tokens, groups)
    ]
    hits = engine.rank(rows, groups, engine.indexes_by_content_type())
    visible = {
        index: engine.visible_ids(user, index, [h.object_id for h in hits if h.index is index])
        for index in {h.index for h in hits}
    }
    return [(h.model, h.object_id) for h in hits if h.object_id in visible[h.index]]


CORPUS_QUERIES = [
    "aduana",
    "aduanas",
    "ADUANAS",
    "douane",
    "douanières",
    "importação",
    "importações",
    "importacoes",
    "inspection",
    "inspections",
    "ramirez",
    "Ramírez",
    "lucia ramirez",
    "uruguay",
    "Uruguai",
    "jose",
    "nunez",
    "risk",
    "riesgos",
    "gestao",
    "nacional",
    "rfb",
    "XM-DAC-46012",
    "xyzzy",
]


def test_the_database_index_answers_not_the_python_fallback():
    assert backend_for().vendor == connection.vendor in ("sqlite", "postgresql")


@pytest.mark.parametrize("query", CORPUS_QUERIES)
def test_backend_matches_the_reference_set_and_order(corpus, query):
    net, _records = corpus
    user = net.users["reader"]
    answer = found(user, query)
    assert answer == reference(user, query)


def names(user, query):
    return {str(hit.obj) for hit in engine.load_objects(user, engine.search(user, query).hits)}


def test_accents_and_case_do_not_matter(corpus):
    net, records = corpus
    reader = net.users["reader"]
    for query in ("ramirez", "RAMÍREZ", "Ramírez", "ramírez"):
        assert names(reader, query) == {"Lucía Ramírez"}
    assert names(reader, "nunez") == {"María Núñez"}
    assert names(reader, "lucia ramirez") == {"Lucía Ramírez"}


def test_plurals_and_verb_forms_find_each_other(corpus):
    net, records = corpus
    reader = net.users["reader"]
    uruguay, chile = "Dirección Nacional de Aduanas (Uruguay)", "Servicio Nacional de Aduana"
    assert {uruguay, chile} <= names(reader, "aduana")
    assert {uruguay, chile} <= names(reader, "aduanas")
    assert {"Brigade des enquêtes douanières", records["france"].name} <= names(reader, "douane")
    for query in ("importação", "importações", "importacoes"):
        assert {"José Pereira", "Divisão de Importação"} <= names(reader, query), query
    for query in ("inspection", "inspections"):
        assert {"Joseph Okafor", "Inès Lefèvre"} <= names(reader, query), query
    assert names(reader, "xyzzy") == set()


def test_every_word_must_match(corpus):
    net, records = corpus
    reader = net.users["reader"]
    assert names(reader, "nacional aduana") == {
        "Dirección Nacional de Aduanas (Uruguay)",
        "Servicio Nacional de Aduana",
    }
    assert names(reader, "nacional chile") == {"Servicio Nacional de Aduana"}  # its country
    assert names(reader, "nacional chili") == {"Servicio Nacional de Aduana"}  # in French
    assert names(reader, "nacional brasil") == set()


def test_translated_names_and_countries_are_found(corpus):
    net, records = corpus
    reader = net.users["reader"]
    assert str(records["area"]) in names(reader, "riesgos")
    assert str(records["area"]) in names(reader, "gestao riscos")
    assert records["chile"].name in names(reader, "Chili")
    assert "Dirección Nacional de Aduanas (Uruguay)" in names(reader, "Uruguai")


def test_a_match_in_a_stronger_field_ranks_first(corpus):
    net, records = corpus
    reader = net.users["reader"]
    # "aduana" is María's e-mail domain (weight 150) but the Chilean service's name (100).
    hits = engine.search(reader, "aduana").hits
    order = [(hit.model, hit.object_id) for hit in hits]
    assert order.index((Organisation, records["chile"].pk)) < order.index(
        (Person, records["maria"].pk)
    )
    # The exact word beats a stem or a prefix: "inspection" ranks Inès (exact) before
    # Joseph ("inspections", by stem).
    order = [hit.object_id for hit in engine.search(reader, "inspection").hits]
    assert order.index(records["ines"].pk) < order.index(records["joseph"].pk)


def test_type_ahead_prefix(corpus):
    net, _ = corpus
    assert names(net.users["reader"], "rami") == {"Lucía Ramírez"}


# --- the door ---------------------------------------------------------------------------


class HideOtherAdministrationsPeople(permissions.PersonPolicy):
    """A stricter policy than the directory's: people only of one's own administration."""

    def viewable(self, actor, qs):
        if actor.is_secretariat:
            return qs
        return (
            qs.filter(organisation_id__in=actor.ncp_org_ids)
            if actor.is_authenticated
            else qs.none()
        )


def test_results_only_what_the_policy_lets_the_user_view(corpus, monkeypatch):
    net, records = corpus
    monkeypatch.setitem(permissions.POLICIES, "directory.person", HideOtherAdministrationsPeople())
    ncp_uy, ncp_br = net.users["ncp_uy"], net.users["ncp_br"]
    assert names(ncp_uy, "ramirez") == {"Lucía Ramírez"}
    assert names(ncp_br, "ramirez") == set()
    assert names(ncp_br, "pereira") == {"José Pereira"}  # a colleague in Brazil
    assert names(ncp_uy, "pereira") == set()
    assert found(ncp_br, "ramirez") == reference(ncp_br, "ramirez") == []
    # Organisations are still visible to both.
    assert "Dirección Nacional de Aduanas (Uruguay)" in names(ncp_br, "uruguay")


def test_anonymous_finds_nothing(corpus):
    assert found(AnonymousUser(), "ramirez") == []


def test_archived_records_are_hidden_unless_asked(corpus):
    net, records = corpus
    reader = net.users["reader"]
    chile = records["chile"]
    chile.mark_archived()
    chile.save()
    assert chile.name not in names(reader, "aduana")
    archived = engine.search(reader, "aduana", include_archived=True).hits
    assert (Organisation, chile.pk) in [(h.model, h.object_id) for h in archived]
    # A stale entry (archived by an update that sent no signal) is still hidden by the door.
    chile.mark_restored()
    chile.save()
    Organisation.objects.filter(pk=chile.pk).update(archived_at="2024-01-01T00:00:00Z")
    assert SearchEntry.objects.get(object_id=chile.pk, title=chile.name).archived is False
    assert chile.name not in names(reader, "aduana")


# --- keeping the index current ----------------------------------------------------------


def test_index_follows_saves_and_deletes(corpus):
    net, records = corpus
    reader = net.users["reader"]
    jose = records["jose"]
    jose.family_name = "Fernández"
    jose.save()
    assert names(reader, "fernandez") == {"José Fernández"}
    assert names(reader, "pereira") == set()
    jose.delete()
    assert names(reader, "fernandez") == set()
    assert not SearchEntry.objects.filter(object_id=jose.pk, title__contains="José").exists()


def test_a_rolled_back_save_leaves_the_index_as_it_was(corpus):
    from django.db import transaction

    net, records = corpus
    maria = records["maria"]
    with pytest.raises(RuntimeError), transaction.atomic():
        maria.family_name = "Fernández"
        maria.save()
        raise RuntimeError
    assert names(net.users["reader"], "fernandez") == set()
    assert names(net.users["reader"], "nunez") == {"María Núñez"}


def test_rebuild_indexes_what_bypassed_the_signals(corpus, capsys):
    from django.core.management import call_command

    net, records = corpus
    reader = net.users["reader"]
    Person.objects.bulk_create([Person(given_name="Bulk", family_name="Zedillo")])
    Person.objects.filter(pk=records["maria"].pk).update(family_name="Quispe")
    assert names(reader, "zedillo") == set()
    SearchEntry.objects.create(
        content_type_id=SearchEntry.objects.first().content_type_id,
        object_id=999_999,
        title="ghost",
        tokens="ghost",
        fields=[["name", 100, "ghost", "ghost"]],
    )
    call_command("rebuild_search_index")
    out = capsys.readouterr().out
    assert "directory.person" in out
    assert names(reader, "zedillo") == {"Bulk Zedillo"}
    assert names(reader, "quispe") == {"María Quispe"}
    assert names(reader, "maria nunez") == {"María Quispe"}  # still by her e-mail
    assert names(reader, "ghost") == set()
    count = Person.objects.count() + Organisation.objects.count()
    assert SearchEntry.objects.count() >= count


def test_every_registered_model_is_indexed():
    assert set(base.REGISTRY) >= {
        "directory.region",
        "directory.organisation",
        "directory.person",
        "capabilities.framework",
        "capabilities.area",
    }
    assert indexing.rebuild(["directory.region"]) == {"directory.region": 0}
    with pytest.raises(ValueError):
        indexing.rebuild(["directory.appointment"])


# --- bad queries -------------------------------------------------------------------------


HOSTILE = [
    '"',
    '""',
    "*",
    "NEAR(",
    'NEAR("a" "b", 2)',
    "-",
    "- aduana",
    ":",
    "tokens:aduana",
    "aduana*",
    "a OR b",
    "NOT aduana",
    "AND",
    "'",
    "\\",
    "&|!():*",
    "aduana & | ! <->",
    "%_%",
    "\x00aduana",
    "🙂 aduana",
    "ab " * 60,
    "a" * 60,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_answer_calmly(corpus, query):
    net, _ = corpus
    try:
        answer = found(net.users["reader"], query)
    except engine.SearchError as error:
        assert error.code in ("empty", "short", "long")
    else:
        assert answer == reference(net.users["reader"], query)


def test_empty_short_and_long_queries_are_refused_with_a_reason():
    for query, code in (("", "empty"), ("   ", "empty"), ("a", "short"), ("- ?", "short")):
        with pytest.raises(engine.SearchError) as caught:
            engine.prepare_query(query)
        assert caught.value.code == code
    with pytest.raises(engine.SearchError) as caught:
        engine.prepare_query("x" * 201)
    assert caught.value.code == "long"


def test_highlight_escapes_and_marks():
    groups = engine.prepare_query("aduana")
    html = engine.highlight("<b>Aduanas</b> & aduana", groups)
    assert html == "&lt;b&gt;<mark>Aduanas</mark>&lt;/b&gt; &amp; <mark>aduana</mark>"
    long = "x " * 200 + "Aduana " + "y " * 200
    snippet = engine.highlight(long, groups)
    assert "<mark>Aduana</mark>" in snippet and snippet.startswith("…") and len(snippet) < 200


def test_the_demo_ends_with_a_current_index():
    from cbnet.directory.demo import load_demo

    load_demo()
    SearchEntry.objects.all().delete()  # as in a database from before the search index
    load_demo()  # creates nothing, rebuilds the index
    assert SearchEntry.objects.filter(archived=False).count() >= Person.objects.count()
    secretariat = Person.objects.filter(user__username="secretariat").get().user
    assert "Customs administration of Uruguay (DNA)" in names(secretariat, "customs uruguai")
