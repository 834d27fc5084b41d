"""National capacity-building plans and their milestones.

``/api/assessments/plans/`` (filters ``organisation``, ``q``, ``archived``; ordering
``starts_on``, ``ends_on``, ``updated``) and ``/api/assessments/milestones/`` (filters
``plan``, ``status``, ``overdue``; ordering ``due_on``, ``position``, ``updated``). Who: the
administration's people with rights on its assessment, its ROCB, the Secretariat
(``AdministrationRecordPolicy``); a milestone's need and owner must be the plan's
administration's (400 otherwise). ``overdue`` is computed: due date passed, neither done nor
cancelled.
"""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cbnet.assessments.choices import MilestoneStatus
from cbnet.assessments.models import Milestone, Plan
from cbnet.assessments.plans_filters import PlanFilter
from cbnet.assessments.services import plans as services
from cbnet.core.api.serializers import BaseModelSerializer
from cbnet.core.api.viewsets import ModelViewSet, PrimaryModelViewSet
from cbnet.core.filters import YES_NO_ALL

PRIMARY_FIELDS = ("created", "updated", "archived_at")


class PlanSerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = Plan
        fields = (
            *BaseModelSerializer.Meta.fields,
            "organisation",
            "title",
            "starts_on",
            "ends_on",
            "summary",
            *PRIMARY_FIELDS,
        )


class PlanViewSet(PrimaryModelViewSet):
    queryset = Plan.objects.select_related("organisation")
    serializer_class = PlanSerializer
    filterset_class = PlanFilter
    ordering_fields = ("starts_on", "ends_on", "updated")


class MilestoneSerializer(BaseModelSerializer):
    overdue = serializers.SerializerMethodField()

    class Meta(BaseModelSerializer.Meta):
        model = Milestone
        fields = (
            *BaseModelSerializer.Meta.fields,
            "plan",
            "need",
            "title",
            "owner",
            "due_on",
            "status",
            "position",
            "overdue",
            "created",
            "updated",
        )

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, obj):
        return services.is_overdue(obj)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        candidate = self._candidate
        if self.instance is not None and candidate.plan_id != self.instance.plan_id:
            raise serializers.ValidationError({"plan": [_("A milestone stays in its plan.")]})
        try:
            services.check_milestone(candidate.plan, candidate)
        except Exception as error:  # Django's ValidationError, with a dict
            from django.core.exceptions import ValidationError as DjangoValidationError

            if not isinstance(error, DjangoValidationError):
                raise
            from cbnet.core.api.exceptions import validation_error_detail

            raise serializers.ValidationError(validation_error_detail(error)) from None
        return attrs


class MilestoneFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MilestoneStatus.choices)
    overdue = django_filters.ChoiceFilter(choices=YES_NO_ALL, method="filter_overdue")

    class Meta:
        model = Milestone
        fields = ["plan", "status", "overdue"]

    def filter_overdue(self, queryset, name, value):
        late = Q(due_on__lt=timezone.localdate()) & ~Q(
            status__in=list(services.CLOSED_MILESTONE_STATUSES)
        )
        if value == "yes":
            return queryset.filter(late)
        if value == "no":
            return queryset.exclude(late)
        return queryset


class MilestoneViewSet(ModelViewSet):
    queryset = Milestone.objects.select_related("plan")
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter
    ordering_fields = ("due_on", "position", "updated")
