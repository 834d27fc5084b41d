"""Generic views for primary records and the URL registry (see registry.py)."""

from cbnet.core.views.generic import (
    BaseObjectView,
    ObjectArchiveView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectImportView,
    ObjectListView,
    model_url,
    request_can,
)
from cbnet.core.views.registry import model_urls, register_model_view

__all__ = [
    "BaseObjectView",
    "ObjectArchiveView",
    "ObjectDetailView",
    "ObjectEditView",
    "ObjectHistoryView",
    "ObjectImportView",
    "ObjectListView",
    "model_url",
    "model_urls",
    "register_model_view",
    "request_can",
]
