"""Assessment pages: assessments (see cbnet/assessments/urls.py)."""

urlpatterns = []
