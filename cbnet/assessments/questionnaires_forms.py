"""Forms for questionnaires and their sections and questions (the Secretariat edits them).

Multilingual fields (titles, question texts, descriptors) use the core side-by-side widget
(docs/multilingual.md). A frozen version (used by a round) refuses every change with a
form error that points to "Create a new version".
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.choices import QuestionKind
from cbnet.assessments.models import LevelDescriptor, Question, Questionnaire, Section
from cbnet.assessments.services.questionnaires import FrozenQuestionnaireError
from cbnet.capabilities.models import Area, MaturityLevel
from cbnet.core.forms import PrimaryModelForm
from cbnet.core.multilingual import MultilingualFormField, MultilingualText


def _style(form):
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select")
        elif isinstance(widget, forms.TextInput | forms.NumberInput | forms.Textarea):
            widget.attrs.setdefault("class", "form-control")


class QuestionnaireForm(PrimaryModelForm):
    class Meta:
        model = Questionnaire
        fields = ("code", "title", "description", "framework", "scale")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # ``version`` is the questionnaire's version number here, not an edit counter
        # (Questionnaire.save): versions are made by "Create a new version" only.
        self.fields.pop("version", None)
        if self.instance.pk is not None:
            # Every version of a code shares it; the areas of the questions fix the framework.
            self.fields["code"].disabled = True
            if self.instance.questions.exists():
                self.fields["framework"].disabled = True
                self.fields["framework"].help_text = _(
                    "Fixed: the questions are tied to this framework's areas."
                )

    def clean_code(self):
        code = self.cleaned_data.get("code")
        if self.instance.pk is None and code and Questionnaire.objects.filter(code=code).exists():
            raise ValidationError(
                _(
                    "A questionnaire with this code exists already: open it and create a new "
                    "version, or choose another code."
                ),
                code="duplicate",
            )
        return code

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and self.instance.is_frozen:
            raise FrozenQuestionnaireError(self.instance)
        return cleaned


class CopyQuestionnaireForm(forms.Form):
    code = forms.SlugField(
        label=_("Code of the new questionnaire"),
        max_length=40,
        help_text=_("Letters, digits and hyphens; the copy starts at version 1."),
    )

    def clean_code(self):
        code = self.cleaned_data["code"]
        if Questionnaire.objects.filter(code=code).exists():
            raise ValidationError(
                _("A questionnaire with the code “%(code)s” exists already."),
                code="duplicate",
                params={"code": code},
            )
        return code


class _PartForm(forms.ModelForm):
    """A section or question of ``questionnaire`` (a frozen version refuses the save)."""

    def __init__(self, *args, questionnaire, user=None, **kwargs):
        self.questionnaire = questionnaire
        self.user = user
        super().__init__(*args, **kwargs)
        self.instance.questionnaire = questionnaire
        _style(self)

    def clean_code(self):
        code = (self.cleaned_data.get("code") or "").strip()
        siblings = type(self.instance).objects.filter(questionnaire=self.questionnaire, code=code)
        if self.instance.pk is not None:
            siblings = siblings.exclude(pk=self.instance.pk)
        if code and siblings.exists():
            raise ValidationError(
                _("The code “%(code)s” is already used in this version."),
                code="duplicate",
                params={"code": code},
            )
        return code

    def clean(self):
        cleaned = super().clean()
        if self.questionnaire.is_frozen:
            raise FrozenQuestionnaireError(self.questionnaire)
        return cleaned


class SectionForm(_PartForm):
    class Meta:
        model = Section
        fields = ("code", "title", "position")


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


class QuestionForm(_PartForm):
    """A question and, for maturity questions, its own descriptor of each scale level."""

    area = AreaChoiceField(queryset=Area.objects.none(), label=_("Capability area"))

    class Meta:
        model = Question
        fields = (
            "section",
            "area",
            "code",
            "kind",
            "text",
            "guidance",
            "weight",
            "evidence_required",
            "not_applicable_allowed",
            "position",
        )

    def __init__(self, *args, questionnaire, **kwargs):
        super().__init__(*args, questionnaire=questionnaire, **kwargs)
        framework = questionnaire.framework
        self.fields["section"].queryset = questionnaire.sections.order_by("position", "code")
        self.fields["area"].queryset = framework.areas.order_by("position", "code")
        self.fields["area"].error_messages["invalid_choice"] = _(
            "Choose an area of the questionnaire's framework (%(framework)s)."
        ) % {"framework": framework}
        self.levels = list(
            MaturityLevel.objects.filter(scale_id=questionnaire.scale_id).order_by("level")
        )
        existing = {}
        if self.instance.pk is not None:
            existing = {d.level: d for d in self.instance.descriptors.all()}
        self.existing_descriptors = existing
        for level in self.levels:
            name = f"descriptor_{level.level}"
            self.fields[name] = MultilingualFormField(
                required=False,
                label=_("Level %(level)s (%(name)s): this question's descriptor")
                % {"level": level.level, "name": level.name},
                help_text=_("Leave empty to use the scale's: %(text)s")
                % {"text": level.descriptor},
            )
            if level.level in existing:
                self.initial[name] = existing[level.level].text

    def descriptor_fields(self):
        return [self[f"descriptor_{level.level}"] for level in self.levels]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == QuestionKind.TFA_CATEGORY:
            for level in self.levels:
                value = cleaned.get(f"descriptor_{level.level}")
                if value:
                    self.add_error(
                        f"descriptor_{level.level}",
                        _("TFA category questions are not answered on levels."),
                    )
        return cleaned

    def save_descriptors(self, question, user):
        for level in self.levels:
            value = self.cleaned_data.get(f"descriptor_{level.level}") or MultilingualText()
            descriptor = self.existing_descriptors.get(level.level)
            if not value:
                if descriptor is not None:
                    descriptor._history_user = user
                    descriptor.delete()
                continue
            if descriptor is None:
                descriptor = LevelDescriptor(question=question, level=level.level)
            elif descriptor.text == value:
                continue
            descriptor.text = value
            descriptor.full_clean()
            descriptor._history_user = user
            descriptor.save()
