"""Directory URLs: two lines per model (cbnet.core.views.registry explains the names)."""

from django.urls import path

from cbnet.core.views import model_urls
from cbnet.directory import views  # noqa: F401 - registers the views
from cbnet.directory.models import Appointment, Organisation, Person, Region
from cbnet.directory.views_reports import RegionNcpDirectoryPdfView

app_name = "directory"
urlpatterns = [
    *model_urls(Region, "regions"),
    path("regions/<int:pk>/ncps.pdf", RegionNcpDirectoryPdfView.as_view(), name="region_ncps_pdf"),
    *model_urls(Organisation, "organisations"),
    *model_urls(Person, "people"),
    *model_urls(Appointment, "appointments"),
]
