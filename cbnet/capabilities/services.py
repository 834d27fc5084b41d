"""Business operations on capability frameworks.

The frameworks, their areas and the maturity scale are data, kept in ``capabilities/data/``:

- ``frameworks.json``: each framework (``code``, ``kind``, names, source) with its areas, or
  the name of a CSV holding them (``areas_csv``); and the maturity scales with their levels.
- ``tfa-section-1.csv``: the WTO Trade Facilitation Agreement, Section I: articles ``1`` ...
  ``12`` and their measures ``1.1`` ... ``10.9`` (``parent`` gives the tree, ``notifiable``
  the units members notify as category A, B or C), named in en/es/fr/pt.

Names and descriptors are multilingual text (docs/multilingual.md). The data files write
them compactly: ``name`` is the English original and ``names`` its translations (loaded with
status ``translated``); a ``name`` may instead be a value in the stored shape
(``{"original": ..., "texts": {...}}``) when the original is not English.

Area codes are stable because other records refer to them: the diagnostic areas are ``D1``
(strategic management) ... ``D7`` (integrity), the PMM dimensions ``P1`` (trade
facilitation and economic competitiveness) ... ``P4`` (organizational development), the TFA
areas keep the Agreement's numbering. A code is never reused for another meaning; an area
that leaves a framework's data file stays in the database (records may still point to it).

``load_frameworks()`` is run by ``manage.py load_capabilities`` (and by ``load_demo``).
It is a command, not a data migration, because a migration works with historical models,
which cannot write django-simple-history rows; through the command every framework row
gets its history like any other write.
"""

import csv
import json
from pathlib import Path

from django.db import transaction

from cbnet.capabilities.models import Area, Framework, MaturityLevel, MaturityScale
from cbnet.core.multilingual import MultilingualText

DATA_DIR = Path(__file__).resolve().parent / "data"
CHANGE_REASON = "capabilities data"


def upsert(model, lookup, values, *, reason, user=None, create_only=None):
    """Create the row matching ``lookup`` or bring its fields to ``values``.

    Saves (and so writes a history row with ``reason``) only when something differs, so
    loading the same data twice changes nothing. ``create_only`` fields are applied when
    the row is created and never overwritten afterwards. Returns ``(obj, status)`` with
    status ``"created"``, ``"updated"`` or ``"unchanged"``.
    """
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values, **(create_only or {}))
        status = "created"
    else:
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if not changed:
            return obj, "unchanged"
        for name in changed:
            setattr(obj, name, values[name])
        status = "updated"
    obj.full_clean()
    obj._keep_translation_status = True  # the data file's statuses are authoritative
    obj._change_reason = reason
    obj._history_user = user
    obj.save()
    return obj, status


def multilingual(text, translations=None):
    """A data file's ``name`` (English original, or the stored shape) and ``names``."""
    if isinstance(text, dict):
        return MultilingualText.coerce(text)
    return MultilingualText.from_translations("en", text, translations or {})


def read_framework_data(data_dir=DATA_DIR):
    """The parsed data files: ``{"frameworks": [...], "scales": [...]}``, areas inline."""
    data = json.loads((data_dir / "frameworks.json").read_text(encoding="utf-8"))
    for framework in data["frameworks"]:
        if "areas_csv" in framework:
            framework["areas"] = read_areas_csv(data_dir / framework.pop("areas_csv"))
    return data


def read_areas_csv(path):
    """Areas from a CSV with ``code, parent, notifiable, name_en, name_es, name_fr, name_pt``."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {
                "code": row["code"],
                "parent": row["parent"] or None,
                "notifiable": row["notifiable"] == "1",
                "name": row["name_en"],
                "names": {lang: row[f"name_{lang}"] for lang in ("es", "fr", "pt")},
            }
            for row in csv.DictReader(handle)
        ]


@transaction.atomic
def load_frameworks(*, user=None, data_dir=DATA_DIR):
    """Create or update the frameworks, their area trees and the maturity scales.

    Idempotent: rows are matched by code and saved only when the data differ. Returns a
    count per status, e.g. ``{"created": 60, "updated": 0, "unchanged": 0}``.
    """
    data = read_framework_data(data_dir)
    counts = {"created": 0, "updated": 0, "unchanged": 0}

    def write(model, lookup, values):
        obj, status = upsert(model, lookup, values, reason=CHANGE_REASON, user=user)
        counts[status] += 1
        return obj

    for spec in data["frameworks"]:
        framework = write(
            Framework,
            {"code": spec["code"]},
            {
                "kind": spec["kind"],
                "name": multilingual(spec["name"], spec.get("names")),
                "source": spec.get("source", ""),
            },
        )
        by_code = {}
        for position, area in enumerate(spec["areas"], start=1):
            parent_code = area.get("parent")
            by_code[area["code"]] = write(
                Area,
                {"framework": framework, "code": area["code"]},
                {
                    "name": multilingual(area["name"], area.get("names")),
                    "parent": by_code[parent_code] if parent_code else None,
                    "position": position,
                    "notifiable": area.get("notifiable", False),
                },
            )

    for spec in data["scales"]:
        scale = write(
            MaturityScale,
            {"code": spec["code"]},
            {"name": multilingual(spec["name"], spec.get("names"))},
        )
        for level in spec["levels"]:
            write(
                MaturityLevel,
                {"scale": scale, "level": level["level"]},
                {
                    "name": multilingual(level["name"], level.get("names")),
                    "descriptor": multilingual(level["descriptor"], level.get("descriptors")),
                },
            )
    return counts
