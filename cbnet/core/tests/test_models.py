"""The core bases: stale saves refused, history with its user, archiving, search text."""

import pytest
from django.core.exceptions import ValidationError

from cbnet.core.models import StaleObjectError
from cbnet.core.testing import factories
from cbnet.core.text import normalize
from cbnet.directory.models import Organisation, Person

pytestmark = pytest.mark.django_db


def test_second_of_two_concurrent_edits_is_refused_and_the_first_kept():
    org = factories.organisation("Aduana")
    first = Organisation.objects.get(pk=org.pk)
    second = Organisation.objects.get(pk=org.pk)

    first.website = "https://first.example.org"
    first.save()
    second.website = "https://second.example.org"
    with pytest.raises(StaleObjectError) as refused:
        second.save()

    assert isinstance(refused.value, ValidationError)
    assert refused.value.code == "stale"
    stored = Organisation.objects.get(pk=org.pk)
    assert stored.website == "https://first.example.org"
    assert stored.version == 2
    assert second.version == 1  # the refused copy is left as it was
    assert org.history.count() == 2  # no history row for the refused save


def test_version_increases_with_every_save_including_update_fields():
    org = factories.organisation()
    assert org.version == 1
    org.website = "https://a.example.org"
    org.save()
    org.acronym = "X"
    org.save(update_fields=["acronym"])
    stored = Organisation.objects.get(pk=org.pk)
    assert (org.version, stored.version, stored.acronym) == (3, 3, "X")


def test_a_reloaded_copy_saves_again():
    org = factories.organisation()
    stale = Organisation.objects.get(pk=org.pk)
    org.save()
    stale.refresh_from_db()
    stale.acronym = "OK"
    stale.save()
    assert Organisation.objects.get(pk=org.pk).acronym == "OK"


def test_history_keeps_user_time_and_before_after_values():
    author = factories.user("author")
    org = factories.organisation("Before")
    org.name = "After"
    org._history_user = author
    org.save()

    latest, creation = org.history.all()[:2]
    assert creation.history_type == "+" and latest.history_type == "~"
    assert latest.history_user == author
    assert latest.history_date >= creation.history_date
    delta = latest.diff_against(creation)
    change = next(c for c in delta.changes if c.field == "name")
    assert (change.old, change.new) == ("Before", "After")


def test_archiving_keeps_the_row_and_hides_it_from_active():
    kept = factories.organisation("Kept")
    gone = factories.organisation("Archived")
    gone.mark_archived()
    gone.save()

    assert gone.is_archived and Organisation.objects.filter(pk=gone.pk).exists()
    assert list(Organisation.objects.active().filter(pk__in=[kept.pk, gone.pk])) == [kept]
    assert gone.history.first().archived_at is not None

    gone.mark_restored()
    gone.save()
    assert not gone.is_archived
    assert Organisation.objects.active().filter(pk=gone.pk).exists()


def test_search_text_is_accent_and_case_insensitive():
    person = factories.person("José", "Ramírez", email="Jose.Ramirez@Example.org")
    assert "jose ramirez" in person.search_text
    assert "jose.ramirez@example.org" in person.search_text
    for query in ("Ramirez", "RAMÍREZ", "ramírez", "  josé "):
        assert list(Person.objects.filter(search_text__contains=normalize(query))) == [person]
    assert not Person.objects.filter(search_text__contains=normalize("Ramos")).exists()


def test_search_text_follows_edits_even_with_update_fields():
    person = factories.person("Ana", "Pérez")
    person.family_name = "Gómez"
    person.save(update_fields=["family_name"])
    stored = Person.objects.get(pk=person.pk)
    assert "gomez" in stored.search_text and "perez" not in stored.search_text


def test_organisation_search_includes_country_name_in_every_language():
    from django.utils import translation

    with translation.override("pt"):
        org = factories.organisation("Aduana", country="BR", acronym="RFB")
    assert {"brazil", "brasil", "bresil", "rfb"} <= set(org.search_text.split())


def test_normalize():
    assert normalize("  José  RAMÍREZ ") == "jose ramirez"
    assert normalize("Curaçao") == "curacao"
    assert normalize("") == ""
