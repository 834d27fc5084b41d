from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from cbnet.core.admin import restrict_admin_to_secretariat

restrict_admin_to_secretariat(admin.site)

urlpatterns = [
    path("", include("cbnet.core.urls")),
    path("accounts/", include("cbnet.directory.accounts.urls")),
    path("directory/", include("cbnet.directory.urls")),
    path("notifications/", include("cbnet.core.notifications.urls")),
    path("capabilities/", include("cbnet.capabilities.urls")),
    path("assessments/", include("cbnet.assessments.urls")),
    path("charts/", include("cbnet.core.chart_views")),
    path("search/", include("cbnet.core.search.urls")),
    path("api/", include("cbnet.config.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
