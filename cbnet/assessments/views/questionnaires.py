"""Assessment pages: questionnaires (see cbnet/assessments/urls.py)."""

urlpatterns = []
