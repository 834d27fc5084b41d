import importlib

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Service modules register their event names at import; importing them all at start-up
# makes the registry (activity filters, docs test) the same in every process.
SERVICE_MODULES = ("questionnaires", "rounds", "workflow", "targets", "needs", "plans")


class AssessmentsConfig(AppConfig):
    name = "cbnet.assessments"
    label = "assessments"
    verbose_name = _("Needs assessment")

    def ready(self):
        from cbnet.assessments import policies

        policies.register()
        for module in SERVICE_MODULES:
            importlib.import_module(f"cbnet.assessments.services.{module}")
