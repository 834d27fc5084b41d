from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "cbnet.core.notifications"
    label = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Each app declares its kinds of message and its reminders in its own
        # ``notifications.py`` (cbnet/directory/notifications.py is the example), imported
        # here once every model is loaded, like the admin's ``admin.py``.
        autodiscover_modules("notifications")
