"""Abstract bases and feature mixins for every CBNet domain model.

- ``BaseModel``: timestamps, row history (django-simple-history), a ``version`` that refuses a
  stale save, and the restricted manager (``Model.objects.restrict(user, action)``).
- ``PrimaryModel``: a ``BaseModel`` that is archived instead of deleted and is searchable on
  its list page. Region, Organisation, Person and Appointment are primary records.
- ``ArchivableMixin`` and ``SearchTextMixin`` are the opt-in pieces ``PrimaryModel`` combines.

docs/adding-a-model.md says which base a new model takes.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cbnet.core.querysets import RestrictedQuerySet
from cbnet.core.text import normalize


class StaleObjectError(ValidationError):
    """Raised when a save is based on an out-of-date version of the row."""

    def __init__(self, obj=None):
        super().__init__(
            _(
                "Someone else changed this record while you were editing it. "
                "Reload it to see their changes, then make yours again."
            ),
            code="stale",
        )
        self.obj = obj


class BaseModel(models.Model):
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        editable=False,
        help_text=_("Increases with every save; a save based on an older version is refused."),
    )

    history = HistoricalRecords(inherit=True)
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        """Save, refusing the write if the row changed since this instance was loaded.

        The conditional UPDATE takes the row lock, so of two concurrent edits based on the
        same version exactly one succeeds and the other raises ``StaleObjectError``.
        """
        if self._state.adding or kwargs.get("force_insert"):
            return super().save(*args, **kwargs)
        using = kwargs.get("using") or self._state.db or "default"
        with transaction.atomic(using=using):
            bumped = (
                type(self)
                ._base_manager.using(using)
                .filter(pk=self.pk, version=self.version)
                .update(version=F("version") + 1)
            )
            if not bumped:
                raise StaleObjectError(self)
            self.version += 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version", "updated"}
            return super().save(*args, **kwargs)


class ArchivableMixin(models.Model):
    """Primary records are archived, not deleted; purging is a separate, explicit right."""

    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_archived(self):
        return self.archived_at is not None

    def mark_archived(self):
        self.archived_at = timezone.now()

    def mark_restored(self):
        self.archived_at = None


class SearchTextMixin(models.Model):
    """Keeps an accent-free, lower-case copy of the fields named in ``search_fields``.

    The list pages' free-text filter matches against it, identically on SQLite and
    PostgreSQL ("Ramirez" finds "Ramírez"). A value with a ``search_text()`` method (a
    ``MultilingualTextField``'s) contributes what it returns: every language's text.
    """

    search_fields: tuple[str, ...] = ()
    search_text = models.TextField(editable=False, blank=True, default="")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        return super().save(*args, **kwargs)

    def build_search_text(self):
        parts = []
        for name in self.search_fields:
            value = getattr(self, name, "")
            if value:
                texts = getattr(value, "search_text", None)
                parts.append(texts() if callable(texts) else str(value))
        return normalize(" ".join(parts))


class PrimaryModel(SearchTextMixin, ArchivableMixin, BaseModel):
    class Meta:
        abstract = True


class TranslatedNamesMixin(models.Model):
    """A canonical English ``name`` plus its translations in ``names`` ({"es": "...", ...}).

    ``display_name`` shows the reader's language and falls back to the English name.
    """

    name = models.CharField(_("name"), max_length=300)
    names = models.JSONField(
        _("names in other languages"),
        default=dict,
        blank=True,
        help_text=_('Translations of the name, by language code, e.g. {"es": "..."}.'),
    )

    class Meta:
        abstract = True

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
        if language != "en" and self.names.get(language):
            return self.names[language]
        return self.name


from cbnet.core.models_events import Event  # noqa: E402, F401  (workflow events, core's one table)
from cbnet.core.models_jobs import Job  # noqa: E402, F401  (background jobs users follow)
