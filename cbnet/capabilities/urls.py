app_name = "capabilities"
urlpatterns = []  # placeholder: replaced by the module that owns these URLs
