"""Assessment pages: needs (see cbnet/assessments/urls.py)."""

urlpatterns = []
