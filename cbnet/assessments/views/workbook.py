"""Assessment pages: workbook (see cbnet/assessments/urls.py)."""

urlpatterns = []
