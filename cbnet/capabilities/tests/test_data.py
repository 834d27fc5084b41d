"""The capability data files: faithful to the reference lists, loaded idempotently, with history."""

import csv
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from cbnet.capabilities.models import Area, Framework, MaturityLevel, MaturityScale
from cbnet.capabilities.services import DATA_DIR, load_frameworks, read_framework_data

PROJECT_DIR = Path(__file__).resolve().parents[3]
SHARED_TFA = PROJECT_DIR.parent / "shared" / "data" / "reference" / "tfa-measures.csv"
LANGUAGES = ("es", "fr", "pt")


def framework_spec(code):
    return next(f for f in read_framework_data()["frameworks"] if f["code"] == code)


@pytest.fixture
def shared_tfa_rows():
    if not SHARED_TFA.exists():
        pytest.skip(f"reference list {SHARED_TFA} is absent (../shared is not beside the project)")
    with SHARED_TFA.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_tfa_file_matches_the_reference_list(shared_tfa_rows):
    ours = framework_spec("tfa")["areas"]
    assert [a["code"] for a in ours] == [r["code"] for r in shared_tfa_rows]
    for area, ref in zip(ours, shared_tfa_rows, strict=True):
        assert area["parent"] == (ref["parent"] or None), area["code"]
        assert area["notifiable"] == (ref["notifiable"] == "1"), area["code"]
        assert area["name"] == ref["name_en"], area["code"]


def test_tfa_file_levels_agree_with_the_reference(shared_tfa_rows):
    with (DATA_DIR / "tfa-section-1.csv").open(encoding="utf-8", newline="") as handle:
        ours = {row["code"]: row["level"] for row in csv.DictReader(handle)}
    assert ours == {row["code"]: row["level"] for row in shared_tfa_rows}


def test_every_name_has_its_translations():
    data = read_framework_data()
    named = [*data["frameworks"], *data["scales"]]
    named += [area for f in data["frameworks"] for area in f["areas"]]
    named += [level for s in data["scales"] for level in s["levels"]]
    for item in named:
        assert item["name"].strip()
        for lang in LANGUAGES:
            assert item["names"].get(lang, "").strip(), (item["name"], lang)
    for level in data["scales"][0]["levels"]:
        for lang in LANGUAGES:
            assert level["descriptors"][lang].strip()
            assert level["descriptors"][lang] != level["descriptor"]


def test_codes_are_unique_and_parents_come_first():
    for framework in read_framework_data()["frameworks"]:
        seen = set()
        for area in framework["areas"]:
            assert area["code"] not in seen
            if area.get("parent"):
                assert area["parent"] in seen, f"{area['code']} comes before its parent"
            seen.add(area["code"])


def test_data_file_is_valid_json_with_the_three_frameworks():
    data = json.loads((DATA_DIR / "frameworks.json").read_text(encoding="utf-8"))
    assert [f["code"] for f in data["frameworks"]] == ["wco-diagnostic", "tfa", "pmm"]


@pytest.mark.django_db
def test_load_creates_the_trees_and_the_scale():
    counts = load_frameworks()
    assert counts["created"] == Framework.objects.count() + Area.objects.count() + 6

    diagnostic = Framework.objects.get(code="wco-diagnostic")
    assert diagnostic.kind == "diagnostic"
    assert list(diagnostic.areas.values_list("code", flat=True)) == [f"D{i}" for i in range(1, 8)]
    integrity = diagnostic.areas.get(code="D7").name
    assert integrity.get("fr") == "Intégrité" and integrity.status("fr") == "translated"
    assert integrity.original == "en" and integrity.get("en") == "Integrity"

    tfa = Framework.objects.get(code="tfa")
    assert tfa.areas.count() == 42
    assert tfa.areas.filter(parent__isnull=True).count() == 12
    risk = tfa.areas.get(code="7.4")
    assert risk.parent.code == "7" and risk.notifiable
    assert not tfa.areas.get(code="7").notifiable
    assert tfa.areas.get(code="3").notifiable  # notified whole
    assert tfa.areas.get(code="3").name.to_dict() == {
        "original": "en",
        "texts": {
            "en": {"text": "Advance Rulings", "status": "original"},
            "es": {"text": "Resoluciones anticipadas", "status": "translated"},
            "fr": {"text": "Décisions anticipées", "status": "translated"},
            "pt": {"text": "Soluções antecipadas", "status": "translated"},
        },
    }
    assert tfa.areas.filter(notifiable=True).count() == 36
    assert list(tfa.areas.filter(parent__isnull=True).values_list("code", flat=True)) == [
        str(i) for i in range(1, 13)
    ]

    pmm = Framework.objects.get(code="pmm")
    assert pmm.areas.count() == 4
    assert pmm.areas.get(code="P2").name.get("en") == "Revenue collection"

    scale = MaturityScale.objects.get(code="wco-maturity")
    assert list(scale.levels.values_list("level", flat=True)) == [0, 1, 2, 3, 4]
    assert all(level.descriptor.get("pt") for level in scale.levels.all())


@pytest.mark.django_db
def test_loading_twice_changes_nothing_and_history_is_written():
    load_frameworks()
    history_before = Area.history.count() + Framework.history.count()
    versions = dict(Area.objects.values_list("pk", "version"))
    counts = load_frameworks()
    assert counts["created"] == counts["updated"] == 0
    assert Area.history.count() + Framework.history.count() == history_before
    assert dict(Area.objects.values_list("pk", "version")) == versions
    record = Area.history.filter(code="7.4").get()
    assert record.history_type == "+"
    assert record.history_change_reason == "capabilities data"


@pytest.mark.django_db
def test_a_changed_name_is_updated_in_place_with_history(tmp_path):
    load_frameworks()
    area = Area.objects.get(framework__code="pmm", code="P1")
    data = json.loads((DATA_DIR / "frameworks.json").read_text(encoding="utf-8"))
    data["frameworks"][2]["areas"][0]["name"] = "Trade facilitation"
    (tmp_path / "frameworks.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "tfa-section-1.csv").write_bytes((DATA_DIR / "tfa-section-1.csv").read_bytes())

    counts = load_frameworks(data_dir=tmp_path)

    assert counts["updated"] == 1 and counts["created"] == 0
    area.refresh_from_db()
    assert area.name.get("en") == "Trade facilitation" and area.version == 2
    # the data file is authoritative: its translations keep the status it gives them
    assert area.name.status("es") == "translated"
    assert area.history.count() == 2


@pytest.mark.django_db
def test_command_loads_and_reports(capsys):
    call_command("load_capabilities")
    assert "created" in capsys.readouterr().out
    assert MaturityLevel.objects.count() == 5
