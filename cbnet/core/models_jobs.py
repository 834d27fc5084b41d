"""Jobs: long work a user started, run in the background, with its progress and outcome.

A ``Job`` row is what the user sees (``/jobs/<id>/``); the django-tasks task that runs it is
plumbing (``task_result_id`` names it). ``cbnet.core.jobs`` starts and runs jobs;
docs/tasks.md explains how a module uses them.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cbnet.core.querysets import RestrictedQuerySet


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED)


class Job(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind of work"), max_length=100)
    status = models.CharField(
        _("status"), max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        default="",
        help_text=_("The interface language of whoever started it; messages are written in it."),
    )
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True, default="")
    result = models.JSONField(_("result"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    error = models.TextField(_("error"), blank=True, default="")
    task_result_id = models.CharField(_("task id"), max_length=64, blank=True, default="")
    created = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "-created"], name="core_job_user_created_idx")]

    def __str__(self):
        return f"{self.label} #{self.pk}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("job_detail", args=[self.pk])

    @property
    def label(self):
        from cbnet.core.jobs import job_label

        return job_label(self.kind)

    @property
    def is_finished(self):
        return self.status in FINISHED

    @property
    def succeeded(self):
        return self.status == JobStatus.SUCCEEDED

    @property
    def failed(self):
        return self.status == JobStatus.FAILED

    def progress(self, done, total=None, message=None):
        """Report progress from inside the work (cheap: writes are throttled)."""
        from cbnet.core.jobs import report_progress

        report_progress(self, done, total, message)
