"""Multilingual text: codes, statuses, fallback display, the side-by-side form, the API."""

import importlib
import re

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cbnet.capabilities.models import Area, Framework
from cbnet.core.multilingual import (
    MultilingualFormField,
    MultilingualText,
    convert_translated_names,
    normalize_code,
)
from cbnet.core.testing.factories import network

ES_ORIGINAL = {
    "original": "es",
    "texts": {
        "es": {"text": "Gestión de riesgos", "status": "original"},
        "en": {"text": "Risk management", "status": "translated"},
        "fr": {"text": "Gestion des risques", "status": "translated"},
    },
}


@pytest.fixture
def framework(db):
    return Framework.objects.create(code="ml-test", kind="other", name="Test framework")


# --- codes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "normalized"),
    [
        ("es", "es"),
        ("EN", "en"),
        ("Fr", "fr"),
        ("en_GB", "en-gb"),
        ("en-GB", "en-gb"),
        ("pt-BR", "pt-br"),
        (" pt ", "pt"),
        ("fil", "fil"),
        ("zh-Hant-TW", "zh-hant-tw"),
    ],
)
def test_any_language_code_is_accepted_and_normalised(code, normalized):
    value = MultilingualText.coerce(
        {"original": code, "texts": {code: {"text": "x", "status": "original"}}}
    )
    assert normalize_code(code) == normalized
    assert value.original == normalized and list(value.texts) == [normalized]
    assert value.errors() == []


@pytest.mark.parametrize("code", ["xx", "e1", "english", "", "es--x", "qq-br"])
def test_bad_codes_are_refused_naming_the_code(code):
    value = MultilingualText(
        "en",
        {
            "en": {"text": "Hello", "status": "original"},
            code: {"text": "?", "status": "translated"},
        },
    )
    errors = [str(message) for message in value.errors()]
    assert len(errors) == 1
    assert f"“{normalize_code(code)}”" in errors[0]


def test_imported_codes_are_stored_lower_case(framework):
    area = Area.objects.create(
        framework=framework,
        code="1",
        name={
            "original": "ES",
            "texts": {"ES": {"text": "Publicación"}, "EN": {"text": "Publication"}},
        },
    )
    area.refresh_from_db()
    assert area.name.to_dict() == {
        "original": "es",
        "texts": {
            "en": {"text": "Publication", "status": "translated"},
            "es": {"text": "Publicación", "status": "original"},
        },
    }


def test_model_validation_refuses_a_bad_code_on_the_field(framework):
    area = Area(framework=framework, code="2", name="Integrity")
    area.name = area.name.with_text("zz", "???")
    with pytest.raises(ValidationError) as caught:
        area.full_clean()
    assert "name" in caught.value.message_dict
    assert "“zz”" in " ".join(caught.value.message_dict["name"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"original": "en", "texts": {"en": {"text": "Hi", "status": "done"}}}, "status"),
        (
            {
                "original": "en",
                "texts": {
                    "en": {"text": "Hi", "status": "original"},
                    "es": {"text": "Hola", "status": "original"},
                },
            },
            "only one language is the original",
        ),
        ({"original": "es", "texts": {"en": {"text": "Hi", "status": "translated"}}}, "(es)"),
        ({"original": "", "texts": {"en": {"text": "Hi", "status": "translated"}}}, "original"),
    ],
)
def test_inconsistent_statuses_are_explained(value, expected):
    errors = " ".join(str(m) for m in MultilingualText.coerce(value).errors())
    assert expected in errors


def test_structural_garbage_is_refused():
    for bad in ([1, 2], 3, {"texts": []}, {"original": "en", "colour": "red"}):
        with pytest.raises(ValidationError):
            MultilingualText.coerce(bad)


# --- statuses -------------------------------------------------------------------------------


def test_changing_the_original_marks_untouched_translations_for_review(framework):
    area = Area.objects.create(framework=framework, code="3", name=ES_ORIGINAL)
    area = Area.objects.get(pk=area.pk)
    edited = area.name.to_dict()
    edited["texts"]["es"]["text"] = "Gestión integral de riesgos"
    edited["texts"]["fr"] = {"text": "Gestion intégrée des risques", "status": "translated"}
    area.name = edited
    area.save()
    area.refresh_from_db()
    assert area.name.status("es") == "original"
    assert area.name.status("en") == "needs_review"  # left as it was: now needs review
    assert area.name.status("fr") == "translated"  # updated in the same edit: kept


def test_changing_only_a_translation_changes_no_status(framework):
    area = Area.objects.create(framework=framework, code="4", name=ES_ORIGINAL)
    area = Area.objects.get(pk=area.pk)
    area.name = area.name.with_text("en", "Risk management (customs)")
    area.save()
    area.refresh_from_db()
    assert {code: area.name.status(code) for code in area.name.texts} == {
        "es": "original",
        "en": "translated",
        "fr": "translated",
    }


def test_with_text_on_the_original_flags_translations():
    value = MultilingualText.coerce(ES_ORIGINAL).with_text("es", "Riesgos")
    assert value.status("en") == value.status("fr") == "needs_review"
    assert value.get("es") == "Riesgos"


# --- reading --------------------------------------------------------------------------------


def test_display_in_the_readers_language_else_the_original():
    value = MultilingualText.coerce(ES_ORIGINAL)
    assert value.display("fr") == "Gestion des risques"
    assert value.display("EN") == "Risk management"
    assert value.display("en-GB") == "Risk management"  # same language, other variant
    assert value.display("pt") == "Gestión de riesgos"
    assert value.resolve("pt").fallback and value.resolve("pt").language == "es"
    assert not value.resolve("fr").fallback
    assert value.get("pt") is None and value.get("ES") == "Gestión de riesgos"
    with translation.override("fr"):
        assert str(value) == "Gestion des risques"
    with translation.override("pt"):
        assert str(value) == "Gestión de riesgos"


def test_a_plain_string_is_an_original_in_the_platform_language(framework):
    area = Area.objects.create(framework=framework, code="5", name="Integrity")
    area.refresh_from_db()
    assert area.name.original == "en" and area.name.status("en") == "original"
    assert str(area) == "5 Integrity"


def test_fallback_is_shown_with_a_badge_and_the_original_language():
    template = Template("{% load multilingual %}{{ value|ml }}|{% ml value %}|{{ value|ml_text }}")
    value = MultilingualText.coerce(ES_ORIGINAL)
    with translation.override("en"):
        html = template.render(Context({"value": value}))
    assert html.startswith('<span lang="en">Risk management</span>|')
    assert "ml-fallback" not in html

    only_spanish = MultilingualText.single("Gestión de riesgos", "es")
    with translation.override("en"):
        html = template.render(Context({"value": only_spanish}))
    badge = '<span lang="es">Gestión de riesgos</span> <span class="badge text-bg-light border '
    assert html.startswith(badge + 'ml-fallback">original in Spanish</span>|')
    assert html.endswith("|Gestión de riesgos")  # ml_text: no markup


def test_template_escapes_user_text():
    value = MultilingualText.single("<script>alert(1)</script>", "en")
    html = Template("{% load multilingual %}{{ value|ml }}").render(Context({"value": value}))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_search_text_holds_every_language(framework):
    area = Area.objects.create(framework=framework, code="6", name=ES_ORIGINAL)
    assert "gestion de riesgos" in area.search_text
    assert "risk management" in area.search_text
    assert "gestion des risques" in area.search_text
    assert Area.objects.filter(search_text__contains="riesgos").get() == area


# --- the form -------------------------------------------------------------------------------


class AreaForm(forms.ModelForm):
    class Meta:
        model = Area
        fields = ["framework", "code", "name"]


def test_form_shows_the_languages_side_by_side(framework):
    area = Area.objects.create(framework=framework, code="7", name=ES_ORIGINAL)
    area.name = area.name.with_text("de", "Risikomanagement", "needs_review")
    html = str(AreaForm(instance=area)["name"])
    columns = re.findall(r'data-language="([^"]+)"', html)
    assert columns == ["es", "de", "en", "fr", "pt"]  # the original first, then the others
    assert 'name="name__es__text"' in html and 'name="name__pt__status"' in html
    assert 'lang="de">Risikomanagement</textarea>' in html
    assert 'name="name__new__code"' in html  # any other language can be added
    assert "<script" not in html  # works without JavaScript


def test_form_round_trip_with_several_languages(framework):
    data = {
        "framework": framework.pk,
        "code": "8",
        "name__en__text": "Integrity",
        "name__en__status": "original",
        "name__es__text": "Integridad",
        "name__es__status": "translated",
        "name__fr__text": "Intégrité",
        "name__fr__status": "needs_review",
        "name__pt__text": "",
        "name__pt__status": "translated",
        "name__new__code": "DE",
        "name__new__text": "Integrität",
        "name__new__status": "translated",
    }
    form = AreaForm(data)
    assert form.is_valid(), form.errors
    area = form.save()
    area.refresh_from_db()
    assert area.name.to_dict() == {
        "original": "en",
        "texts": {
            "de": {"text": "Integrität", "status": "translated"},
            "en": {"text": "Integrity", "status": "original"},
            "es": {"text": "Integridad", "status": "translated"},
            "fr": {"text": "Intégrité", "status": "needs_review"},
        },
    }
    # the saved form re-renders every language, and posting it back changes nothing
    html = str(AreaForm(instance=area)["name"])
    posted = dict(re.findall(r'name="(name__[a-z-]+__text)"[^>]*>([^<]*)</textarea>', html))
    posted.update(
        {
            name: re.search(r'<option value="([a-z_]+)" selected', rest).group(1)
            for name, rest in re.findall(
                r'name="(name__[a-z-]+__status)"(.*?)</select>', html, re.S
            )
            if not name.startswith("name__new__")
        }
    )
    again = AreaForm({"framework": framework.pk, "code": "8", **posted}, instance=area)
    assert again.is_valid(), again.errors
    assert again.changed_data == []


def test_form_errors_name_the_field_and_the_language(framework):
    data = {
        "framework": framework.pk,
        "code": "9",
        "name__en__text": "Integrity",
        "name__en__status": "original",
        "name__new__code": "zz",
        "name__new__text": "???",
    }
    form = AreaForm(data)
    assert not form.is_valid()
    assert form.errors["name"] == ["Name: “zz” is not a known language code."]
    # the user's input stays in the form, under the code they typed
    assert 'data-language="zz"' in str(form["name"])


def test_form_requires_the_original_text(framework):
    form = AreaForm({"framework": framework.pk, "code": "10", "name__en__text": ""})
    assert not form.is_valid()
    assert form.errors["name"] == ["Write the text in at least its original language."]


def test_form_field_accepts_the_stored_shape_as_json():
    field = MultilingualFormField(label="Title")
    assert field.clean(ES_ORIGINAL).get("fr") == "Gestion des risques"
    with pytest.raises(ValidationError) as caught:
        field.clean({"original": "en", "texts": {"en": {"text": "a", "status": "bogus"}}})
    assert "Title: English (en): “bogus” is not a status." in caught.value.messages


# --- the API --------------------------------------------------------------------------------


@pytest.fixture
def api(db):
    net = network()
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=net.users["secretariat"])
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_api_reads_and_writes_the_stored_shape(api, framework):
    url = reverse("api:capabilities-area-list")
    body = {"framework": framework.pk, "code": "11", "name": ES_ORIGINAL}
    response = api.post(url, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["name"] == {
        **ES_ORIGINAL,
        "texts": dict(sorted(ES_ORIGINAL["texts"].items())),
    }
    area = Area.objects.get(pk=response.json()["id"])
    assert area.name.get("es") == "Gestión de riesgos"

    detail = reverse("api:capabilities-area-detail", args=[area.pk])
    changed = area.name.with_text("pt", "Gestão de riscos").to_dict()
    response = api.patch(detail, {"name": changed, "version": area.version}, format="json")
    assert response.status_code == 200, response.content
    area.refresh_from_db()
    assert area.name.get("pt") == "Gestão de riscos" and area.name.status("pt") == "translated"
    assert api.get(detail).json()["name"]["texts"]["pt"]["status"] == "translated"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ({"original": "xx", "texts": {"xx": {"text": "?", "status": "original"}}}, "“xx”"),
        ("Integrity", "Expected an object with “original”"),
        ({"original": "en", "texts": {"en": {"text": "Hi", "status": "bad"}}}, "“bad”"),
        ({"original": "en", "texts": []}, "Expected"),
        ({}, "blank"),
    ],
)
def test_api_validation_errors_are_400_with_the_field(api, framework, name, expected):
    url = reverse("api:capabilities-area-list")
    response = api.post(url, {"framework": framework.pk, "code": "12", "name": name}, format="json")
    assert response.status_code == 400, response.content
    assert expected in " ".join(response.json()["name"])
    assert not Area.objects.filter(code="12").exists()


def test_api_schema_documents_an_object(api):
    response = api.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()["components"]["schemas"]["Area"]["properties"]["name"]
    assert schema["type"] == "object"
    assert set(schema["properties"]) == {"original", "texts"}
    status = schema["properties"]["texts"]["additionalProperties"]["properties"]["status"]
    assert status["enum"] == ["needs_review", "original", "translated"]


# --- converting the old two-field names ------------------------------------------------------


def test_conversion_of_name_and_names():
    migration = importlib.import_module("cbnet.capabilities.migrations.0003_multilingual_names")
    converted = migration.to_multilingual("Integrity", {"es": "Integridad", "FR": "Intégrité"})
    assert converted == convert_translated_names(
        "Integrity", {"es": "Integridad", "FR": "Intégrité"}
    )
    assert converted == {
        "original": "en",
        "texts": {
            "en": {"text": "Integrity", "status": "original"},
            "es": {"text": "Integridad", "status": "translated"},
            "fr": {"text": "Intégrité", "status": "translated"},
        },
    }
    assert migration.to_multilingual("Integrity", {}) == {
        "original": "en",
        "texts": {"en": {"text": "Integrity", "status": "original"}},
    }
    assert migration.to_multilingual("Integrity", {"es": ""})["texts"].keys() == {"en"}
    assert migration.from_multilingual(converted) == (
        "Integrity",
        {"es": "Integridad", "fr": "Intégrité"},
    )


# --- import and export ----------------------------------------------------------------------


def export_areas(queryset):
    from cbnet.capabilities.forms import AreaImportForm
    from cbnet.core import exporting

    headers, rows = exporting.form_rows(AreaImportForm, queryset.order_by("pk"))
    return headers, [list(row) for row in rows]


def import_areas(headers, rows, user, dry_run=False):
    from cbnet.capabilities.forms import AreaImportForm
    from cbnet.core import importing

    return importing.import_rows(AreaImportForm, headers, rows, user=user, dry_run=dry_run)


@pytest.fixture
def areas(framework):
    Area.objects.create(framework=framework, code="1", name=ES_ORIGINAL, position=1)
    Area.objects.create(
        framework=framework,
        code="2",
        position=2,
        name={
            "original": "en",
            "texts": {
                "en": {"text": "=Integrity", "status": "original"},
                "de": {"text": "Integrität", "status": "translated"},
                "pt": {"text": "Integridade", "status": "needs_review"},
            },
        },
    )
    return Area.objects.filter(framework=framework)


def test_export_writes_one_column_per_language(areas):
    headers, rows = export_areas(areas)
    assert headers == [
        "id",
        "framework",
        "code",
        "name",
        "position",
        *[f"name__{code}" for code in ("en", "es", "fr", "pt")],
        "name__original",
    ]
    by_code = {row[2]: dict(zip(headers, row, strict=True)) for row in rows}
    assert by_code["1"]["name__es"] == "Gestión de riesgos"
    assert by_code["1"]["name__original"] == "es"
    assert by_code["1"]["name__pt"] == ""
    assert by_code["2"]["name__en"] == "=Integrity"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_is_lossless(db, areas, file_format):
    from cbnet.core import exporting, importing

    net = network()
    before = {area.pk: area.name.to_dict() for area in areas}
    headers, rows = export_areas(areas)
    data = getattr(exporting, f"to_{file_format}")(headers, rows)
    upload = importing.read_file(data, f"areas.{file_format}")
    result = import_areas(upload.headers, upload.rows, net.users["secretariat"])
    assert result.ok, result.errors
    assert [outcome.action for outcome in result.rows] == ["unchanged", "unchanged"]
    # languages without a column (de) and statuses (needs_review) survive too
    assert {area.pk: area.name.to_dict() for area in areas.all()} == before


def test_import_changes_languages_and_flags_translations(db, areas):
    net = network()
    headers, rows = export_areas(areas)
    column = {name: index for index, name in enumerate(headers)}
    first, second = rows
    first[column["name__pt"]] = "Gestão de riscos"  # a new translation
    first[column["name__fr"]] = ""  # a blank cell removes the language
    second[column["name__en"]] = "Integrity and ethics"  # the original changes

    preview = import_areas(headers, rows, net.users["secretariat"], dry_run=True)
    assert preview.ok, preview.errors
    assert [outcome.action for outcome in preview.rows] == ["update", "update"]
    assert preview.rows[0].changes[0][0] == "Name (as shown; not imported)"
    assert Area.objects.get(code="1").name.get("fr") == "Gestion des risques"  # nothing written

    result = import_areas(headers, rows, net.users["secretariat"])
    assert result.ok, result.errors
    one, two = Area.objects.get(code="1").name, Area.objects.get(code="2").name
    assert one.get("pt") == "Gestão de riscos" and one.status("pt") == "translated"
    assert one.get("fr") is None and one.status("en") == "translated"
    assert two.get("en") == "Integrity and ethics" and two.status("en") == "original"
    assert two.status("de") == "needs_review"  # untouched translation of a changed original


def test_import_refuses_a_bad_original_naming_the_row(db, areas):
    net = network()
    headers, rows = export_areas(areas)
    rows[1][headers.index("name__original")] = "xx"
    result = import_areas(headers, rows, net.users["secretariat"])
    assert not result.ok
    assert [(error.row, error.field) for error in result.errors] == [(3, "name")]
    assert "(xx)" in result.errors[0].message
    assert Area.objects.get(code="2").name.original == "en"


def test_import_creates_with_per_language_columns(db, framework):
    net = network()
    headers = ["framework", "code", "name__original", "name__es", "name__en", "position"]
    rows = [[framework.code, "9", "ES", "Recursos", "Resources", "9"]]
    result = import_areas(headers, rows, net.users["secretariat"])
    assert result.ok, result.errors
    name = Area.objects.get(code="9").name
    assert name.original == "es" and name.status("es") == "original"
    assert name.get("en") == "Resources" and name.status("en") == "translated"
