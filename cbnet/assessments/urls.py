"""URLs of the assessments app (namespace ``assessments``), gathered from the view modules."""

from cbnet.assessments.views import (
    assessments,
    needs,
    plans,
    questionnaires,
    results,
    rounds,
    workbook,
)

app_name = "assessments"

urlpatterns = [
    *questionnaires.urlpatterns,
    *rounds.urlpatterns,
    *assessments.urlpatterns,
    *results.urlpatterns,
    *workbook.urlpatterns,
    *needs.urlpatterns,
    *plans.urlpatterns,
]
