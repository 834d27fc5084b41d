from cbnet.core.permissions import get_actor


def restrict_admin_to_secretariat(site):
    """Django admin is for Secretariat staff only: staff flag *and* a current Secretariat role."""

    def has_permission(request):
        user = request.user
        return user.is_active and user.is_staff and get_actor(user).is_secretariat

    site.has_permission = has_permission
