"""Strict filtering and ordering: every query parameter is declared, unknown ones are 400."""

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

# Parameters every list accepts besides its filterset's filters.
ALWAYS_ALLOWED = frozenset({"page", "page_size", "ordering", "format", "q"})


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter on list requests, refusing query parameters no filter declares.

    A client that misspells a filter gets a 400 naming it instead of an unfiltered list.
    Detail, update and delete requests are not filtered (a filter must never hide the row
    being addressed).
    """

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        allowed = set(ALWAYS_ALLOWED)
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise ValidationError(
                {
                    "detail": _("Unknown query parameters: %(names)s.")
                    % {"names": ", ".join(unknown)},
                    "unknown_parameters": unknown,
                    "allowed_parameters": sorted(allowed),
                }
            )
        return super().filter_queryset(request, queryset, view)


class StrictOrderingFilter(OrderingFilter):
    """DRF's ordering (``?ordering=name,-updated``) that refuses undeclared fields with 400.

    The primary key is appended as a tie-breaker so that pages never overlap.
    """

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params is not None:
            valid = {
                name for name, _label in self.get_valid_fields(queryset, view, {"request": request})
            }
            terms = [term.strip() for term in params.split(",")]
            invalid = [term for term in terms if term.lstrip("-") not in valid]
            if invalid:
                raise ValidationError(
                    {
                        "ordering": [
                            _("Unknown ordering: %(names)s. Allowed: %(allowed)s.")
                            % {"names": ", ".join(invalid), "allowed": ", ".join(sorted(valid))}
                        ]
                    }
                )
            return terms
        return super().get_ordering(request, queryset, view)

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        ordering = (
            self.get_ordering(request, queryset, view)
            or list(queryset.query.order_by)
            or list(queryset.model._meta.ordering)
        )
        if ordering:
            if not any(term.lstrip("-") in ("pk", "id") for term in ordering):
                ordering = [*ordering, "pk"]
            return queryset.order_by(*ordering)
        return queryset.order_by("pk")
