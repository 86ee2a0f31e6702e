"""Progress of long-running jobs (``progress.Progress`` reports it)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_sse.eventlog import publish


class TaskProgress(models.Model):
    class Status(models.TextChoices):
        # The words every bar shows, server-rendered or live (``LABELS``).
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        # Its worker stopped sending heartbeats: it died or lost the database.
        LOST = "lost", _("Lost")

    class Backend(models.TextChoices):
        INLINE = "inline", "In process"
        TASKS = "tasks", "Django Tasks"
        CELERY = "celery", "Celery"
        RQ = "rq", "RQ"
        GROUP = "group", "Group"

    FINAL = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.LOST)
    # The events that carry a final state: a job's stream ends after one.
    FINAL_EVENTS = frozenset({"complete", "failed", "cancelled", "lost"})

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sse_progress",
    )
    label = models.CharField(max_length=200, blank=True)
    backend = models.CharField(max_length=10, choices=Backend.choices, default=Backend.INLINE)
    # A member of a group (a Celery group, or any jobs sent together): the
    # group's own row shows their aggregate.
    group = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="members"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    percent = models.FloatField(null=True, blank=True)
    stage = models.CharField(max_length=200, blank=True)
    message = models.CharField(max_length=500, blank=True)
    result = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written with every update, and by the worker's handle while it runs
    # quietly: a running job silent for DJANGO_SSE_PROGRESS_LOST_AFTER is lost.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "task progress"
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="sse_progress_owner_recent"),
            models.Index(fields=["status", "heartbeat_at"], name="sse_progress_status_beat"),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.pk} ({self.status})"

    @property
    def topic(self) -> str:
        return f"progress:{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINAL

    # Beside the owner, who else may see or cancel any job: Django's model
    # permissions (superusers have them all), never ``is_staff`` alone.
    VIEW_PERMISSION = "sse_progress.view_taskprogress"
    CHANGE_PERMISSION = "sse_progress.change_taskprogress"

    def _owned_by(self, user: Any) -> bool | None:
        """True for the owner, False for anonymous users, None if it depends
        on a permission."""
        if not user.is_authenticated:
            return False
        return True if self.owner_id is not None and self.owner_id == user.pk else None

    def visible_to(self, user: Any) -> bool:
        """The owner, and users with the view permission."""
        owned = self._owned_by(user)
        return owned if owned is not None else bool(user.has_perm(self.VIEW_PERMISSION))

    async def avisible_to(self, user: Any) -> bool:
        owned = self._owned_by(user)
        return owned if owned is not None else bool(await user.ahas_perm(self.VIEW_PERMISSION))

    def cancellable_by(self, user: Any) -> bool:
        """The owner, and users with the change permission."""
        owned = self._owned_by(user)
        return owned if owned is not None else bool(user.has_perm(self.CHANGE_PERMISSION))

    def as_event(self) -> dict[str, Any]:
        now = timezone.now()
        start = self.started_at
        end = self.finished_at or now
        return {
            "id": str(self.pk),
            "label": self.label,
            "status": self.status,
            "percent": self.percent,
            "stage": self.stage,
            "message": self.message,
            "result": self.result if self.status == self.Status.SUCCEEDED else None,
            "error": self.error,
            "cancel_requested": self.cancel_requested,
            "elapsed": (end - start).total_seconds() if start else 0.0,
            "backend": self.backend,
            "group": str(self.group_id) if self.group_id else None,
            "created_at": self.created_at.isoformat(),
        }

    def publish_state(self) -> None:
        """Send the job's current state to its pages (at the commit of the
        caller's transaction)."""
        publish(self.topic, self.as_event(), event=self.event_name())

    def event_name(self) -> str:
        names = {
            self.Status.SUCCEEDED: "complete",
            self.Status.FAILED: "failed",
            self.Status.CANCELLED: "cancelled",
            self.Status.LOST: "lost",
        }
        return names.get(self.Status(self.status), "progress")
