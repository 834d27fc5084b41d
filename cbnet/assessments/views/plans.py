"""Assessment pages: plans (see cbnet/assessments/urls.py)."""

urlpatterns = []
