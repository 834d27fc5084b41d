"""Assessment pages: results (see cbnet/assessments/urls.py)."""

urlpatterns = []
