"""Migration 0003 turns the two-field names (and descriptors) into multilingual text."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cbnet.capabilities.models import Area, Framework, MaturityLevel

BEFORE = [("capabilities", "0002_initial")]
AFTER = [("capabilities", "0003_multilingual_names")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_0003_converts_rows_and_their_history():
    old = migrate(BEFORE)
    try:
        framework = old.get_model("capabilities", "Framework").objects.create(
            code="old", kind="other", name="Old framework", names={"es": "Marco antiguo"}
        )
        old.get_model("capabilities", "Area").objects.create(
            framework=framework,
            code="D7",
            name="Integrity",
            names={"es": "Integridad", "fr": "Intégrité", "pt": ""},
        )
        old.get_model("capabilities", "HistoricalArea").objects.create(
            id=1,
            framework_id=framework.pk,
            code="D7",
            name="Integrity (first)",
            names={"fr": "Intégrité"},
            position=0,
            notifiable=False,
            version=1,
            created="2026-01-01T00:00:00Z",
            updated="2026-01-01T00:00:00Z",
            history_date="2026-01-01T00:00:00Z",
            history_type="+",
        )
        scale = old.get_model("capabilities", "MaturityScale").objects.create(
            code="m", name="Maturity", names={}
        )
        old.get_model("capabilities", "MaturityLevel").objects.create(
            scale=scale,
            level=2,
            name="Defined",
            names={"pt": "Definido"},
            descriptor="Processes are defined.",
            descriptors={"es": "Los procesos están definidos."},
        )

        migrate(AFTER)

        area = Area.objects.get(code="D7")
        assert area.name.to_dict() == {
            "original": "en",
            "texts": {
                "en": {"text": "Integrity", "status": "original"},
                "es": {"text": "Integridad", "status": "translated"},
                "fr": {"text": "Intégrité", "status": "translated"},
            },
        }
        assert "integridad" in area.search_text and "integrite" in area.search_text
        assert Framework.objects.get(code="old").name.get("es") == "Marco antiguo"
        history = Area.history.get(code="D7")
        assert history.name.get("en") == "Integrity (first)"
        assert history.name.get("fr") == "Intégrité"
        level = MaturityLevel.objects.get(level=2)
        assert level.name.get("pt") == "Definido" and level.name.original == "en"
        assert level.descriptor.get("es") == "Los procesos están definidos."
        assert level.descriptor.get("en") == "Processes are defined."

        # and back: the English text and the translations return to their two fields
        old = migrate(BEFORE)
        back = old.get_model("capabilities", "Area").objects.get(code="D7")
        assert back.name == "Integrity"
        assert back.names == {"es": "Integridad", "fr": "Intégrité"}
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("capabilities"))
        for model in (MaturityLevel, Area, Framework):
            model.history.all().delete()
