from django.urls import path

from cbnet.capabilities import views

app_name = "capabilities"
urlpatterns = [
    path("", views.framework_list, name="framework_list"),
    path("frameworks/<int:pk>/", views.framework_detail, name="framework_detail"),
    path("maturity-scales/<int:pk>/", views.maturity_scale_detail, name="maturityscale_detail"),
]
