"""Questionnaires: seeded data, versions and copies, frozen versions, descriptors (services)."""

import json
from collections import Counter

import pytest
from django.core.exceptions import ValidationError

from cbnet.assessments.choices import QuestionKind
from cbnet.assessments.models import LevelDescriptor, Question, Questionnaire, Section
from cbnet.assessments.services import questionnaires as services
from cbnet.assessments.testing import framework, questionnaire, round_
from cbnet.capabilities.models import Area, Framework
from cbnet.capabilities.services import load_frameworks, read_framework_data
from cbnet.core.models_events import Event
from cbnet.core.multilingual import MultilingualText
from cbnet.core.testing import factories as f

pytestmark = pytest.mark.django_db

DSA_FILE = services.DATA_DIR / "diagnostic-self-assessment.json"
TFA_FILE = services.DATA_DIR / "tfa-readiness.json"


@pytest.fixture
def net():
    return f.network()


@pytest.fixture
def secretariat(net):
    return net.users["secretariat"]


@pytest.fixture
def seeded():
    load_frameworks()
    return services.load_seeded_questionnaires()


def _file(path):
    return json.loads(path.read_text(encoding="utf-8"))


# --- seeded data -----------------------------------------------------------------------------


def test_seeded_questionnaires_load_once_and_again_change_nothing(seeded):
    assert set(seeded.values()) == {"created"}
    counts = {
        model: model.objects.count()
        for model in (Questionnaire, Section, Question, LevelDescriptor)
    }
    history = Question.history.count()
    assert services.load_seeded_questionnaires() == {code: "unchanged" for code in seeded}
    assert {m: m.objects.count() for m in counts} == counts
    assert Question.history.count() == history  # not even a re-save


def test_diagnostic_self_assessment_has_five_maturity_questions_per_diagnostic_area(seeded):
    data = _file(DSA_FILE)
    spec = next(fw for fw in read_framework_data()["frameworks"] if fw["code"] == data["framework"])
    area_codes = {area["code"] for area in spec["areas"]}
    per_area = Counter(
        q["area"] for q in data["questions"] if q.get("kind", "maturity") == QuestionKind.MATURITY
    )
    assert set(per_area) == area_codes  # every diagnostic area is asked about
    assert min(per_area.values()) >= 5
    # ... and the database holds what the file says, tied to the framework's areas.
    q = Questionnaire.objects.get(code=data["code"])
    assert q.framework.code == data["framework"]
    stored = Counter(q.questions.filter(kind="maturity").values_list("area__code", flat=True))
    assert stored == per_area
    assert LevelDescriptor.objects.filter(question__questionnaire=q).exists()


def test_tfa_questionnaire_asks_one_category_question_per_notifiable_measure(seeded):
    data = _file(TFA_FILE)
    notifiable = set(
        Area.objects.filter(framework__code="tfa", notifiable=True).values_list("code", flat=True)
    )
    assert notifiable  # computed from the capabilities data, not a hard-coded 36
    q = Questionnaire.objects.get(code=data["code"])
    questions = list(q.questions.select_related("area"))
    assert {question.kind for question in questions} == {QuestionKind.TFA_CATEGORY}
    assert Counter(question.area.code for question in questions) == Counter(notifiable)


def test_a_changed_file_updates_an_unused_version_in_place(seeded):
    data = _file(DSA_FILE)
    data["questions"][0]["weight"] = 9
    q, status = services.load_questionnaire(data)
    assert status == "updated"
    assert q.version == 1
    assert q.questions.get(code=data["questions"][0]["code"]).weight == 9


def test_a_changed_file_makes_a_new_version_once_the_latest_is_frozen(net, seeded):
    data = _file(DSA_FILE)
    v1 = Questionnaire.objects.get(code=data["code"])
    round_(v1, net.ams)
    data["questions"].pop()  # a question dropped in the file
    v2, status = services.load_questionnaire(data)
    assert status == "versioned"
    assert (v2.version, v2.previous) == (2, v1)
    assert v1.questions.count() == v2.questions.count() + 1  # v1 untouched
    assert services.load_questionnaire(data)[1] == "unchanged"


def test_a_bad_file_writes_nothing_and_says_where(seeded):
    data = _file(DSA_FILE)
    data["code"] = "broken"
    data["questions"][3]["area"] = "Z9"
    with pytest.raises(services.QuestionnaireDataError, match="Z9"):
        services.load_questionnaire(data)
    assert not Questionnaire.objects.filter(code="broken").exists()


# --- versions and copies ---------------------------------------------------------------------


def _with_descriptor():
    q = questionnaire()
    question = q.questions.order_by("position").first()
    LevelDescriptor.objects.create(question=question, level=2, text="Own level two")
    return q, question


def test_new_version_copies_sections_questions_and_descriptors_keeping_codes(net, secretariat):
    v1, question = _with_descriptor()
    v2 = services.new_version(v1, secretariat)
    assert (v2.code, v2.version, v2.previous_id) == (v1.code, 2, v1.pk)
    assert sorted(v2.questions.values_list("code", flat=True)) == sorted(
        v1.questions.values_list("code", flat=True)
    )
    copy = v2.questions.get(code=question.code)
    assert copy.pk != question.pk
    assert copy.section.questionnaire == v2
    assert copy.descriptors.get(level=2).text.display("en") == "Own level two"
    assert str(copy.text) == str(question.text)
    event = Event.objects.get(name="questionnaire.versioned")
    assert event.actor == secretariat
    assert copy.history.first().history_user == secretariat
    assert services.compare_versions(v1, v2)["unchanged"] == v1.questions.count()


def test_new_version_of_an_older_version_takes_the_next_free_number(secretariat):
    v1 = questionnaire()
    services.new_version(v1, secretariat)
    assert services.new_version(v1, secretariat).version == 3


def test_copy_starts_a_new_questionnaire_at_version_one(secretariat):
    v1, _question = _with_descriptor()
    copy = services.copy_questionnaire(v1, "my-dsa", secretariat)
    assert (copy.code, copy.version, copy.previous) == ("my-dsa", 1, None)
    assert copy.questions.count() == v1.questions.count()
    assert LevelDescriptor.objects.filter(question__questionnaire=copy).count() == 1
    with pytest.raises(ValidationError) as error:
        services.copy_questionnaire(v1, "my-dsa", secretariat)
    assert "code" in error.value.message_dict


def test_a_frozen_version_refuses_changes_to_itself_and_its_parts(net, secretariat):
    q, question = _with_descriptor()
    round_(q, net.ams)
    q.refresh_from_db()
    assert q.is_frozen
    q.title = "Changed"
    question.weight = 5
    section = q.sections.first()
    for obj in (q, question, section, question.descriptors.first()):
        with pytest.raises(services.FrozenQuestionnaireError, match="new version"):
            services.save_part(obj, secretariat)
    with pytest.raises(services.FrozenQuestionnaireError):
        services.delete_part(question, secretariat)
    assert Question.objects.get(pk=question.pk).weight == 1
    # A new version of it is free to change.
    v2 = services.new_version(q, secretariat)
    changed = v2.questions.get(code=question.code)
    changed.weight = 5
    services.save_part(changed, secretariat)
    diff = services.compare_versions(q, v2)
    assert [(old.code, fields) for old, _new, fields in diff["changed"]] == [
        (question.code, ["weight"])
    ]


def test_editing_a_questionnaire_keeps_its_version_number(secretariat):
    q = questionnaire()
    q.title = "Renamed"
    services.save_part(q, secretariat)
    q.refresh_from_db()
    assert q.version == 1
    assert str(q.title) == "Renamed"


def test_compare_lists_added_removed_and_changed_questions(secretariat):
    v1 = questionnaire()
    v2 = services.new_version(v1, secretariat)
    removed = v2.questions.order_by("code").first()
    removed.delete()
    Question.objects.create(
        questionnaire=v2, area=v2.framework.areas.first(), code="NEW-1", kind="maturity", text="X"
    )
    moved = v2.questions.get(code="D3-01")
    moved.area = v2.framework.areas.get(code="D2")
    moved.save()
    diff = services.compare_versions(v1, v2)
    assert [q.code for q in diff["added"]] == ["NEW-1"]
    assert [q.code for q in diff["removed"]] == [removed.code]
    assert [(o.code, [str(x) for x in fields]) for o, _n, fields in diff["changed"]] == [
        ("D3-01", ["capability area"])
    ]


# --- descriptors -----------------------------------------------------------------------------


def test_descriptor_is_the_questions_own_else_the_scales_with_fallback():
    q, question = _with_descriptor()
    own = LevelDescriptor.objects.get(question=question, level=2)
    own.text = MultilingualText.from_translations("en", "Own two", {"es": "Propio dos"})
    own.save()
    question = Question.objects.get(pk=question.pk)
    # The question's own, in the reader's language.
    assert services.descriptor_for(question, 2, "es").display("es") == "Propio dos"
    # A level without its own: the scale's descriptor.
    assert services.descriptor_for(question, 3, "en").display("en") == "Descriptor 3"
    # Own has no French, the scale has none either: the own original, marked as a fallback.
    shown = services.descriptor_for(question, 2, "fr").resolve("fr")
    assert (shown.text, shown.fallback) == ("Own two", True)


def test_descriptor_prefers_the_scale_in_the_readers_language_over_a_foreign_own_text():
    q, question = _with_descriptor()  # own level 2: English only
    level = q.scale.levels.get(level=2)
    level.descriptor = MultilingualText.from_translations("en", "Scale two", {"pt": "Escala dois"})
    level.save()
    question = Question.objects.get(pk=question.pk)
    assert services.descriptor_for(question, 2, "pt").display("pt") == "Escala dois"
    assert services.descriptor_for(question, 9, "pt") == MultilingualText()


def test_question_clean_refuses_an_area_of_another_framework():
    q = questionnaire()
    other = framework(code="other-fw", areas=("X1",))
    question = Question(
        questionnaire=q, area=other.areas.get(), code="X", kind="maturity", text="Q", weight=1
    )
    with pytest.raises(ValidationError) as error:
        services.save_part(question, None)
    assert "area" in error.value.message_dict
    assert Framework.objects.count() == 2


def test_load_questionnaires_command_reports_each_file(tmp_path):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    load_frameworks()
    out = StringIO()
    call_command("load_questionnaires", stdout=out)
    assert sorted(out.getvalue().split()) == sorted(
        [f"{_file(path)['code']}:" for path in (DSA_FILE, TFA_FILE)] + ["created", "created"]
    )
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"code": "x", "framework": "nope", "questions": []}))
    with pytest.raises(CommandError, match="unknown framework"):
        call_command("load_questionnaires", data_dir=str(tmp_path), stdout=StringIO())
