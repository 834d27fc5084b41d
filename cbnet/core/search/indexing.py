"""Keeping the index current: on every save and delete, and by a full rebuild.

Registered models are indexed by ``post_save``/``post_delete`` handlers, in the same
transaction as the write (a rolled-back save leaves the index as it was). Writes that
bypass signals (``QuerySet.update``, ``bulk_create``, loading fixtures) need
``manage.py rebuild_search_index`` afterwards.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from cbnet.core.search import base
from cbnet.core.search.models import SearchEntry
from cbnet.core.search.text import text_tokens

BATCH_SIZE = 500


def entry_values(index, obj):
    """The index row's values for ``obj``, or None if it has no searchable text."""
    fields, all_tokens = [], {}
    for spec, weight in index.fields:
        texts = index.field_texts(obj, spec)
        if not texts:
            continue
        text = " ".join(texts)
        tokens = text_tokens(text)
        if not tokens:
            continue
        fields.append([index.field_name(spec), weight, " ".join(tokens), text])
        for token in tokens:
            all_tokens.setdefault(token, None)
    if not all_tokens:
        return None
    return {
        "title": index.title(obj),
        "tokens": " ".join(all_tokens),
        "fields": fields,
        "archived": index.is_archived(obj),
    }


def index_object(obj, using=None):
    """Write (or remove) ``obj``'s index row. Does nothing for unregistered models."""
    index = base.index_for(type(obj))
    if index is None:
        return
    content_type = ContentType.objects.db_manager(using).get_for_model(type(obj))
    entries = SearchEntry.objects.using(using).filter(content_type=content_type, object_id=obj.pk)
    values = entry_values(index, obj)
    if values is None:
        entries.delete()
        return
    if not entries.update(**values):
        SearchEntry.objects.using(using).create(
            content_type=content_type, object_id=obj.pk, **values
        )


def remove_object(model, pk, using=None):
    content_type = ContentType.objects.db_manager(using).get_for_model(model)
    SearchEntry.objects.using(using).filter(content_type=content_type, object_id=pk).delete()


def _saved(sender, instance, raw=False, using=None, **kwargs):
    if raw:  # loading fixtures or a backup: the entries come with the data
        return
    index_object(instance, using=using)


def _deleted(sender, instance, using=None, **kwargs):
    remove_object(sender, instance.pk, using=using)


def connect_signals():
    for index in base.REGISTRY.values():
        uid = f"search-{index.label()}"
        post_save.connect(_saved, sender=index.model, dispatch_uid=uid + "-save")
        post_delete.connect(_deleted, sender=index.model, dispatch_uid=uid + "-delete")


def rebuild(labels=None, *, using=None, log=None):
    """Rebuild the entries of the registered models (all, or those in ``labels``).

    Each model in its own transaction: its rows are read in batches, its old entries
    replaced. Entries of models no longer registered are removed on a full rebuild.
    Returns ``{label: number of entries}``.
    """
    indexes = [
        index for label, index in sorted(base.REGISTRY.items()) if not labels or label in labels
    ]
    unknown = set(labels or ()) - set(base.REGISTRY)
    if unknown:
        raise ValueError("not searchable: " + ", ".join(sorted(unknown)))
    counts = {}
    content_types = ContentType.objects.db_manager(using)
    for index in indexes:
        content_type = content_types.get_for_model(index.model)
        with transaction.atomic(using=using):
            SearchEntry.objects.using(using).filter(content_type=content_type).delete()
            batch, count = [], 0
            for obj in index.get_queryset().using(using).order_by("pk").iterator(BATCH_SIZE):
                values = entry_values(index, obj)
                if values is None:
                    continue
                batch.append(SearchEntry(content_type=content_type, object_id=obj.pk, **values))
                if len(batch) >= BATCH_SIZE:
                    SearchEntry.objects.using(using).bulk_create(batch)
                    count += len(batch)
                    batch = []
            SearchEntry.objects.using(using).bulk_create(batch)
            count += len(batch)
        counts[index.label()] = count
        if log:
            log(index.label(), count)
    if not labels:
        registered = [content_types.get_for_model(index.model).pk for index in indexes]
        SearchEntry.objects.using(using).exclude(content_type_id__in=registered).delete()
    return counts
