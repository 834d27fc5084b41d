"""The search page: ``/search/?q=`` over everything the user may see."""

from django.core.paginator import Paginator
from django.shortcuts import render

from cbnet.core.search.engine import SearchError, Snippet, load_objects, search

PAGE_SIZE = 20


def search_view(request):
    query = request.GET.get("q", "")
    context = {"query": query, "error": None, "page": None, "results": [], "truncated": False}
    if "q" in request.GET:
        try:
            outcome = search(request.user, query)
        except SearchError as error:
            context["error"] = error.message
        else:
            page = Paginator(outcome.hits, PAGE_SIZE).get_page(request.GET.get("page"))
            hits = load_objects(request.user, list(page.object_list))
            context.update(
                searched=True,
                page=page,
                results=[{"hit": hit, "snippet": Snippet(hit, outcome.groups)} for hit in hits],
                truncated=outcome.truncated,
            )
    return render(request, "core/search.html", context)
