from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "cbnet.core.search"
    label = "search"
    verbose_name = _("Search")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Each app declares what is searchable in its own ``search.py`` (see
        # cbnet/directory/search.py), imported here once every model is loaded.
        autodiscover_modules("search")
        from cbnet.core.search import indexing

        indexing.connect_signals()
