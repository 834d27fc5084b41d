"""A registry of model views, so an app's URLs take two lines per model.

In ``views.py`` a view registers itself for a model and an action::

    @register_model_view(Person, "list")
    class PersonListView(ObjectListView): ...

    @register_model_view(Person, "vcard")          # an extra page: <pk>/vcard/
    class PersonVCardView(BaseObjectView): ...

In ``urls.py``::

    app_name = "directory"
    urlpatterns = [
        *model_urls(Person, "people"),
        ...
    ]

``model_urls`` names every URL ``{model}_{action}`` (``directory:person_list``) and fills
the gaps with the generic views: ``add`` uses the ``edit`` view, ``export`` uses the
``list`` view (same filters, all matching rows), and archivable models get the generic
``archive`` and ``history`` pages. Paths:

    {prefix}/                list          {prefix}/<pk>/            detail
    {prefix}/add/            add           {prefix}/<pk>/edit/       edit
    {prefix}/import/         import        {prefix}/<pk>/archive/    archive
    {prefix}/export/         export        {prefix}/<pk>/history/    history
    {prefix}/<pk>/<action>/  extra actions registered with detail=True (the default)
    {prefix}/<action>/       extra actions registered with detail=False
"""

from django.urls import path

from cbnet.core.views.generic import ObjectArchiveView, ObjectHistoryView

_REGISTRY: dict[str, dict[str, tuple[type, bool]]] = {}

LIST_ACTIONS = ("list", "add", "import", "export")
DETAIL_ACTIONS = ("detail", "edit", "archive", "history")


def register_model_view(model, action, *, detail=None):
    if detail is None:
        detail = action not in LIST_ACTIONS

    def decorator(view_class):
        _REGISTRY.setdefault(model._meta.label_lower, {})[action] = (view_class, detail)
        return view_class

    return decorator


def registered_views(model):
    return dict(_REGISTRY.get(model._meta.label_lower, {}))


def model_urls(model, prefix=None):
    views = registered_views(model)
    name = model._meta.model_name
    prefix = (prefix or name + "s").strip("/")
    archivable = hasattr(model, "archived_at")
    patterns = []

    def add(action, view):
        if action in LIST_ACTIONS:
            route = "" if action == "list" else f"{action}/"
        elif action == "detail":
            route = "<int:pk>/"
        else:
            route = f"<int:pk>/{action}/"
        patterns.append(path(f"{prefix}/{route}", view, name=f"{name}_{action}"))

    for action in LIST_ACTIONS + DETAIL_ACTIONS:
        if action in views:
            add(action, views[action][0].as_view())
        elif action == "add" and "edit" in views:
            add("add", views["edit"][0].as_view())
        elif action == "export" and "list" in views:
            add("export", views["list"][0].as_view(action="export"))
        elif action == "archive" and archivable:
            add("archive", ObjectArchiveView.as_view(model=model))
        elif action == "history" and hasattr(model, "history"):
            add("history", ObjectHistoryView.as_view(model=model))
    for action, (view_class, detail) in views.items():
        if action in LIST_ACTIONS or action in DETAIL_ACTIONS:
            continue
        route = (
            f"<int:pk>/{action.replace('_', '-')}/" if detail else f"{action.replace('_', '-')}/"
        )
        patterns.append(path(f"{prefix}/{route}", view_class.as_view(), name=f"{name}_{action}"))
    return patterns
