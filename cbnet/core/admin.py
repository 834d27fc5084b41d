from django.contrib import admin

from cbnet.core.models_events import Event
from cbnet.core.permissions import get_actor


def restrict_admin_to_secretariat(site):
    """Django admin is for Secretariat staff only: staff flag *and* a current Secretariat role."""

    def has_permission(request):
        user = request.user
        return user.is_active and user.is_staff and get_actor(user).is_secretariat

    site.has_permission = has_permission


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Events are a record of what happened: the admin lists and shows them, never edits."""

    list_display = ("occurred_at", "name", "object_repr", "actor", "organisation")
    list_filter = ("name", "content_type")
    list_select_related = ("actor", "organisation", "content_type")
    search_fields = ("name", "object_repr", "actor__username")
    date_hierarchy = "occurred_at"
    readonly_fields = [field.name for field in Event._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
