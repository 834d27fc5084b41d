"""Names and descriptors become multilingual text (cbnet.core.multilingual).

``name`` (English) + ``names`` ({"es": ..., "fr": ..., "pt": ...}) become one ``name`` with
English as the original and the others translated; likewise the maturity levels'
``descriptor`` + ``descriptors``. History rows are converted too, so the history tab keeps
reading. Frameworks and areas also get ``search_text`` (every language's name, searchable).
"""

from django.db import migrations, models

import cbnet.core.multilingual

MODELS = ("framework", "area", "maturityscale", "maturitylevel")
PAIRS = {  # model: [(old text field, old translations field, new field)]
    "framework": [("name", "names", "name_ml")],
    "area": [("name", "names", "name_ml")],
    "maturityscale": [("name", "names", "name_ml")],
    "maturitylevel": [
        ("name", "names", "name_ml"),
        ("descriptor", "descriptors", "descriptor_ml"),
    ],
}


def to_multilingual(text, translations):
    """The old English text and its translations as the stored shape (English original)."""
    return cbnet.core.multilingual.convert_translated_names(text, translations or {})


def from_multilingual(value):
    """Back: (English text, {code: text} of the other languages)."""
    value = cbnet.core.multilingual.MultilingualText.coerce(value)
    english = value.get("en") or value.display("en")
    others = {code: value.get(code) for code in value.languages if code != "en"}
    return english, others


def _convert(apps, forwards):
    for model_name in MODELS:
        for name in (model_name, f"historical{model_name}"):
            model = apps.get_model("capabilities", name)
            rows = list(model._base_manager.all())
            changed = []
            for old_text, old_translations, new in PAIRS[model_name]:
                changed += [old_text, old_translations] if not forwards else [new]
                for row in rows:
                    if forwards:
                        value = to_multilingual(
                            getattr(row, old_text), getattr(row, old_translations)
                        )
                        setattr(row, new, value)
                    else:
                        text, translations = from_multilingual(getattr(row, new))
                        setattr(row, old_text, text)
                        setattr(row, old_translations, translations)
            if rows:
                model._base_manager.bulk_update(rows, changed, batch_size=500)


def forwards(apps, schema_editor):
    _convert(apps, forwards=True)


def backwards(apps, schema_editor):
    _convert(apps, forwards=False)


def fill_search_text(apps, schema_editor):
    """What ``SearchTextMixin`` would write on save: the code and every language's name."""
    from cbnet.core.text import normalize

    for name in ("framework", "area"):
        model = apps.get_model("capabilities", name)
        rows = list(model._base_manager.all())
        for row in rows:
            texts = cbnet.core.multilingual.MultilingualText.coerce(row.name).search_text()
            row.search_text = normalize(f"{row.code} {texts}")
        if rows:
            model._base_manager.bulk_update(rows, ["search_text"], batch_size=500)


def ml_field(label):
    return cbnet.core.multilingual.MultilingualTextField(default=dict, verbose_name=label)


class Migration(migrations.Migration):
    dependencies = [
        ("capabilities", "0002_initial"),
    ]

    operations = [
        # 1. the new columns, beside the old ones
        *[
            migrations.AddField(model_name=prefix + model, name="name_ml", field=ml_field("name"))
            for model in MODELS
            for prefix in ("", "historical")
        ],
        *[
            migrations.AddField(
                model_name=prefix + "maturitylevel",
                name="descriptor_ml",
                field=ml_field("descriptor"),
            )
            for prefix in ("", "historical")
        ],
        # 2. the data
        migrations.RunPython(forwards, backwards),
        # 3. the old columns go (given a default first, so that the reverse migration can
        #    add them back to tables with rows), the new ones take their names
        *[
            migrations.AlterField(
                model_name=prefix + model,
                name="name",
                field=models.CharField(default="", max_length=300, verbose_name="name"),
            )
            for model in MODELS
            for prefix in ("", "historical")
        ],
        *[
            migrations.AlterField(
                model_name=prefix + "maturitylevel",
                name="descriptor",
                field=models.TextField(default="", verbose_name="descriptor"),
            )
            for prefix in ("", "historical")
        ],
        *[
            migrations.RemoveField(model_name=prefix + model, name=old)
            for model in MODELS
            for prefix in ("", "historical")
            for old in ("name", "names")
        ],
        *[
            migrations.RemoveField(model_name=prefix + "maturitylevel", name=old)
            for prefix in ("", "historical")
            for old in ("descriptor", "descriptors")
        ],
        *[
            migrations.RenameField(model_name=prefix + model, old_name="name_ml", new_name="name")
            for model in MODELS
            for prefix in ("", "historical")
        ],
        *[
            migrations.RenameField(
                model_name=prefix + "maturitylevel",
                old_name="descriptor_ml",
                new_name="descriptor",
            )
            for prefix in ("", "historical")
        ],
        # 4. searchable in every language
        *[
            migrations.AddField(
                model_name=prefix + model,
                name="search_text",
                field=models.TextField(blank=True, default="", editable=False),
            )
            for model in ("framework", "area")
            for prefix in ("", "historical")
        ],
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
    ]
