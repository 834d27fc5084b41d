"""Workflow events: record them in services, read them through the permission door.

Writing (inside the service's transaction, so a failed operation leaves no event)::

    record_event("appointment.ended", appointment, actor=user,
                 old={"end_date": None}, new={"end_date": on_date},
                 organisation=appointment.organisation)

Reading::

    events_visible_to(request.user)          # every event whose record the user may view
    events_for(obj, request.user)            # one record's events, for its history tab

An event is visible exactly when its record is: for each kind of record, the record's own
policy (``Model.objects.restrict(user, "view")``) decides, as a subquery on ``object_id``.
Events have no policy of their own. docs/events.md explains the whole service.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from cbnet.core import permissions
from cbnet.core.models_events import Event

REPR_MAX = 300


@dataclass(frozen=True)
class EventKind:
    name: str
    label: str
    # Model whose fields label the keys of ``old``/``new`` (default: the event's record).
    values_model: str | None = None


EVENT_KINDS: dict[str, EventKind] = {}


def register_event(name, label, *, values_model=None):
    """Declare an event name and its translated label (apps call this at import time)."""
    EVENT_KINDS[name] = EventKind(name, label, values_model)


# Names used by core and the directory. A later app registers its own in its services module
# or AppConfig.ready(), e.g. register_event("assessment.submitted", _("Assessment submitted")).
register_event("record.archived", _("Record archived"))
register_event("record.restored", _("Record restored"))
register_event("appointment.created", _("Appointment created"))
register_event("appointment.ended", _("Appointment ended"))
register_event("ncp.handed_over", _("NCP handed over"), values_model="directory.appointment")
register_event(
    "appointment.handed_over", _("Role handed over"), values_model="directory.appointment"
)
register_event("contacts.confirmed", _("Contacts confirmed"))
register_event("person.invited", _("Person invited"))


def event_label(name):
    kind = EVENT_KINDS.get(name)
    return kind.label if kind is not None else name


def event_choices():
    return sorted(((k.name, k.label) for k in EVENT_KINDS.values()), key=lambda c: str(c[1]))


class UnknownEventError(ValueError):
    pass


# --- writing --------------------------------------------------------------------------


def snapshot(value):
    """``value`` made JSON-ready: records become {"model", "id", "repr"}, recursively."""
    if isinstance(value, Model):
        return {
            "model": value._meta.label_lower,
            "id": value.pk,
            "repr": str(value)[:REPR_MAX],
        }
    if isinstance(value, dict):
        return {str(key): snapshot(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [snapshot(item) for item in value]
    return value  # dates, decimals, UUIDs: DjangoJSONEncoder writes them as strings


def organisation_of(obj):
    """The organisation a record concerns: itself, or its ``organisation`` (else None)."""
    if obj._meta.label_lower == "directory.organisation":
        return obj
    if getattr(obj, "organisation_id", None) is not None:
        return obj.organisation
    return None


def record_event(name, obj, *, actor, old=None, new=None, organisation=None, occurred_at=None):
    """Write one event ``name`` about the saved record ``obj``; returns the Event.

    ``actor`` is the user who acted (``None`` for commands and tasks). ``old``/``new`` are
    plain values or dicts keyed by field name; records inside them are stored as
    {"model", "id", "repr"}. Call it inside the operation's transaction: if the operation
    fails afterwards, the event is rolled back with it. Unknown names are refused.
    """
    if name not in EVENT_KINDS:
        raise UnknownEventError(f"unknown event name {name!r}; register it with register_event()")
    if obj.pk is None:
        raise ValueError("events are recorded about saved records")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    event = Event(
        name=name,
        actor=actor,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=obj.pk,
        object_repr=str(obj)[:REPR_MAX],
        old=snapshot(old),
        new=snapshot(new),
        organisation=organisation,
    )
    if occurred_at is not None:
        event.occurred_at = occurred_at
    event.save(force_insert=True)
    return event


# --- reading --------------------------------------------------------------------------


def _visible_q(user, content_type_ids):
    """Q over Event: the record of each listed kind is one the user may view."""
    condition = Q(pk__in=[])
    for ct_id in content_type_ids:
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:  # a model since removed: its events are no one's to read
            continue
        visible = permissions.restrict(model._default_manager.all(), user, "view")
        condition |= Q(content_type_id=ct_id, object_id__in=visible.values("pk"))
    return condition


def events_visible_to(user):
    """Events whose record ``user`` may view (each model's policy decides), newest first."""
    if not permissions.get_actor(user).is_authenticated:
        return Event.objects.none()
    kinds = Event.objects.order_by().values_list("content_type_id", flat=True).distinct()
    return Event.objects.filter(_visible_q(user, list(kinds)))


def events_for(obj, user, limit=None):
    """Events about ``obj`` that ``user`` may read (all of them, if they may view ``obj``)."""
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    events = (
        Event.objects.filter(_visible_q(user, [content_type.pk]))
        .filter(content_type=content_type, object_id=obj.pk)
        .select_related("actor__person")
    )
    return list(events[:limit] if limit else events)


# --- showing --------------------------------------------------------------------------


def _values_model(event):
    kind = EVENT_KINDS.get(event.name)
    if kind is not None and kind.values_model:
        return apps.get_model(kind.values_model)
    return ContentType.objects.get_for_id(event.content_type_id).model_class()


def _field(model, key):
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except Exception:
        return None


def _show(field, value):
    if value is None or value == "":
        return ""
    if isinstance(value, dict) and "repr" in value:
        return value["repr"]
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field is not None and getattr(field, "choices", None):
        labels = dict(field.flatchoices)
        if value in labels:
            return labels[value]
    if isinstance(value, str) and field is not None:
        internal = field.get_internal_type()
        try:
            if internal == "DateField":
                return formats.date_format(datetime.date.fromisoformat(value))
            if internal == "DateTimeField":
                return formats.date_format(
                    datetime.datetime.fromisoformat(value), "DATETIME_FORMAT"
                )
        except ValueError:
            pass
    if isinstance(value, list):
        return ", ".join(str(_show(None, item)) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_show(None, item)}" for key, item in value.items())
    return str(value)


def value_rows(event):
    """[(label, before, after)] for showing an event's old → new values."""
    old, new = event.old, event.new
    if not isinstance(old, dict | type(None)) or not isinstance(new, dict | type(None)):
        return [("", _show(None, old), _show(None, new))]
    old, new = old or {}, new or {}
    model = _values_model(event)
    rows = []
    for key in [*old, *(k for k in new if k not in old)]:
        field = _field(model, key)
        label = getattr(field, "verbose_name", key) if field is not None else key
        rows.append((label, _show(field, old.get(key)), _show(field, new.get(key))))
    return rows


def record_url(event):
    """The record's detail page (None when its model has no page)."""
    from cbnet.core.views.generic import model_url

    model = ContentType.objects.get_for_id(event.content_type_id).model_class()
    return model_url(model, "detail", event.object_id) if model is not None else None


def is_about(event, obj):
    """Whether ``event`` is about ``obj`` (no query)."""
    if obj is None or obj.pk != event.object_id:
        return False
    return event.content_type_id == ContentType.objects.get_for_model(obj).pk


def timeline(entries, events):
    """Row-history entries and events in one list, newest first: [{"kind", "time", ...}]."""
    items = [
        {"kind": "change", "time": entry["record"].history_date, "entry": entry}
        for entry in entries
    ]
    items += [
        {"kind": "event", "time": event.occurred_at, "event": event, "rows": value_rows(event)}
        for event in events
    ]
    # Stable sort: at the same instant the event (written after the row) comes first.
    items.sort(key=lambda item: (item["time"], item["kind"] == "event"), reverse=True)
    return items
