from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cbnet.assessments.models import (
    Answer,
    Assessment,
    AssessmentShare,
    Need,
    Plan,
    Question,
    Questionnaire,
    RegionalNeed,
    Round,
)


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("position", "code", "kind", "area", "weight", "evidence_required")
    extra = 0
    show_change_link = True


@admin.register(Questionnaire)
class QuestionnaireAdmin(SimpleHistoryAdmin):
    list_display = ("code", "version", "title", "framework")
    list_filter = ("framework",)
    search_fields = ("code", "search_text")
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(SimpleHistoryAdmin):
    list_display = ("code", "questionnaire", "kind", "area", "weight")
    list_filter = ("kind", "questionnaire")
    search_fields = ("code",)
    list_select_related = ("questionnaire", "area")


@admin.register(Round)
class RoundAdmin(SimpleHistoryAdmin):
    list_display = ("name", "questionnaire", "region", "opens_on", "due_on", "time_zone")
    list_filter = ("region",)
    search_fields = ("name",)


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ("question", "level", "not_applicable", "tfa_category", "comment")
    readonly_fields = ("question",)
    extra = 0


@admin.register(Assessment)
class AssessmentAdmin(SimpleHistoryAdmin):
    list_display = ("organisation", "round", "status", "submitted_at", "validated_at")
    list_filter = ("status", "round")
    list_select_related = ("organisation", "round")
    search_fields = ("organisation__name",)
    inlines = [AnswerInline]


@admin.register(AssessmentShare)
class AssessmentShareAdmin(SimpleHistoryAdmin):
    list_display = ("assessment", "partner", "created", "revoked_at")


@admin.register(Need)
class NeedAdmin(SimpleHistoryAdmin):
    list_display = ("title", "organisation", "area", "priority", "status")
    list_filter = ("status", "priority")
    list_select_related = ("organisation", "area")
    search_fields = ("search_text",)


@admin.register(RegionalNeed)
class RegionalNeedAdmin(SimpleHistoryAdmin):
    list_display = ("title", "region", "area", "priority", "status")
    list_filter = ("status", "region")


@admin.register(Plan)
class PlanAdmin(SimpleHistoryAdmin):
    list_display = ("title", "organisation", "starts_on", "ends_on")
