"""Questionnaire pages: list, detail, add/edit, sections and questions, new version, copy,
compare versions. Everyone signed in reads; the Secretariat writes (the default policy).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from cbnet.assessments import questionnaires_filters as filters
from cbnet.assessments import questionnaires_forms as forms
from cbnet.assessments import questionnaires_tables as tables
from cbnet.assessments.models import LevelDescriptor, Question, Questionnaire, Section
from cbnet.assessments.services import questionnaires as services
from cbnet.capabilities.models import MaturityLevel
from cbnet.core.multilingual import reader_language
from cbnet.core.permissions import access_object
from cbnet.core.views import (
    BaseObjectView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    register_model_view,
    request_can,
)
from cbnet.core.views.registry import model_urls


@register_model_view(Questionnaire, "list")
class QuestionnaireListView(ObjectListView):
    queryset = Questionnaire.objects.select_related("framework").annotate(
        question_count=Count("questions", distinct=True),
        round_count=Count("rounds", distinct=True),
    )
    filterset_class = filters.QuestionnaireFilter
    table_class = tables.QuestionnaireTable


@register_model_view(Questionnaire, "detail")
class QuestionnaireDetailView(ObjectDetailView):
    queryset = Questionnaire.objects.select_related("framework", "scale", "previous")

    def get_extra_context(self, request, obj):
        language = reader_language()
        levels = (
            list(MaturityLevel.objects.filter(scale_id=obj.scale_id).order_by("level"))
            if obj.scale_id
            else []
        )
        scale_levels = {level.level: level for level in levels}
        questions = list(
            obj.questions.select_related("area")
            .prefetch_related(
                Prefetch("descriptors", queryset=LevelDescriptor.objects.order_by("level"))
            )
            .order_by("position", "code")
        )
        for question in questions:
            own = {d.level for d in question.descriptors.all()}
            question.level_rows = [
                {
                    "level": level,
                    "text": services.descriptor_for(
                        question, level.level, language, scale_levels=scale_levels
                    ),
                    "own": level.level in own,
                }
                for level in levels
            ]
        sections = list(obj.sections.order_by("position", "code"))
        by_section = {section.pk: [] for section in sections}
        loose = []
        for question in questions:
            by_section.get(question.section_id, loose).append(question)
        for section in sections:
            section.question_list = by_section[section.pk]
        frozen = obj.rounds.exists()
        versions = services.version_links(obj)
        can_change = request_can(request, "change", obj)
        return {
            "sections": sections,
            "loose_questions": loose,
            "question_count": len(questions),
            "frozen": frozen,
            "versions": versions,
            "can_write": can_change,
            "can_edit_contents": can_change and not frozen,
            "can_version": request_can(request, "add", Questionnaire),
        }


@register_model_view(Questionnaire, "edit")
class QuestionnaireEditView(ObjectEditView):
    model = Questionnaire
    form_class = forms.QuestionnaireForm

    def get(self, request, pk=None):
        instance = self.get_instance(request, pk)
        if instance.pk is not None and instance.is_frozen:
            return render_frozen(request, instance)
        return self.render_form(request, self.get_form(request, instance))


def render_frozen(request, questionnaire, status=200):
    """A frozen version's edit pages: say why, offer "Create a new version"."""
    return render(
        request,
        "assessments/questionnaire_frozen.html",
        {
            "object": questionnaire,
            "new_version_url": reverse(
                "assessments:questionnaire_new_version", args=[questionnaire.pk]
            ),
        },
        status=status,
    )


def _secretariat_object(request, pk):
    """The questionnaire, 404 if not viewable, 403 unless the user may change it."""
    return access_object(Questionnaire, request.user, pk, "change")


@register_model_view(Questionnaire, "new_version")
class QuestionnaireNewVersionView(BaseObjectView):
    model = Questionnaire

    def get(self, request, pk):
        obj = self.get_object(request, pk)
        return redirect(obj.get_absolute_url())

    def post(self, request, pk):
        obj = self.get_object(request, pk)
        if not request_can(request, "add", Questionnaire):
            raise PermissionDenied
        created = services.new_version(obj, request.user)
        messages.success(
            request,
            _("Created version %(version)s: edit it here.") % {"version": created.version},
        )
        return redirect(created.get_absolute_url())


@register_model_view(Questionnaire, "copy")
class QuestionnaireCopyView(BaseObjectView):
    model = Questionnaire
    template_name = "assessments/questionnaire_copy.html"

    def check(self, request, pk):
        obj = self.get_object(request, pk)
        if not request_can(request, "add", Questionnaire):
            raise PermissionDenied
        return obj

    def get(self, request, pk):
        obj = self.check(request, pk)
        form = forms.CopyQuestionnaireForm(initial={"code": f"{obj.code}-copy"[:40]})
        return render(request, self.template_name, {"object": obj, "form": form})

    def post(self, request, pk):
        obj = self.check(request, pk)
        form = forms.CopyQuestionnaireForm(request.POST)
        if form.is_valid():
            try:
                created = services.copy_questionnaire(obj, form.cleaned_data["code"], request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Copied into %(object)s.") % {"object": created})
                return redirect(created.get_absolute_url())
        return render(request, self.template_name, {"object": obj, "form": form})


@register_model_view(Questionnaire, "compare")
class QuestionnaireCompareView(BaseObjectView):
    """``?with=<id>``: what changed between this version and another of the same code."""

    model = Questionnaire
    template_name = "assessments/questionnaire_compare.html"

    def get(self, request, pk):
        obj = self.get_object(request, pk)
        versions = services.version_links(obj)
        other_id = request.GET.get("with")
        if other_id is None:
            other = obj.previous or next((v for v in versions if v.pk != obj.pk), None)
        else:
            other = next((v for v in versions if str(v.pk) == other_id), None)
            if other is None:
                raise Http404
        diff = None
        if other is not None:
            old, new = sorted([obj, other], key=lambda q: q.version)
            diff = services.compare_versions(old, new)
        else:
            old = new = obj
        return render(
            request,
            self.template_name,
            {"object": obj, "old": old, "new": new, "diff": diff, "versions": versions},
        )


# --- sections and questions (edited through their questionnaire) -----------------------------


class _PartView(BaseObjectView):
    """Add (no ``part_pk``) or edit a section or question of a questionnaire version."""

    model = Questionnaire
    part_model = None
    form_class = None
    template_name = "assessments/questionnaire_part_edit.html"

    def setup_objects(self, request, pk, part_pk):
        questionnaire = _secretariat_object(request, pk)
        part = None
        if part_pk is not None:
            part = get_object_or_404(self.part_model, pk=part_pk, questionnaire=questionnaire)
        return questionnaire, part

    def get_form(self, request, questionnaire, part, data=None):
        return self.form_class(
            data,
            instance=part or self.part_model(questionnaire=questionnaire),
            questionnaire=questionnaire,
            user=request.user,
        )

    def get(self, request, pk, part_pk=None):
        questionnaire, part = self.setup_objects(request, pk, part_pk)
        if questionnaire.is_frozen:
            return render_frozen(request, questionnaire)
        return self.render_form(request, questionnaire, self.get_form(request, questionnaire, part))

    def post(self, request, pk, part_pk=None):
        questionnaire, part = self.setup_objects(request, pk, part_pk)
        if request.POST.get("delete") and part is not None:
            try:
                services.delete_part(part, request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Deleted %(object)s.") % {"object": part.code})
            return redirect(questionnaire.get_absolute_url())
        form = self.get_form(request, questionnaire, part, data=request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    obj = services.save_part(form.instance, request.user)
                    self.after_save(form, obj, request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Saved %(object)s.") % {"object": obj.code})
                return redirect(questionnaire.get_absolute_url() + f"#{self.anchor}-{obj.pk}")
        return self.render_form(request, questionnaire, form)

    def after_save(self, form, obj, user):
        pass

    def render_form(self, request, questionnaire, form):
        return render(
            request,
            self.template_name,
            {
                "object": questionnaire,
                "form": form,
                "part_verbose_name": self.part_model._meta.verbose_name,
                "descriptor_fields": getattr(form, "descriptor_fields", list)(),
                "cancel_url": questionnaire.get_absolute_url(),
            },
        )


class SectionEditView(_PartView):
    part_model = Section
    form_class = forms.SectionForm
    anchor = "section"


class QuestionEditView(_PartView):
    part_model = Question
    form_class = forms.QuestionForm
    anchor = "question"

    def after_save(self, form, obj, user):
        form.save_descriptors(obj, user)


urlpatterns = [
    *model_urls(Questionnaire, "questionnaires"),
    path(
        "questionnaires/<int:pk>/sections/add/",
        SectionEditView.as_view(),
        name="section_add",
    ),
    path(
        "questionnaires/<int:pk>/sections/<int:part_pk>/edit/",
        SectionEditView.as_view(),
        name="section_edit",
    ),
    path(
        "questionnaires/<int:pk>/questions/add/",
        QuestionEditView.as_view(),
        name="question_add",
    ),
    path(
        "questionnaires/<int:pk>/questions/<int:part_pk>/edit/",
        QuestionEditView.as_view(),
        name="question_edit",
    ),
]
