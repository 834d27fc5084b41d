"""The needs register API: needs and regional needs.

``/api/assessments/needs/`` (filters as the register page: ``region``, ``subregion``,
``organisation``, ``area``, ``status``, ``priority``, ``support``, ``tfa_category``, ``q``,
``archived``; ordering ``priority``, ``published_at``, ``updated``):

- ``POST`` creates a draft need (the administration's people, the Secretariat); ``PATCH``
  edits it while it is a draft or published. ``status`` and ``published_at`` are read-only:
  statuses change through the actions, which call ``cbnet.assessments.services.needs``:
- ``POST .../<id>/publish/``, ``withdraw/`` (the administration), ``set-status/``
  (``{"status": "matched" | "in_progress" | "met"}``: the region's ROCB officers, the
  Secretariat). Optional ``version`` in the body (409 when stale); 400 for a refused
  transition, 403 for a role that may not, 404 for a need out of view.

``/api/assessments/regional-needs/``: ``POST`` groups needs (``region``, ``area``,
``title``, ``priority``, ``needs``: ids of published needs of at least two members of the
region: ``services.needs.group_needs``); ``PATCH`` edits title, description, area,
priority; actions ``publish/``, ``add-need/`` and ``remove-need/`` (``{"need": id}``).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError

from cbnet.assessments.choices import ROCB_NEED_STATUSES, NeedStatus, Support
from cbnet.assessments.models import Need, RegionalNeed
from cbnet.assessments.needs_filters import NeedFilter, RegionalNeedFilter
from cbnet.assessments.services import needs as services
from cbnet.core import permissions
from cbnet.core.api.exceptions import Conflict, validation_error_detail
from cbnet.core.api.serializers import BaseModelSerializer
from cbnet.core.api.viewsets import PrimaryModelViewSet
from cbnet.core.models import StaleObjectError

PRIMARY_FIELDS = ("created", "updated", "archived_at")


class NeedSerializer(BaseModelSerializer):
    support = serializers.ListField(
        child=serializers.ChoiceField(choices=Support.choices), required=False
    )

    class Meta(BaseModelSerializer.Meta):
        model = Need
        fields = (
            *BaseModelSerializer.Meta.fields,
            "organisation",
            "area",
            "title",
            "description",
            "priority",
            "support",
            "tfa_category",
            "status",
            "published_at",
            "assessment",
            "answers",
            *PRIMARY_FIELDS,
        )
        read_only_fields = ("status", "published_at")

    def validate_support(self, value):
        return [kind for kind in Support.values if kind in value]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        candidate = self._candidate
        if self.instance is not None and "organisation" in attrs:
            if attrs["organisation"].pk != self.instance.organisation_id:
                raise ValidationError(
                    {"organisation": [_("An administration's need stays the administration's.")]}
                )
        answers = self._many_to_many.get("answers")
        if answers is None and self.instance is not None:
            answers = list(self.instance.answers.all())
        try:
            services.check_answers(candidate, answers or [])
        except DjangoValidationError as error:
            raise ValidationError(validation_error_detail(error)) from None
        return attrs


VERSION = serializers.IntegerField(required=False, min_value=1)


def _run(operation):
    """A service call as an API answer: 400 refused, 403 role, 409 stale."""
    try:
        with transaction.atomic():
            return operation()
    except StaleObjectError as error:
        raise Conflict(error.messages[0], code="stale") from None
    except DjangoValidationError as error:
        raise ValidationError(validation_error_detail(error)) from None
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error) or None) from None


class NeedViewSet(PrimaryModelViewSet):
    queryset = Need.objects.select_related("organisation", "area").prefetch_related("answers")
    serializer_class = NeedSerializer
    filterset_class = NeedFilter
    ordering_fields = ("priority", "published_at", "updated", "created")

    def create(self, request, *args, **kwargs):
        organisation = request.data.get("organisation") if hasattr(request.data, "get") else None
        if str(organisation).isdigit() and not services.answers_for(
            request.user, int(organisation)
        ):
            raise PermissionDenied(
                _("Only the administration's NCPs and head of administration enter its needs.")
            )
        return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        if instance.status not in services.EDITABLE_NEED_STATUSES:
            raise ValidationError(
                {"status": [_("A need is edited only while it is a draft or published.")]}
            )
        return super().update(request, *args, **kwargs)

    def _version(self, request):
        return request.data.get("version") if hasattr(request.data, "get") else None

    @extend_schema(
        request=inline_serializer("NeedPublish", {"version": VERSION}), responses=NeedSerializer
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        need = self.get_object()
        _run(lambda: services.publish(need, user=request.user, version=self._version(request)))
        return self.respond(need)

    @extend_schema(
        request=inline_serializer("NeedWithdraw", {"version": VERSION}), responses=NeedSerializer
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        need = self.get_object()
        _run(lambda: services.withdraw(need, user=request.user, version=self._version(request)))
        return self.respond(need)

    @extend_schema(
        request=inline_serializer(
            "NeedSetStatus",
            {
                "status": serializers.ChoiceField(
                    choices=[(s.value, s.label) for s in NeedStatus if s in ROCB_NEED_STATUSES]
                ),
                "version": VERSION,
            },
        ),
        responses=NeedSerializer,
    )
    @action(detail=True, methods=["post"], url_path="set-status")
    def set_status(self, request, pk=None):
        need = self.get_object()
        new_status = request.data.get("status") if hasattr(request.data, "get") else None
        if new_status not in ROCB_NEED_STATUSES:
            raise ValidationError(
                {"status": [_("Only matched, in progress and met are set this way.")]}
            )
        _run(
            lambda: services.set_need_status(
                need, new_status, user=request.user, version=self._version(request)
            )
        )
        return self.respond(need)


class RegionalNeedSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = RegionalNeed
        fields = (
            *BaseModelSerializer.Meta.fields,
            "region",
            "area",
            "title",
            "description",
            "priority",
            "status",
            "needs",
            *PRIMARY_FIELDS,
        )
        read_only_fields = ("status",)

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            # Members change through add-need / remove-need, the region never.
            fields["needs"].read_only = True
            fields["region"].read_only = True
        return fields


NEED_ID = inline_serializer("RegionalNeedMember", {"need": serializers.IntegerField()})


class RegionalNeedViewSet(PrimaryModelViewSet):
    queryset = RegionalNeed.objects.select_related("region", "area").prefetch_related("needs")
    serializer_class = RegionalNeedSerializer
    filterset_class = RegionalNeedFilter
    ordering_fields = ("priority", "updated", "created")

    def create(self, request, *args, **kwargs):
        if not permissions.can(request.user, "add", RegionalNeed):
            raise PermissionDenied(_("Only ROCB officers and the Secretariat group needs."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        regional = _run(
            lambda: services.group_needs(
                data["region"],
                list(data.get("needs") or []),
                title=data["title"],
                description=data.get("description") or "",
                area=data["area"],
                priority=data.get("priority", 3),
                user=request.user,
            )
        )
        return self.respond(regional, status.HTTP_201_CREATED)

    def _need(self, request):
        value = request.data.get("need") if hasattr(request.data, "get") else None
        if isinstance(value, bool) or not str(value or "").isdigit():
            raise ValidationError({"need": [_("A need's id is required.")]})
        return int(value)

    def _changeable(self):
        regional = self.get_object()
        if not permissions.can(self.request.user, "change", regional):
            raise PermissionDenied(_("You may read this regional need but not change it."))
        return regional

    @extend_schema(request=None, responses=RegionalNeedSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        regional = self._changeable()
        _run(lambda: services.publish_regional_need(regional, user=request.user))
        return self.respond(regional)

    @extend_schema(request=NEED_ID, responses=RegionalNeedSerializer)
    @action(detail=True, methods=["post"], url_path="add-need")
    def add_need(self, request, pk=None):
        regional = self._changeable()
        need = self._need(request)
        _run(lambda: services.add_to_regional_need(regional, need, user=request.user))
        return self.respond(regional)

    @extend_schema(request=NEED_ID, responses=RegionalNeedSerializer)
    @action(detail=True, methods=["post"], url_path="remove-need")
    def remove_need(self, request, pk=None):
        regional = self._changeable()
        need = self._need(request)
        _run(lambda: services.remove_from_regional_need(regional, need, user=request.user))
        return self.respond(regional)
