"""Form bases shared by every app's ``{Model}Form`` and import forms.

``PrimaryModelForm`` knows who is editing (``user=``) and:

- carries the row's ``version`` in a hidden field and puts it back on the instance, so a
  save based on an old version raises ``StaleObjectError`` (shown as a form error; the
  user's input stays in the form);
- disables the fields the user may not change on this row (``permissions.editable_fields``)
  and refuses a posted change to one of them with a field error, instead of ignoring it
  silently.

Import forms use the CSV-friendly fields below: an organisation is named by its name,
acronym or IATI identifier, a country by its code or English name, a list by commas.
"""

import copy

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cbnet.core import permissions
from cbnet.core.countries import country_by_name_or_code
from cbnet.core.text import normalize


class PrimaryModelForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.restricted_fields = set()
        if self.instance.pk is None:
            del self.fields["version"]
        else:
            self.fields["version"].initial = self.instance.version
            allowed = permissions.editable_fields(user, self.instance) if user else None
            if allowed is not None:
                for name, field in self.fields.items():
                    if name != "version" and name not in allowed:
                        field.disabled = True
                        self.restricted_fields.add(name)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def clean(self):
        cleaned = super().clean()
        for name in self.restricted_fields:
            if self.add_prefix(name) not in self.data:
                continue  # browsers do not post disabled fields
            field = self.fields[name]
            probe = copy.copy(field)
            probe.disabled = False
            raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            if probe.has_changed(self.get_initial_for_field(field, name), raw):
                self.add_error(name, _("You may not change this field."))
        if self.instance.pk is not None:
            version = cleaned.get("version")
            if version is None:
                version = self.instance.version
            self.instance.version = version
        return cleaned


class LookupChoiceField(forms.ModelChoiceField):
    """A foreign key named in an import file by any of ``lookups`` (accents and case ignored).

    ``lookups`` are model field names; a whole number also matches the primary key.
    """

    def __init__(self, queryset, *, lookups=("name",), **kwargs):
        super().__init__(queryset, **kwargs)
        self.lookups = lookups
        self._index = None

    def _build_index(self):
        index = {}
        for obj in self.queryset:
            for lookup in self.lookups:
                value = getattr(obj, lookup, "")
                if value:
                    index.setdefault(normalize(str(value)), set()).add(obj)
            index.setdefault(f"#{obj.pk}", set()).add(obj)
        return index

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, self.queryset.model):
            return value
        if self._index is None:
            self._index = self._build_index()
        text = str(value).strip()
        key = f"#{text}" if text.isdigit() else normalize(text)
        matches = self._index.get(key, set())
        if len(matches) == 1:
            return next(iter(matches))
        if len(matches) > 1:
            raise ValidationError(
                _("%(value)s matches several records; use a more specific name."),
                code="ambiguous",
                params={"value": text},
            )
        raise ValidationError(
            _("Unknown %(model)s: %(value)s."),
            code="invalid_choice",
            params={"model": self.queryset.model._meta.verbose_name, "value": text},
        )

    def validate(self, value):
        forms.Field.validate(self, value)


class CountryField(forms.CharField):
    """An ISO 3166 alpha-2 code from a code, an alpha-3 code or an English country name."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return ""
        code = country_by_name_or_code(value)
        if code is None:
            raise ValidationError(
                _("Unknown country: %(value)s."), code="invalid", params={"value": value}
            )
        return code


class CommaListField(forms.CharField):
    """``"es, en"`` -> ``["es", "en"]`` (lower case, blanks dropped)."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return [str(item).strip().lower() for item in value if str(item).strip()]
        value = super().to_python(value)
        return [item.strip().lower() for item in value.replace(";", ",").split(",") if item.strip()]

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        try:
            return self.to_python(initial or []) != self.to_python(data)
        except ValidationError:
            return True


class LanguagesField(CommaListField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("ISO 639-1 codes separated by commas, e.g. es, en."))
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        for code in value:
            if not code.isalpha() or len(code) not in (2, 3):
                raise ValidationError(
                    _("%(value)s is not a language code such as es or en."),
                    code="invalid",
                    params={"value": code},
                )


class ChoiceOrLabelField(forms.ChoiceField):
    """A choice named in an import file by its code or its label (accents and case ignored)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return ""
        key = normalize(value)
        for code, label in self.choices:
            if key in (normalize(str(code)), normalize(str(label))):
                return code
        return value
