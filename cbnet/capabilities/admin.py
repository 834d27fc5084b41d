from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cbnet.capabilities.models import Area, Framework, MaturityLevel, MaturityScale

# Names are multilingual text: the change forms show the languages side by side
# (cbnet.core.multilingual.MultilingualWidget); lists show the name in the admin's language.


@admin.register(Framework)
class FrameworkAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "kind")
    search_fields = ("code", "search_text")


@admin.register(Area)
class AreaAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "framework", "parent")
    list_filter = ("framework",)
    search_fields = ("code", "search_text")


class MaturityLevelInline(admin.StackedInline):
    model = MaturityLevel
    extra = 0


@admin.register(MaturityScale)
class MaturityScaleAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name")
    inlines = [MaturityLevelInline]
