from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.i18n import set_language

from cbnet.core.views.activity import activity
from cbnet.core.views.jobs import job_detail, job_list, job_progress
from cbnet.directory.views import home

# The language switcher must work on the login page too: Django's set_language (served
# at /i18n/setlang/ by config/urls.py) is exempted from LoginRequiredMiddleware here.
# login_not_required marks the function itself, so the i18n include sees the mark.
login_not_required(set_language)

urlpatterns = [
    path("", home, name="home"),
    path("activity/", activity, name="activity"),
    path("jobs/", job_list, name="job_list"),
    path("jobs/<int:pk>/", job_detail, name="job_detail"),
    path("jobs/<int:pk>/progress/", job_progress, name="job_progress"),
]
