from django.db import models


class RestrictedQuerySet(models.QuerySet):
    """The one door to the data: ``Model.objects.restrict(user, "view")``.

    The rows a user may see or change are decided by the model's policy in
    ``cbnet.core.permissions``; pages, API, exports and search all come through here.
    """

    def restrict(self, user, action="view"):
        from cbnet.core.permissions import restrict

        return restrict(self, user, action)

    def active(self):
        """Rows not archived (for models with ``archived_at``)."""
        return self.filter(archived_at__isnull=True)
