"""The REST API under /api/ (URL namespace ``api``).

Per model: ``api:<app>-<model>-list`` (``/api/<app>/<plural>/``), ``api:<app>-<model>-detail``
(``/api/<app>/<plural>/<id>/``) and ``api:<app>-<model>-purge``
(``/api/<app>/<plural>/<id>/purge/``), e.g. ``api:directory-person-detail``. Also
``api:schema`` (OpenAPI 3), ``api:docs`` (Swagger UI) and ``api:token``.

API views are exempt from LoginRequiredMiddleware (DRF marks its views so; the router's are
marked here too) so that anonymous clients get 401 instead of a redirect to the login page;
the Swagger UI page is wrapped in ``login_required`` (a browser is sent to the login page).
"""

from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from cbnet.assessments.api import assessments as assessment_workflow
from cbnet.assessments.api import needs as assessment_needs
from cbnet.assessments.api import plans as assessment_plans
from cbnet.assessments.api import questionnaires as assessment_questionnaires
from cbnet.assessments.api import results as assessment_results
from cbnet.assessments.api import rounds as assessment_rounds
from cbnet.capabilities import api as capabilities
from cbnet.core.api.events import EventViewSet
from cbnet.core.api.permissions import ScopedPermission
from cbnet.core.api.serializers import api_basename
from cbnet.core.api.views import ObtainTokenView
from cbnet.core.search.api import SearchView
from cbnet.directory import api as directory

app_name = "api"

REGISTRY = [
    ("directory/regions", directory.RegionViewSet),
    ("directory/organisations", directory.OrganisationViewSet),
    ("directory/people", directory.PersonViewSet),
    ("directory/appointments", directory.AppointmentViewSet),
    ("capabilities/frameworks", capabilities.FrameworkViewSet),
    ("capabilities/areas", capabilities.AreaViewSet),
    ("capabilities/maturity-scales", capabilities.MaturityScaleViewSet),
    ("capabilities/maturity-levels", capabilities.MaturityLevelViewSet),
    ("core/events", EventViewSet),
    ("assessments/assessments", assessment_workflow.AssessmentViewSet),
    ("assessments/questionnaires", assessment_questionnaires.QuestionnaireViewSet),
    ("assessments/questions", assessment_questionnaires.QuestionViewSet),
    ("assessments/needs", assessment_needs.NeedViewSet),
    ("assessments/regional-needs", assessment_needs.RegionalNeedViewSet),
    ("assessments/plans", assessment_plans.PlanViewSet),
    ("assessments/milestones", assessment_plans.MilestoneViewSet),
    ("assessments/rounds", assessment_rounds.RoundViewSet),
]

router = SimpleRouter()
for prefix, viewset in REGISTRY:
    router.register(prefix, viewset, basename=api_basename(viewset.queryset.model))

for pattern in router.urls:
    login_not_required(pattern.callback)

urlpatterns = [
    path("auth/token/", login_not_required(ObtainTokenView.as_view()), name="token"),
    path("search/", login_not_required(SearchView.as_view()), name="search"),
    path(
        "schema/",
        login_not_required(SpectacularAPIView.as_view(permission_classes=[ScopedPermission])),
        name="schema",
    ),
    path(
        "docs/",
        # A browser page: anonymous visitors are sent to the login page.
        login_required(
            SpectacularSwaggerView.as_view(
                url_name="api:schema", permission_classes=[ScopedPermission]
            )
        ),
        name="docs",
    ),
    *assessment_results.urlpatterns,
    *router.urls,
]
