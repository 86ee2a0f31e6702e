"""Announcements: banners for everyone or one group (``announcements.py``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from django_sse.contrib.notifications.models.notification import Notification, validate_link


class Announcement(models.Model):
    """A banner for everyone, or for one group, between two times
    (``announcements.py`` shows it live; ``{% sse_announcements %}``)."""

    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    level = models.CharField(
        max_length=10, choices=Notification.Level.choices, default=Notification.Level.INFO
    )
    url = models.CharField(
        max_length=500, blank=True, validators=[validate_link], help_text="/path or https://..."
    )
    group = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="Only its members see it; empty: everyone, signed in or not.",
    )
    starts_at = models.DateTimeField(default=timezone.now, db_index=True)
    ends_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set once its start and end have reached open pages (by one process).
    start_published = models.BooleanField(default=False, editable=False)
    end_published = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.ends_at is not None and self.starts_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The end must come after the start."})

    def as_event(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "title": self.title,
            "body": self.body,
            "level": self.level,
            "url": self.url,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
        }


class AnnouncementDismissal(models.Model):
    """A user closed an announcement: it stays closed on every device."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="dismissals"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dismissed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["announcement", "user"], name="sse_one_dismissal")
        ]
