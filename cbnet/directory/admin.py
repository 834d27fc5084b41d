from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from cbnet.directory.models import Appointment, Organisation, Person, Region, User


@admin.register(User)
class CBNetUserAdmin(UserAdmin):
    list_display = ("username", "email", "is_active", "is_staff", "last_login")


@admin.register(Region)
class RegionAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "parent")
    search_fields = ("code", "name")


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "country", "region", "subregion", "contacts_confirmed_on")
    list_filter = ("kind", "region")
    search_fields = ("name", "acronym", "iati_ref")


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ("family_name", "given_name", "organisation", "email")
    search_fields = ("given_name", "family_name", "email")
    autocomplete_fields = ("organisation", "user")


@admin.register(Appointment)
class AppointmentAdmin(SimpleHistoryAdmin):
    list_display = ("person", "organisation", "role", "domain", "start_date", "end_date")
    list_filter = ("role", "domain")
    list_select_related = ("person", "organisation")
    autocomplete_fields = ("person", "organisation")
