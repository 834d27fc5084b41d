from django_filters.rest_framework import DjangoFilterBackend


class StrictFilterBackend(DjangoFilterBackend):
    """Placeholder: replaced by the strict backend that rejects unknown filters."""
