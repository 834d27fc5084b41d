"""Sign-in rules that come from appointments."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from cbnet.core.permissions import get_actor


def account_in_good_standing(user) -> bool:
    """False for a person who has had appointments and holds none today.

    Their account is kept (history, re-appointment) but cannot sign in. A person invited
    without any appointment stays a reader until deactivated by hand. Superusers are the
    break-glass accounts and always pass.
    """
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    if person is None or person.archived_at is not None:
        return person is None
    if get_actor(user).has_appointments:
        return True
    return not person.appointments.filter(archived_at__isnull=True).exists()


class AppointmentBackend(ModelBackend):
    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and account_in_good_standing(user)

    def get_user(self, user_id):
        """The session's user, checked only for ``is_active``.

        Standing is checked on each request by AccountStandingMiddleware, which signs the
        person out *with a message*; refusing them here would make them silently anonymous
        and leave the middleware nothing to do.
        """
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if ModelBackend.user_can_authenticate(self, user) else None

    def has_perm(self, user_obj, perm, obj=None):
        # The admin asks Django's model permissions; a current Secretariat officer has them
        # all (the admin itself is open only to Secretariat staff: cbnet/core/admin.py).
        if user_obj.is_active and get_actor(user_obj).is_secretariat:
            return True
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label):
        if user_obj.is_active and get_actor(user_obj).is_secretariat:
            return True
        return super().has_module_perms(user_obj, app_label)
