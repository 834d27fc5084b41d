"""Directory URLs: two lines per model (cbnet.core.views.registry explains the names)."""

from cbnet.core.views import model_urls
from cbnet.directory import views  # noqa: F401 - registers the views
from cbnet.directory.models import Appointment, Organisation, Person, Region

app_name = "directory"
urlpatterns = [
    *model_urls(Region, "regions"),
    *model_urls(Organisation, "organisations"),
    *model_urls(Person, "people"),
    *model_urls(Appointment, "appointments"),
]
