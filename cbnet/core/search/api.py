"""``GET /api/search/?q=``: the search page's results as JSON (same engine, same door)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.views import APIView

from cbnet.core.api.pagination import Pagination
from cbnet.core.search.engine import SearchError, load_objects, search

PARAMETERS = {"q", "page", "page_size"}


class SearchResultSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="The kind of record, e.g. directory.person.")
    type_name = serializers.CharField(help_text="The kind of record in the user's language.")
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="The record's page.")


class SearchView(APIView):
    """Everything you may see that matches `q`, best match first (accents and letter case
    do not matter; words are stemmed in English, Spanish, French and Portuguese; every word
    must match). Archived records are left out. 400 if `q` is empty, too short or too long."""

    pagination_class = Pagination

    @extend_schema(
        operation_id="search",
        parameters=[
            OpenApiParameter("q", str, required=True, description="The words to search for."),
            OpenApiParameter("page", int, description="A page number."),
            OpenApiParameter("page_size", int, description="Results per page (up to 500)."),
        ],
        responses={200: SearchResultSerializer(many=True)},
    )
    def get(self, request):
        unknown = sorted(set(request.query_params) - PARAMETERS)
        if unknown:
            raise ValidationError(
                {
                    "detail": _("Unknown query parameters: %(names)s.")
                    % {"names": ", ".join(unknown)},
                    "unknown_parameters": unknown,
                    "allowed_parameters": sorted(PARAMETERS),
                }
            )
        try:
            outcome = search(request.user, request.query_params.get("q", ""))
        except SearchError as error:
            raise ValidationError({"q": [error.message]}) from None
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(outcome.hits, request, view=self)
        hits = load_objects(request.user, page)
        data = [
            {
                "type": hit.label,
                "type_name": str(hit.type_name),
                "id": hit.object_id,
                "title": hit.display_title,
                "url": request.build_absolute_uri(hit.url),
            }
            for hit in hits
        ]
        return paginator.get_paginated_response(data)
