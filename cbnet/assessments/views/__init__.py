"""Pages of the assessments app, one module per part (each module has its ``urlpatterns``)."""
