from rest_framework.permissions import IsAuthenticated


class ScopedPermission(IsAuthenticated):
    """Signed-in users only (anonymous: 401).

    Row scoping is not decided here: the viewsets fetch rows only through
    ``Model.objects.restrict(request.user, action)`` and ``cbnet.core.permissions.can`` (see
    ``cbnet.core.api.viewsets``), the same door the pages use.
    """
