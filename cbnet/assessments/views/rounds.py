"""Assessment pages: rounds (see cbnet/assessments/urls.py)."""

urlpatterns = []
