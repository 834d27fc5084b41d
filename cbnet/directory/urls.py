app_name = "directory"
urlpatterns = []  # placeholder: replaced by the module that owns these URLs
