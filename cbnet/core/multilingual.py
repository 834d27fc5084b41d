"""Text that users write in several languages: a model field, its value, a form field.

Stored shape (a JSON object; docs/multilingual.md has the full contract)::

    {
      "original": "es",
      "texts": {
        "es": {"text": "Gestión de riesgos", "status": "original"},
        "en": {"text": "Risk management", "status": "translated"},
        "fr": {"text": "Gestion des risques", "status": "needs_review"}
      }
    }

- ``original`` is the language the text was written in; its entry has status ``original``
  and every other entry ``translated`` or ``needs_review``. An empty value is ``{}``.
- Language codes are BCP 47 tags in lower case (``en``, ``es``, ``pt-br``, ``en-gb``):
  ``EN``, ``en_GB`` and ``en-GB`` are normalised to that on the way in; a code whose
  language ISO 639 does not know is refused with a message naming the code.
- When the original text changes, every translation that the same edit left as it was
  becomes ``needs_review`` (``MultilingualTextField.pre_save``).

``MultilingualText`` is the Python value: ``obj.title`` is always one (assigning a ``str``
makes it an original in the platform's default language, a ``dict`` must have the stored
shape). ``str(value)`` and ``value.display()`` give the text in the active language, else
the original; the ``{% ml %}`` template tag shows such a fallback with a badge.
"""

import json
import re
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

ORIGINAL = "original"
TRANSLATED = "translated"
NEEDS_REVIEW = "needs_review"
STATUS_CHOICES = [
    (ORIGINAL, _("original")),
    (TRANSLATED, _("translated")),
    (NEEDS_REVIEW, _("needs review")),
]
STATUSES = frozenset(code for code, _label in STATUS_CHOICES)

_TAG = re.compile(r"^(?P<primary>[a-z]{2,3})(?:-[a-z0-9]{1,8})*$")
MAX_TEXT_LENGTH = 20000


# --- language codes -------------------------------------------------------------------------


def normalize_code(code) -> str:
    """``"EN"`` -> ``"en"``, ``" en_GB "`` -> ``"en-gb"`` (lower-case BCP 47)."""
    return str(code or "").strip().replace("_", "-").lower()


def code_error(code):
    """Why ``code`` (already normalised) is not a language code, or None if it is one."""
    match = _TAG.match(code)
    if not match:
        return _("“%(code)s” is not a language code (use e.g. en, es, fr, pt-br).") % {"code": code}
    primary = match.group("primary")
    if not _known_language(primary):
        return _("“%(code)s” is not a known language code.") % {"code": code}
    return None


def _known_language(primary):
    import pycountry

    if len(primary) == 2:
        return pycountry.languages.get(alpha_2=primary) is not None
    return pycountry.languages.get(alpha_3=primary) is not None


def language_name(code) -> str:
    """The language's name in the active language where Django knows it (``"Spanish"`` /
    ``"espagnol"``), else its English name from ISO 639, else the code."""
    for candidate in (code, code.split("-")[0]):
        try:
            return str(get_language_info(candidate)["name_translated"])
        except KeyError:
            continue
    import pycountry

    primary = code.split("-")[0]
    found = (
        pycountry.languages.get(alpha_2=primary)
        if len(primary) == 2
        else pycountry.languages.get(alpha_3=primary)
    )
    return found.name if found is not None else code


def platform_languages():
    return [code for code, _name in settings.LANGUAGES]


def reader_language():
    return normalize_code(get_language() or settings.LANGUAGE_CODE)


# --- the value ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendition:
    """What a reader sees: the text, its language, and whether it is a fallback."""

    text: str
    language: str
    fallback: bool
    status: str = ""

    def __str__(self):
        return self.text


class MultilingualText:
    """One text in several languages; see the module docstring for the stored shape.

    Treat it as immutable: ``with_text`` returns a new value.
    """

    __slots__ = ("original", "texts")

    def __init__(self, original="", texts=None):
        self.original = normalize_code(original)
        self.texts = {}  # {code: {"text": str, "status": str}}
        for code, entry in (texts or {}).items():
            code = normalize_code(code)
            if isinstance(entry, str):
                entry = {"text": entry}
            if not isinstance(entry, dict):
                raise ValidationError(
                    _("The text in “%(code)s” must be an object with text and status."),
                    code="invalid",
                    params={"code": code},
                )
            text = entry.get("text")
            text = "" if text is None else str(text) if not isinstance(text, str) else text
            status = entry.get("status") or (ORIGINAL if code == self.original else TRANSLATED)
            self.texts[code] = {"text": text, "status": status}

    # building

    @classmethod
    def coerce(cls, value):
        """A ``MultilingualText`` from a stored dict, a plain string, None or another value.

        Structural garbage raises ``ValidationError``; invalid codes or statuses are kept
        for ``validate`` to report.
        """
        if isinstance(value, cls):
            return value
        if value is None or value == "" or value == {}:
            return cls()
        if isinstance(value, str):
            return cls.single(value)
        if isinstance(value, dict):
            unknown = set(value) - {"original", "texts"}
            texts = value.get("texts", {})
            if unknown or not isinstance(texts, dict):
                raise ValidationError(
                    _('Expected {"original": code, "texts": {code: {"text", "status"}}}.'),
                    code="invalid",
                )
            original = value.get("original") or ""
            if not isinstance(original, str):
                raise ValidationError(_("“original” must be a language code."), code="invalid")
            return cls(original, texts)
        raise ValidationError(
            _("Expected text or an object of texts by language, not %(type)s."),
            code="invalid",
            params={"type": type(value).__name__},
        )

    @classmethod
    def single(cls, text, language=None):
        """``text`` as the original in ``language`` (default: the platform's language)."""
        language = normalize_code(language or settings.LANGUAGE_CODE)
        if not text:
            return cls()
        return cls(language, {language: {"text": text, "status": ORIGINAL}})

    @classmethod
    def from_translations(cls, original_language, original_text, translations=None):
        """An original plus ``{code: text}`` translations (status ``translated``)."""
        texts = {original_language: {"text": original_text, "status": ORIGINAL}}
        for code, text in (translations or {}).items():
            if text and normalize_code(code) != normalize_code(original_language):
                texts[code] = {"text": text, "status": TRANSLATED}
        return cls(original_language, texts)

    def with_text(self, language, text, status=None):
        """A copy with ``language``'s text set (its status ``status`` or kept); changing the
        original's text marks unchanged translations ``needs_review``."""
        language = normalize_code(language)
        texts = {code: dict(entry) for code, entry in self.texts.items()}
        old = texts.get(language, {})
        default = ORIGINAL if language == self.original or not self.original else TRANSLATED
        texts[language] = {"text": text, "status": status or old.get("status") or default}
        value = MultilingualText(self.original or language, texts)
        return value.reviewed_against(self)

    # reading

    def __bool__(self):
        return any(entry["text"].strip() for entry in self.texts.values())

    def __eq__(self, other):
        if isinstance(other, MultilingualText):
            return self.to_dict() == other.to_dict()
        if isinstance(other, dict):
            return self.to_dict() == other
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        return f"MultilingualText({json.dumps(self.to_dict(), ensure_ascii=False)})"

    def __str__(self):
        return self.display()

    @property
    def languages(self):
        """Codes with text, the original first."""
        codes = [code for code, entry in self.texts.items() if entry["text"]]
        return sorted(codes, key=lambda code: (code != self.original, code))

    def status(self, language):
        entry = self.texts.get(normalize_code(language))
        return entry["status"] if entry else ""

    def get(self, language):
        """The text written in exactly ``language`` (``"EN"`` finds ``en``), or None."""
        entry = self.texts.get(normalize_code(language))
        return entry["text"] if entry and entry["text"] else None

    def resolve(self, language=None):
        """A ``Rendition`` for a reader of ``language`` (default: the active language).

        Tries the exact tag, then the same language in another variant (``pt-br`` for a
        reader of ``pt`` and the other way round), else falls back to the original.
        """
        language = normalize_code(language) if language else reader_language()
        if not self:
            return Rendition("", language, False)
        found = self._match(language)
        if found is not None:
            entry = self.texts[found]
            return Rendition(entry["text"], found, False, entry["status"])
        code = self.original if self.get(self.original) else self.languages[0]
        entry = self.texts[code]
        return Rendition(entry["text"], code, True, entry["status"])

    def _match(self, language):
        if self.get(language):
            return language
        primary = language.split("-")[0]
        for code in self.languages:
            if code.split("-")[0] == primary:
                return code
        return None

    def display(self, language=None):
        """The text for a reader of ``language`` (default: active), else the original."""
        return self.resolve(language).text

    def search_text(self):
        """Every language's text, for ``SearchTextMixin``."""
        return " ".join(self.texts[code]["text"] for code in self.languages)

    def to_dict(self):
        """The stored shape; ``{}`` when there is no text. Blank languages are dropped."""
        texts = {
            code: {"text": entry["text"], "status": entry["status"]}
            for code, entry in self.texts.items()
            if entry["text"].strip()
        }
        if not texts:
            return {}
        return {"original": self.original, "texts": dict(sorted(texts.items()))}

    # checking

    def errors(self):
        """Messages for everything wrong with the value (empty if valid)."""
        messages = []
        for code, entry in self.texts.items():
            if not entry["text"].strip():
                continue
            problem = code_error(code)
            if problem:
                messages.append(problem)
                continue
            if entry["status"] not in STATUSES:
                messages.append(
                    _("%(language)s (%(code)s): “%(status)s” is not a status.")
                    % {"language": language_name(code), "code": code, "status": entry["status"]}
                )
            elif entry["status"] == ORIGINAL and code != self.original:
                messages.append(
                    _(
                        "%(language)s (%(code)s) is marked original, but the original "
                        "language is %(original)s; only one language is the original."
                    )
                    % {"language": language_name(code), "code": code, "original": self.original}
                )
            if len(entry["text"]) > MAX_TEXT_LENGTH:
                messages.append(
                    _("%(language)s (%(code)s): the text is longer than %(max)s characters.")
                    % {"language": language_name(code), "code": code, "max": MAX_TEXT_LENGTH}
                )
        if self and not self.get(self.original):
            if not self.original:
                messages.append(_("Say which language is the original."))
            else:
                messages.append(
                    _("The original language (%(code)s) has no text.") % {"code": self.original}
                )
        elif self and self.texts[self.original]["status"] != ORIGINAL:
            messages.append(
                _("The original language (%(code)s) must have the status “original”.")
                % {"code": self.original}
            )
        return messages

    def reviewed_against(self, before):
        """This value with translations marked ``needs_review`` where the original's text
        changed since ``before`` and the translation (text and status) did not."""
        before = MultilingualText.coerce(before)
        if not before or self.original != before.original:
            return self
        if self.get(self.original) == before.get(before.original):
            return self
        texts = {code: dict(entry) for code, entry in self.texts.items()}
        for code, entry in texts.items():
            if code == self.original or entry["status"] != TRANSLATED:
                continue
            if before.texts.get(code) == entry:
                entry["status"] = NEEDS_REVIEW
        return MultilingualText(self.original, texts)


def convert_translated_names(name, names, original="en"):
    """A ``TranslatedNamesMixin`` pair (``name`` in English, ``names`` {code: text}) as the
    stored shape: English original, the others translated. Used by data migrations."""
    return MultilingualText.from_translations(original, name or "", names or {}).to_dict()


# --- the model field ------------------------------------------------------------------------


class MultilingualDescriptor(DeferredAttribute):
    """Makes ``obj.field`` always a ``MultilingualText``, whatever was assigned."""

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = MultilingualText.coerce(value)


class MultilingualTextField(models.JSONField):
    """A JSON column holding a ``MultilingualText`` (see the module docstring).

    ``blank=False`` (the default) requires a text in the original language. The model's
    ``search_fields`` may name it: every language's text goes into ``search_text``.
    """

    descriptor_class = MultilingualDescriptor
    description = _("Text in several languages")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only=private_only)
        if not cls._meta.abstract:
            post_init.connect(self._remember_loaded, sender=cls)

    def _remember_loaded(self, instance, **kwargs):
        value = instance.__dict__.get(self.attname)
        if value is not None:
            instance.__dict__.setdefault("_multilingual_loaded", {})[self.attname] = value

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        try:
            return MultilingualText.coerce(value)
        except ValidationError:
            return MultilingualText()

    def to_python(self, value):
        return MultilingualText.coerce(value)

    def get_prep_value(self, value):
        if isinstance(value, MultilingualText):
            value = value.to_dict()
        return super().get_prep_value(value)

    def value_to_string(self, obj):
        return self.value_from_object(obj).to_dict()

    def pre_save(self, model_instance, add):
        value = MultilingualText.coerce(getattr(model_instance, self.attname))
        loaded = model_instance.__dict__.get("_multilingual_loaded", {})
        before = loaded.get(self.attname)
        if before is not None and not getattr(model_instance, "_keep_translation_status", False):
            value = value.reviewed_against(before)
        setattr(model_instance, self.attname, value)
        model_instance.__dict__.setdefault("_multilingual_loaded", {})[self.attname] = value
        return value

    def validate(self, value, model_instance):
        value = MultilingualText.coerce(value)
        if not value:
            if not self.blank:
                raise ValidationError(self.error_messages["blank"], code="blank")
            return
        errors = value.errors()
        if errors:
            raise ValidationError(errors, code="invalid")

    def formfield(self, **kwargs):
        return models.Field.formfield(
            self,
            **{
                "form_class": MultilingualFormField,
                "required": not self.blank,
                "show_hidden_initial": False,
                **kwargs,
            },
        )


# --- the form field -------------------------------------------------------------------------


class MultilingualWidget(forms.Widget):
    """The languages side by side: one column per language present plus the platform
    languages, each a text box and a status select, and an "add language" column for any
    other code. Plain HTML form fields (``<name>__<code>__text``, ``__status``, and
    ``<name>__new__code``/``__text``/``__status``): it works without JavaScript."""

    template_name = "core/widgets/multilingual.html"
    _KEY = re.compile(r"^(?P<code>[A-Za-z0-9_-]+)__(?P<part>text|status|code)$")

    def __init__(self, attrs=None, *, rows=2):
        super().__init__(attrs)
        self.rows = rows

    def value_from_datadict(self, data, files, name):
        if name in data:  # one JSON value (API-like clients, tests)
            raw = data[name]
            if isinstance(raw, str):
                try:
                    return json.loads(raw) if raw.strip().startswith("{") else raw
                except ValueError:
                    return raw
            return raw
        prefix = f"{name}__"
        found = {}
        for key in data:
            if not key.startswith(prefix):
                continue
            match = self._KEY.match(key[len(prefix) :])
            if match:
                found.setdefault(match.group("code"), {})[match.group("part")] = data.get(key)
        if not found:
            return None
        new = found.pop("new", {})
        if (new.get("text") or "").strip() or (new.get("code") or "").strip():
            found[new.get("code") or ""] = {
                "text": new.get("text") or "",
                "status": new.get("status") or "",
            }
        texts = {}
        original = ""
        for code, entry in found.items():
            text = (entry.get("text") or "").strip()
            status = entry.get("status") or TRANSLATED
            if status == ORIGINAL and text:
                original = original or normalize_code(code)
            texts[code] = {"text": text, "status": status}
        return {"original": original, "texts": texts}

    def render(self, name, value, attrs=None, renderer=None):
        # The project's template engine (the form renderer's own engine does not look in
        # cbnet/templates).
        context = self.get_context(name, value, attrs)
        return mark_safe(render_to_string(self.template_name, context))

    def value_omitted_from_data(self, data, files, name):
        prefix = f"{name}__"
        return name not in data and not any(key.startswith(prefix) for key in data)

    def get_context(self, name, value, attrs):
        attrs = attrs or {}
        context = super().get_context(name, value, attrs)
        raw = value
        try:
            value = MultilingualText.coerce(value)
        except ValidationError:
            value = MultilingualText()
        codes = list(value.texts)
        # a submitted code that failed validation stays visible under its own name
        if isinstance(raw, dict) and isinstance(raw.get("texts"), dict):
            codes = [normalize_code(code) for code in raw["texts"]]
        for code in platform_languages():
            if code not in codes:
                codes.append(code)
        codes.sort(key=lambda code: (code != value.original, code not in value.texts, code))
        columns = []
        for code in codes:
            entry = value.texts.get(code, {"text": "", "status": ""})
            status = entry["status"] or (ORIGINAL if not value.original and code == "en" else "")
            columns.append(
                {
                    "code": code,
                    "name": language_name(code) if not code_error(code) else code,
                    "text": entry["text"],
                    "status": status or TRANSLATED,
                    "text_name": f"{name}__{code}__text",
                    "status_name": f"{name}__{code}__status",
                    "id": f"{attrs.get('id') or 'id_' + name}_{code}",
                }
            )
        context["widget"].update(
            {
                "columns": columns,
                "statuses": STATUS_CHOICES,
                "rows": self.rows,
                "new_prefix": f"{name}__new__",
                "id": attrs.get("id") or f"id_{name}",
            }
        )
        return context

    def id_for_label(self, id_):
        return f"{id_}_en" if id_ else id_


class MultilingualFormField(forms.Field):
    """Cleans the widget's (or a dict's) value into a valid ``MultilingualText``."""

    widget = MultilingualWidget
    default_error_messages = {"required": _("Write the text in at least its original language.")}

    def __init__(self, *, max_length=None, **kwargs):
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value

    def to_python(self, value):
        try:
            value = MultilingualText.coerce(value)
        except ValidationError as error:
            raise ValidationError(error.messages, code="invalid") from None
        return MultilingualText(value.original, {c: e for c, e in value.texts.items() if e["text"]})

    def validate(self, value):
        if not value:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return
        errors = value.errors()
        if errors:
            label = self.label or _("This field")
            raise ValidationError(
                [
                    ValidationError(
                        _("%(field)s: %(problem)s"), params={"field": label, "problem": message}
                    )
                    for message in errors
                ]
            )

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        try:
            return self.to_python(initial).to_dict() != self.to_python(data).to_dict()
        except ValidationError:
            return True


# --- import and export ----------------------------------------------------------------------


class LanguageColumnField(forms.CharField):
    """One language of a multilingual field as a spreadsheet column (``Name [es]``)."""

    def __init__(self, *, source, language, **kwargs):
        super().__init__(required=False, strip=True, **kwargs)
        self.source = source
        self.language = language

    def export_value(self, obj):
        value = MultilingualText.coerce(getattr(obj, self.source))
        if self.language is None:
            return value.original if value else ""
        return value.get(self.language) or ""


class MultilingualImportFormMixin:
    """Import forms: each multilingual field as one column per language.

    For a field ``name`` the file has ``name [en]``, ``name [es]``, ... (the platform
    languages, or ``multilingual_languages``) and ``name [original]`` (the original's code);
    ``name`` itself is the text as shown, written on export for reading and ignored on import.
    On import:

    - a language whose cell is unchanged keeps its text and status; a changed cell is saved
      as ``translated`` (``original`` for the original language), a blank cell removes the
      language; languages the file has no column for are kept as they are;
    - changing the original's text marks the untouched translations ``needs_review`` (the
      field's rule); errors name the column.

    Exporting with ``exporting.form_rows`` and importing the file unchanged reports every row
    unchanged: the round trip is lossless.
    """

    multilingual_languages = None  # default: settings.LANGUAGES

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        languages = [
            normalize_code(code) for code in (self.multilingual_languages or platform_languages())
        ]
        self.multilingual_columns = {}
        model = self._meta.model
        for name in list(self.fields):
            try:
                model_field = model._meta.get_field(name)
            except Exception:
                continue
            if not isinstance(model_field, MultilingualTextField):
                continue
            shown = self.fields[name]
            label = shown.label or name
            shown.disabled = True
            shown.required = False
            shown.label = _("%(label)s (as shown; not imported)") % {"label": label}
            current = MultilingualText.coerce(getattr(self.instance, name))
            columns = {}
            for code in [*languages, None]:
                column = f"{name}__{code or 'original'}"
                self.fields[column] = LanguageColumnField(
                    source=name,
                    language=code,
                    label=f"{label} [{code or 'original'}]",
                )
                initial = current.original if code is None else current.get(code)
                self.initial[column] = initial or ""
                columns[column] = code
            self.multilingual_columns[name] = columns

    def clean(self):
        cleaned = super().clean()
        for name, columns in self.multilingual_columns.items():
            if not any(column in self.data for column in columns):
                continue  # the file has none of its columns: the field stays as it is
            value = self._merged(name, columns, cleaned)
            errors = value.errors()
            model_field = self._meta.model._meta.get_field(name)
            if not value and not model_field.blank:
                errors.append(_("Write the text in at least its original language."))
            for message in errors:
                self.add_error(name, message)
            cleaned[name] = value
        return cleaned

    def _merged(self, name, columns, cleaned):
        current = MultilingualText.coerce(getattr(self.instance, name))
        texts = {code: dict(entry) for code, entry in current.texts.items()}
        original_column = next(column for column, code in columns.items() if code is None)
        original = normalize_code(cleaned.get(original_column)) or current.original
        if not original:
            original = normalize_code(settings.LANGUAGE_CODE)
        for column, code in columns.items():
            if code is None or column not in self.data:
                continue
            text = cleaned.get(column) or ""
            if not text:
                texts.pop(code, None)
            elif texts.get(code, {}).get("text") != text:
                texts[code] = {"text": text, "status": TRANSLATED}
        for code, entry in texts.items():
            if code == original:
                entry["status"] = ORIGINAL
            elif entry["status"] == ORIGINAL:
                entry["status"] = TRANSLATED  # the former original
        return MultilingualText(original, texts).reviewed_against(current)

    @property
    def changed_data(self):
        changed = []
        for field_name in super().changed_data:
            for name, columns in self.multilingual_columns.items():
                if field_name in columns:
                    field_name = name
                    break
            if field_name not in changed:
                changed.append(field_name)
        return changed
