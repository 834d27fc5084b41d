"""The seeded assessment content (cbnet/assessments/data/): shape, codes, languages, profiles.

Plain file reading, no database. Each check is a function returning the problems it finds, so
the same function is run on the real files (no problem allowed) and on deliberately broken
copies (the problem must be reported): a check that cannot fail does not count.
"""

import copy
import csv
import json
import re
from pathlib import Path

import pytest

from cbnet.assessments.choices import AssessmentStatus, NeedStatus, Support, TfaCategory
from cbnet.directory.demo import AMS_MEMBERS

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
CAPABILITIES_DIR = Path(__file__).resolve().parents[2] / "capabilities" / "data"
LANGUAGES = ("en", "es", "fr", "pt")
OTHER_STATUSES = {"translated", "needs_review"}
DSA_CODE = re.compile(r"^DSA-(D[1-7])-\d{2}$")
TFA_CODE = re.compile(r"^TFA-(\d+(?:\.\d+)?)$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MIN_QUESTIONS_PER_AREA = 6


def load(name):
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dsa():
    return load("diagnostic-self-assessment.json")


@pytest.fixture(scope="module")
def tfa():
    return load("tfa-readiness.json")


@pytest.fixture(scope="module")
def profiles():
    return load("demo-profiles.json")


def frameworks():
    return json.loads((CAPABILITIES_DIR / "frameworks.json").read_text(encoding="utf-8"))


def tfa_rows():
    with (CAPABILITIES_DIR / "tfa-section-1.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def framework_areas():
    """``{framework code: {area code, ...}}`` from the capabilities data files."""
    areas = {}
    for framework in frameworks()["frameworks"]:
        if "areas_csv" in framework:
            areas[framework["code"]] = {row["code"] for row in tfa_rows()}
        else:
            areas[framework["code"]] = {area["code"] for area in framework["areas"]}
    return areas


def scale_levels(code):
    scale = next(s for s in frameworks()["scales"] if s["code"] == code)
    return {str(level["level"]): level["descriptor"] for level in scale["levels"]}


# --- checks ----------------------------------------------------------------------------------


def multilingual_problems(value, where, languages=LANGUAGES, original=None):
    """The stored shape of a multilingual text, with non-empty texts in ``languages``."""
    if not isinstance(value, dict) or set(value) != {"original", "texts"}:
        return [f"{where}: not a multilingual value {{original, texts}}"]
    texts, problems = value["texts"], []
    if not isinstance(texts, dict):
        return [f"{where}: texts is not an object"]
    for lang in languages:
        entry = texts.get(lang)
        if not isinstance(entry, dict) or not str(entry.get("text", "")).strip():
            problems.append(f"{where}: no {lang} text")
    originals = [lang for lang, entry in texts.items() if entry.get("status") == "original"]
    if len(originals) != 1:
        problems.append(f"{where}: {len(originals)} texts marked original, expected one")
    elif originals[0] != value["original"]:
        problems.append(f"{where}: original is {value['original']} but {originals[0]} is marked")
    if original is not None and value["original"] != original:
        problems.append(f"{where}: original language {value['original']}, expected {original}")
    for lang, entry in texts.items():
        status = entry.get("status")
        if lang != value["original"] and status not in OTHER_STATUSES:
            problems.append(f"{where}: {lang} has status {status!r}")
    return problems


def translated_problems(value, where):
    """Every language says it its own way: a text equal to the English one was not translated."""
    texts = value.get("texts", {})
    english = texts.get("en", {}).get("text")
    return [
        f"{where}: {lang} text is the English text"
        for lang in LANGUAGES
        if lang != "en" and texts.get(lang, {}).get("text") == english
    ]


def header_problems(data, kind):
    problems = []
    if not SLUG.match(str(data.get("code", ""))):
        problems.append(f"questionnaire code {data.get('code')!r} is not a slug")
    if not isinstance(data.get("version"), int) or data["version"] < 1:
        problems.append("version must be a positive integer")
    if data.get("framework") not in framework_areas():
        problems.append(f"framework {data.get('framework')!r} is not in frameworks.json")
    if kind == "maturity" and data.get("scale") not in {s["code"] for s in frameworks()["scales"]}:
        problems.append(f"scale {data.get('scale')!r} is not in frameworks.json")
    for field in ("title", "description"):
        problems += multilingual_problems(data.get(field), field)
    sections = data.get("sections", [])
    codes = [s.get("code") for s in sections]
    if len(set(codes)) != len(codes):
        problems.append("section codes repeat")
    for section in sections:
        problems += multilingual_problems(section.get("title"), f"section {section.get('code')}")
    return problems


def question_problems(data, kind, code_pattern):
    """Codes, areas, sections and texts of every question of one questionnaire."""
    problems = []
    areas = framework_areas().get(data.get("framework"), set())
    sections = {s.get("code") for s in data.get("sections", [])}
    codes = [q.get("code") for q in data["questions"]]
    positions = [q.get("position") for q in data["questions"]]
    if len(set(codes)) != len(codes):
        problems.append(
            "question codes repeat: " + ", ".join(sorted({c for c in codes if codes.count(c) > 1}))
        )
    if len(set(positions)) != len(positions):
        problems.append("question positions repeat")
    for question in data["questions"]:
        code = question.get("code", "")
        match = code_pattern.match(code)
        if not match:
            problems.append(f"{code!r}: code does not look stable (pattern {code_pattern.pattern})")
        elif match.group(1) != question.get("area"):
            problems.append(
                f"{code}: code names area {match.group(1)}, area is {question.get('area')}"
            )
        if question.get("area") not in areas:
            problems.append(
                f"{code}: area {question.get('area')!r} is not in {data.get('framework')}"
            )
        if question.get("section") not in sections:
            problems.append(f"{code}: section {question.get('section')!r} does not exist")
        if question.get("kind") != kind:
            problems.append(f"{code}: kind {question.get('kind')!r}, expected {kind}")
        for flag in ("evidence_required", "not_applicable_allowed"):
            if not isinstance(question.get(flag), bool):
                problems.append(f"{code}: {flag} is not true or false")
        for field in ("text", "guidance"):
            problems += multilingual_problems(question.get(field), f"{code} {field}")
            problems += translated_problems(question.get(field, {}), f"{code} {field}")
    return problems


def maturity_problems(data):
    """Weights, and a question-specific descriptor for every level of the scale."""
    problems = []
    levels = scale_levels(data["scale"])
    for question in data["questions"]:
        code = question["code"]
        weight = question.get("weight")
        if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 3:
            problems.append(f"{code}: weight {weight!r} is not 1, 2 or 3")
        descriptors = question.get("descriptors", {})
        if set(descriptors) != set(levels):
            problems.append(
                f"{code}: descriptors for levels {sorted(descriptors)}, expected {sorted(levels)}"
            )
        for level, value in descriptors.items():
            where = f"{code} level {level}"
            problems += multilingual_problems(value, where)
            problems += translated_problems(value, where)
            if value.get("texts", {}).get("en", {}).get("text") == levels.get(level):
                problems.append(f"{where}: the scale's generic descriptor, not the question's")
        english = [d.get("texts", {}).get("en", {}).get("text") for d in descriptors.values()]
        if len(set(english)) != len(english):
            problems.append(f"{code}: two levels share a descriptor")
    per_area = {area: 0 for area in framework_areas()[data["framework"]]}
    for question in data["questions"]:
        per_area[question["area"]] = per_area.get(question["area"], 0) + 1
    for area, count in sorted(per_area.items()):
        if count < MIN_QUESTIONS_PER_AREA:
            problems.append(
                f"area {area}: {count} questions, at least {MIN_QUESTIONS_PER_AREA} wanted"
            )
    return problems


def tfa_problems(data):
    """One question per notifiable measure of the CSV, naming the measure in each language."""
    problems = []
    rows = {row["code"]: row for row in tfa_rows()}
    notifiable = {code for code, row in rows.items() if row["notifiable"] == "1"}
    asked = {q.get("area") for q in data["questions"]}
    if missing := notifiable - asked:
        problems.append("notifiable measures without a question: " + ", ".join(sorted(missing)))
    if extra := asked - notifiable:
        problems.append("questions on measures that are not notified: " + ", ".join(sorted(extra)))
    for question in data["questions"]:
        row = rows.get(question.get("area"))
        if row is None:
            continue
        for lang in LANGUAGES:
            text = question["text"]["texts"].get(lang, {}).get("text", "")
            if row[f"name_{lang}"] not in text:
                problems.append(f"{question['code']}: the {lang} text does not name the measure")
    return problems


def profile_problems(data, dsa):
    """Demo profiles name only demo administrations, existing questions and possible answers."""
    problems = []
    questions = {q["code"]: q for q in dsa["questions"]}
    areas = framework_areas()[dsa["framework"]]
    levels = {int(level) for level in scale_levels(dsa["scale"])}
    notifiable = {row["code"] for row in tfa_rows() if row["notifiable"] == "1"}
    members = {m.iso2: m for m in AMS_MEMBERS}
    if (data.get("questionnaire"), data.get("version")) != (dsa["code"], dsa["version"]):
        problems.append("profiles are not for this questionnaire and version")
    if unknown := set(data["administrations"]) - set(members):
        problems.append("administrations the demo does not create: " + ", ".join(sorted(unknown)))
    if missing := set(members) - set(data["administrations"]):
        problems.append("demo administrations without a profile: " + ", ".join(sorted(missing)))
    for key, spec in data.get("rounds", {}).items():
        if not str(spec.get("name", "")).strip():
            problems.append(f"round {key}: no name")
        if not spec.get("opens_in_days", 0) < spec.get("due_in_days", 0):
            problems.append(f"round {key}: opens after it is due")
    for iso, profile in data["administrations"].items():
        language = profile.get("language")
        member = members.get(iso)
        if member and language not in member.languages and language != "en":
            problems.append(f"{iso}: language {language} is not one of the administration's")
        if set(data.get("rounds", {})) != set(profile.get("rounds", {})):
            problems.append(f"{iso}: rounds {sorted(profile.get('rounds', {}))} do not match")
        for round_key, answers in profile.get("rounds", {}).items():
            where = f"{iso} {round_key}"
            status = answers.get("status")
            if status not in AssessmentStatus.values:
                problems.append(f"{where}: status {status!r}")
            given = answers.get("levels", {})
            for code, level in given.items():
                question = questions.get(code)
                if question is None:
                    problems.append(f"{where}: {code!r} is not a question of the questionnaire")
                elif level == "na":
                    if not question["not_applicable_allowed"]:
                        problems.append(f"{where}: {code} does not allow 'not applicable'")
                elif not isinstance(level, int) or isinstance(level, bool) or level not in levels:
                    problems.append(f"{where}: {code} has impossible level {level!r}")
            complete = set(given) == set(questions)
            if status == "not_started" and given:
                problems.append(f"{where}: not started but answered")
            if status in ("submitted", "returned", "validated") and not complete:
                problems.append(f"{where}: {status} but not every question is answered")
            if status == "in_progress" and (complete or not given):
                problems.append(f"{where}: in progress should be partly answered")
            for code, comment in answers.get("comments", {}).items():
                if code not in given or not str(comment).strip():
                    problems.append(f"{where}: comment on unanswered question {code}")
        targets = profile.get("targets", {})
        if set(targets) != areas:
            problems.append(f"{iso}: targets for {sorted(targets)}, expected {sorted(areas)}")
        if any(level not in levels for level in targets.values()):
            problems.append(f"{iso}: a target outside the scale")
        needs = profile.get("needs", [])
        if not 2 <= len(needs) <= 4:
            problems.append(f"{iso}: {len(needs)} needs, expected 2 to 4")
        priorities = [need.get("priority") for need in needs]
        if len(set(priorities)) != len(priorities):
            problems.append(f"{iso}: needs share a priority")
        for need in needs:
            where = f"{iso} need {need.get('key')}"
            if need.get("area") not in areas:
                problems.append(f"{where}: area {need.get('area')!r}")
            if need.get("priority") not in range(1, 6):
                problems.append(f"{where}: priority {need.get('priority')!r} is not 1 to 5")
            support = need.get("support", [])
            if not support or not set(support) <= set(Support.values):
                problems.append(f"{where}: support {support!r}")
            if need.get("status") not in NeedStatus.values:
                problems.append(f"{where}: status {need.get('status')!r}")
            if "tfa_category" in need and need["tfa_category"] not in TfaCategory.values:
                problems.append(f"{where}: TFA category {need['tfa_category']!r}")
            if "tfa_measure" in need and need["tfa_measure"] not in notifiable:
                problems.append(f"{where}: TFA measure {need['tfa_measure']!r} is not notifiable")
            for code in need.get("answers", []):
                if code not in questions or questions[code]["area"] != need.get("area"):
                    problems.append(f"{where}: answer {code} is not a question of its area")
            langs = tuple(dict.fromkeys((language, "en")))
            for field in ("title", "description"):
                problems += multilingual_problems(
                    need.get(field), f"{where} {field}", languages=langs, original=language
                )
    return problems


def all_problems(dsa, tfa, profiles):
    return [
        *header_problems(dsa, "maturity"),
        *question_problems(dsa, "maturity", DSA_CODE),
        *maturity_problems(dsa),
        *header_problems(tfa, "tfa_category"),
        *question_problems(tfa, "tfa_category", TFA_CODE),
        *tfa_problems(tfa),
        *profile_problems(profiles, dsa),
    ]


# --- the real files ----------------------------------------------------------------------------


def test_the_files_are_json_in_utf8():
    for path in sorted(DATA_DIR.glob("*.json")):
        assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict), path.name
    assert {p.name for p in DATA_DIR.glob("*.json")} >= {
        "diagnostic-self-assessment.json",
        "tfa-readiness.json",
        "demo-profiles.json",
    }


def test_the_seeded_content_has_no_problem(dsa, tfa, profiles):
    assert all_problems(dsa, tfa, profiles) == []


def test_the_diagnostic_questionnaire_is_as_the_issue_describes(dsa):
    assert dsa["code"] == "wco-dsa" and dsa["framework"] == "wco-diagnostic"
    assert {q["area"] for q in dsa["questions"]} == {f"D{i}" for i in range(1, 8)}
    assert len(dsa["questions"]) >= 7 * MIN_QUESTIONS_PER_AREA
    assert any(q["not_applicable_allowed"] for q in dsa["questions"])
    assert any(q["evidence_required"] for q in dsa["questions"])
    assert {q["weight"] for q in dsa["questions"]} == {1, 2, 3}


def test_the_tfa_questionnaire_has_one_question_per_notifiable_measure(tfa):
    notifiable = {row["code"] for row in tfa_rows() if row["notifiable"] == "1"}
    assert len(tfa["questions"]) == len(notifiable)
    assert tfa["framework"] in framework_areas()
    assert {q["code"] for q in tfa["questions"]} == {f"TFA-{code}" for code in notifiable}


def test_question_codes_are_unique_across_questionnaires(dsa, tfa):
    codes = [q["code"] for q in dsa["questions"] + tfa["questions"]]
    assert len(codes) == len(set(codes))


def test_the_translations_use_professional_customs_vocabulary(dsa):
    """A sample of the terms customs officers use, in each language (not a word-for-word calque)."""
    corpus = {lang: "" for lang in LANGUAGES}
    for question in dsa["questions"]:
        for value in (question["text"], question["guidance"], *question["descriptors"].values()):
            for lang in LANGUAGES:
                corpus[lang] += value["texts"][lang]["text"] + "\n"
    expected = {
        "es": ["administración aduanera", "gestión de riesgos", "operador económico autorizado"],
        "fr": ["administration des douanes", "gestion des risques", "opérateur économique agréé"],
        "pt": ["administração aduaneira", "gestão de riscos", "operador econômico autorizado"],
    }
    for lang, terms in expected.items():
        for term in terms:
            assert term in corpus[lang].lower(), (lang, term)


def test_the_demo_has_both_rounds_with_a_spread_of_statuses(profiles):
    finished = {p["rounds"]["finished"]["status"] for p in profiles["administrations"].values()}
    under_way = {p["rounds"]["under_way"]["status"] for p in profiles["administrations"].values()}
    assert finished == {"validated"}
    assert {"not_started", "in_progress", "submitted", "returned", "validated"} <= under_way
    assert (
        profiles["rounds"]["finished"]["due_in_days"]
        < 0
        < profiles["rounds"]["under_way"]["due_in_days"]
    )
    assert any(
        level == "na"
        for p in profiles["administrations"].values()
        for level in p["rounds"]["finished"]["levels"].values()
    )


# --- the checks can fail ------------------------------------------------------------------------


def first(data, kind="questions"):
    return data[kind][0]


def drop_text(value, lang):
    del value["texts"][lang]


BREAKAGES = {
    "duplicate code": (
        "dsa",
        lambda d: d["questions"][1].update(code=d["questions"][0]["code"]),
        "question codes repeat",
    ),
    "unstable code": ("dsa", lambda d: first(d).update(code="q1"), "does not look stable"),
    "code and area disagree": (
        "dsa",
        lambda d: first(d).update(code="DSA-D2-99"),
        "code names area",
    ),
    "unknown area": (
        "tfa",
        lambda d: first(d).update(area="13.1", code="TFA-13.1"),
        "is not in tfa",
    ),
    "missing language": ("dsa", lambda d: drop_text(first(d)["text"], "pt"), "no pt text"),
    "empty text": (
        "dsa",
        lambda d: first(d)["guidance"]["texts"]["fr"].update(text="  "),
        "no fr text",
    ),
    "two originals": (
        "dsa",
        lambda d: first(d)["text"]["texts"]["es"].update(status="original"),
        "2 texts marked original",
    ),
    "original elsewhere": ("tfa", lambda d: d["title"].update(original="es"), "original is es"),
    "untranslated": (
        "dsa",
        lambda d: first(d)["text"]["texts"]["es"].update(
            text=first(d)["text"]["texts"]["en"]["text"]
        ),
        "es text is the English text",
    ),
    "missing level": ("dsa", lambda d: first(d)["descriptors"].pop("4"), "descriptors for levels"),
    "generic descriptor": (
        "dsa",
        lambda d: first(d)["descriptors"]["0"]["texts"]["en"].update(
            text=scale_levels("wco-maturity")["0"]
        ),
        "generic descriptor",
    ),
    "weight too high": ("dsa", lambda d: first(d).update(weight=5), "weight 5"),
    "too few questions": (
        "dsa",
        lambda d: d.update(questions=[q for q in d["questions"] if q["code"] != "DSA-D7-06"]),
        "area D7: 5 questions",
    ),
    "missing TFA measure": (
        "tfa",
        lambda d: d.update(questions=[q for q in d["questions"] if q["area"] != "7.4"]),
        "without a question: 7.4",
    ),
    "TFA article that is not notified": (
        "tfa",
        lambda d: d["questions"].append(
            {**copy.deepcopy(first(d)), "code": "TFA-7", "area": "7", "position": 99}
        ),
        "not notified: 7",
    ),
    "measure not named": (
        "tfa",
        lambda d: first(d)["text"]["texts"]["fr"].update(text="Catégorie ?"),
        "fr text does not name the measure",
    ),
    "unknown section": (
        "dsa",
        lambda d: first(d).update(section="S-D9"),
        "section 'S-D9' does not exist",
    ),
}

PROFILE_BREAKAGES = {
    "unknown question": (
        lambda p: p["administrations"]["UY"]["rounds"]["finished"]["levels"].update(
            {"DSA-D9-01": 2}
        ),
        "'DSA-D9-01' is not a question",
    ),
    "impossible level": (
        lambda p: p["administrations"]["UY"]["rounds"]["finished"]["levels"].update(
            {"DSA-D1-01": 5}
        ),
        "impossible level 5",
    ),
    "not applicable where refused": (
        lambda p: p["administrations"]["UY"]["rounds"]["finished"]["levels"].update(
            {"DSA-D1-01": "na"}
        ),
        "does not allow 'not applicable'",
    ),
    "unknown organisation": (
        lambda p: p["administrations"].update(XX=copy.deepcopy(p["administrations"]["UY"])),
        "does not create: XX",
    ),
    "validated but incomplete": (
        lambda p: p["administrations"]["BR"]["rounds"]["finished"]["levels"].pop("DSA-D1-01"),
        "validated but not every question",
    ),
    "unknown support": (
        lambda p: p["administrations"]["BR"]["needs"][0].update(support=["money"]),
        "support ['money']",
    ),
    "priority out of range": (
        lambda p: p["administrations"]["BR"]["needs"][0].update(priority=0),
        "priority 0 is not 1 to 5",
    ),
    "need text not in the administration's language": (
        lambda p: drop_text(p["administrations"]["BR"]["needs"][0]["title"], "pt"),
        "no pt text",
    ),
    "answer from another area": (
        lambda p: (
            p["administrations"]["BR"]["needs"][0]["answers"].append("DSA-D7-06")
            if p["administrations"]["BR"]["needs"][0]["area"] != "D7"
            else p["administrations"]["BR"]["needs"][0]["answers"].append("DSA-D1-01")
        ),
        "is not a question of its area",
    ),
    "target off the scale": (
        lambda p: p["administrations"]["UY"]["targets"].update(D1=7),
        "a target outside the scale",
    ),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_a_broken_questionnaire_is_reported(name, dsa, tfa, profiles):
    which, breakage, message = BREAKAGES[name]
    broken = {"dsa": copy.deepcopy(dsa), "tfa": copy.deepcopy(tfa)}
    breakage(broken[which])
    problems = all_problems(broken["dsa"], broken["tfa"], profiles)
    assert any(message in problem for problem in problems), problems


@pytest.mark.parametrize("name", sorted(PROFILE_BREAKAGES))
def test_a_broken_profile_is_reported(name, dsa, profiles):
    breakage, message = PROFILE_BREAKAGES[name]
    broken = copy.deepcopy(profiles)
    breakage(broken)
    problems = profile_problems(broken, dsa)
    assert any(message in problem for problem in problems), problems
