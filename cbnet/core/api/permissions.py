from rest_framework.permissions import IsAuthenticated


class ScopedPermission(IsAuthenticated):
    """Placeholder: replaced by the scoped permission class."""
