"""Base viewsets: every row through ``restrict()``, versioned writes, archive and purge."""

from collections.abc import Mapping

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from cbnet.core import permissions
from cbnet.core.api.exceptions import Conflict, PreconditionFailed, PreconditionRequired
from cbnet.core.api.filters import StrictFilterBackend, StrictOrderingFilter

OUT_OF_SCOPE = _("This change would put the record outside what you may edit, so it was not saved.")


def etag(obj):
    return f'"{obj.version}"'


def if_match_versions(header):
    """Versions named by If-Match (``"3"``, ``W/"3"``, ``"3", "4"``); None for ``*``."""
    versions = set()
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*":
            return None
        if tag.startswith("W/"):
            tag = tag[2:]
        tag = tag.strip('"')
        if tag.isdigit():
            versions.add(int(tag))
    return versions


class ModelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    GenericViewSet,
):
    """List, detail, create, update and purge for a ``BaseModel``; rows only via ``restrict()``.

    A concrete viewset declares ``queryset`` (with its ``select_related``/``prefetch_related``),
    ``serializer_class``, ``filterset_class`` and ``ordering_fields``.
    """

    filter_backends = [StrictFilterBackend, StrictOrderingFilter]
    ordering_fields: tuple[str, ...] = ()
    parser_classes = [JSONParser]

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return queryset.none()
        return queryset.restrict(self.request.user, "view")

    @property
    def model(self):
        return self.queryset.model

    # --- reading ------------------------------------------------------------------------

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return self.respond(instance)

    def respond(self, instance, status_code=status.HTTP_200_OK):
        """The row, re-read through the view's queryset (prefetches) with its ETag."""
        instance = self.get_queryset().get(pk=instance.pk)
        response = Response(self.get_serializer(instance).data, status=status_code)
        response["ETag"] = etag(instance)
        return response

    # --- writing ------------------------------------------------------------------------

    def check_in_scope(self, instance):
        """After a write the row must still be one the writer may change (else roll back)."""
        changeable = self.model._default_manager.restrict(self.request.user, "change")
        if not changeable.filter(pk=instance.pk).exists():
            raise PermissionDenied(OUT_OF_SCOPE)

    def create(self, request, *args, **kwargs):
        if not permissions.can(request.user, "add", self.model):
            raise PermissionDenied(
                _("You may not add %(things)s.") % {"things": self.model._meta.verbose_name_plural}
            )
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            instance = serializer.save()
            self.check_in_scope(instance)
        return self.respond(instance, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        if not permissions.can(request.user, "change", instance):
            raise PermissionDenied(_("You may read this record but not change it."))
        self.check_version(request, instance)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        permissions.check_fields(request.user, instance, serializer.changed_fields())
        with transaction.atomic():
            instance = serializer.save()
            self.check_in_scope(instance)
        return self.respond(instance)

    def check_version(self, request, instance):
        """PUT/PATCH must say which version they change: body ``version`` or If-Match."""
        header = request.headers.get("If-Match")
        body_version = request.data.get("version") if isinstance(request.data, Mapping) else None
        if header is None and body_version in (None, ""):
            raise PreconditionRequired()
        if header is not None:
            versions = if_match_versions(header)
            if versions is not None and instance.version not in versions:
                raise PreconditionFailed()
        if body_version not in (None, ""):
            if isinstance(body_version, bool) or not str(body_version).strip().isdigit():
                raise ValidationError({"version": [_("A whole number is required.")]})
            if int(str(body_version).strip()) != instance.version:
                raise Conflict(
                    _(
                        "Someone else changed this record (it is now at version %(current)s, "
                        "your change is based on version %(sent)s). Reload it to see their "
                        "changes, then make yours again."
                    )
                    % {"current": instance.version, "sent": body_version},
                    code="stale",
                )

    # --- purging ------------------------------------------------------------------------

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def purge(self, request, *args, **kwargs):
        """Delete the record for good (Secretariat only); 409 while other records refer to it."""
        instance = self.get_object()
        if not permissions.get_actor(request.user).is_secretariat:
            raise PermissionDenied(_("Only the Secretariat may purge records."))
        with transaction.atomic():
            instance.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class PrimaryModelViewSet(mixins.DestroyModelMixin, ModelViewSet):
    """``ModelViewSet`` for primary (archivable) records: DELETE archives and answers 204.

    Lists hide archived rows through the model's filterset (``cbnet.core.filters.
    PrimaryFilterSet``: ``?archived=yes`` or ``?archived=all`` shows them).
    """

    def destroy(self, request, *args, **kwargs):
        """Archive the record (it stays readable, with its history); purge deletes it."""
        instance = self.get_object()
        if not permissions.can(request.user, "delete", instance):
            raise PermissionDenied(_("You may not archive this record."))
        header = request.headers.get("If-Match")
        if header is not None:
            versions = if_match_versions(header)
            if versions is not None and instance.version not in versions:
                raise PreconditionFailed()
        if not instance.is_archived:
            instance.mark_archived()
            instance.save(update_fields=["archived_at"])
        return Response(status=status.HTTP_204_NO_CONTENT)
