"""Operations every primary record shares: archive, restore, and a scoped save.

Each is atomic, checks the user's right through cbnet.core.permissions, and records the
user on the history row.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cbnet.core import permissions
from cbnet.core.events import organisation_of, record_event


class OutOfScopeError(PermissionDenied):
    """The save would move the record out of what the user may change."""

    def __init__(self):
        super().__init__(
            _(
                "You cannot save this: the record would leave the part of the directory "
                "you maintain."
            )
        )


def archive(obj, user):
    return _set_archived(obj, user, archived=True)


def restore(obj, user):
    return _set_archived(obj, user, archived=False)


def _set_archived(obj, user, *, archived):
    if not permissions.can(user, "delete", obj):
        raise PermissionDenied
    with transaction.atomic():
        before = obj.archived_at
        if archived:
            obj.mark_archived()
        else:
            obj.mark_restored()
        obj._history_user = user
        obj.save(update_fields=["archived_at"])
        record_event(
            "record.archived" if archived else "record.restored",
            obj,
            actor=user,
            old={"archived_at": before},
            new={"archived_at": obj.archived_at},
            organisation=organisation_of(obj),
        )
    return obj


def save_in_scope(user, form):
    """Save a validated form; roll back and raise OutOfScopeError if the row leaves scope.

    Raises ``StaleObjectError`` (a ValidationError) when the row changed meanwhile and
    ``PermissionDenied`` when a changed field is not the user's to change.
    """
    instance = form.instance
    if instance.pk is not None:
        changed = [name for name in form.changed_data if name != "version"]
        permissions.check_fields(user, instance, changed)
    model = type(instance)
    with transaction.atomic():
        instance._history_user = user
        obj = form.save()
        in_scope = permissions.restrict(model._default_manager.all(), user, "change")
        if not in_scope.filter(pk=obj.pk).exists():
            raise OutOfScopeError
    return obj
