from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cbnet.capabilities.models import Area, Framework, MaturityLevel, MaturityScale


@admin.register(Framework)
class FrameworkAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "kind")


@admin.register(Area)
class AreaAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "framework", "parent")
    list_filter = ("framework",)
    search_fields = ("code", "name")


class MaturityLevelInline(admin.TabularInline):
    model = MaturityLevel
    extra = 0


@admin.register(MaturityScale)
class MaturityScaleAdmin(SimpleHistoryAdmin):
    inlines = [MaturityLevelInline]
