from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "cbnet.assessments"
    label = "assessments"
    verbose_name = _("Needs assessment")

    def ready(self):
        from cbnet.assessments import policies
        from cbnet.assessments.services import questionnaires  # noqa: F401 (its event names)

        policies.register()
