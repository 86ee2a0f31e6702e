"""What each user chose: per type and channel, the objects they muted or
watch, their email frequency and quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class NotificationPreference(models.Model):
    """One user's choice for one type on one channel; without a row, the
    type's default channels are on (``types.register_type``)."""

    class Channel(models.TextChoices):
        INAPP = "inapp", "In the app"
        PUSH = "push", "Web push"
        EMAIL = "email", "Email"
        CHAT = "chat", "Slack or Teams"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sse_preferences"
    )
    type = models.CharField(max_length=50)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    enabled = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "type", "channel"], name="sse_one_preference")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.type} {self.channel}: {'on' if self.enabled else 'off'}"


class Mute(models.Model):
    """No notifications about one object for a user until a time."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    target_content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_object_id = models.CharField(max_length=64)
    target = GenericForeignKey("target_content_type", "target_object_id")
    until = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["target_content_type", "target_object_id", "user"], name="sse_mute_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} mutes {self.target_content_type.model} {self.target_object_id}"


class Watch(models.Model):
    """A user follows one object ("this thread"): ``preferences.watchers``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    target_content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    target_object_id = models.CharField(max_length=64)
    target = GenericForeignKey("target_content_type", "target_object_id")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["target_content_type", "target_object_id", "user"], name="sse_one_watch"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} watches {self.target_content_type.model} {self.target_object_id}"


class EmailSettings(models.Model):
    """How a user takes notification emails: each one when it stays unread,
    or a daily or weekly digest, or none."""

    class Frequency(models.TextChoices):
        EACH = "each", "Each one, if still unread"
        DAILY = "daily", "A daily digest"
        WEEKLY = "weekly", "A weekly digest"
        NEVER = "never", "No emails"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sse_email_settings"
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.EACH)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_frequency_display()}"


class QuietHours(models.Model):
    """A user's quiet time, every day, in their time zone: notifications
    still reach open pages, but desktop alerts, sound, web push, chat and
    email wait until it ends (critical types excepted: ``quiet``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sse_quiet_hours"
    )
    starts = models.TimeField()
    ends = models.TimeField()
    time_zone = models.CharField(max_length=64, default="UTC")

    class Meta:
        verbose_name = "quiet hours"
        verbose_name_plural = "quiet hours"

    def __str__(self) -> str:
        return f"{self.user}: {self.starts:%H:%M}-{self.ends:%H:%M} {self.time_zone}"

    def quiet_until(self, now: datetime) -> datetime | None:
        """When the quiet time that ``now`` is in ends (aware), or None if
        ``now`` is not in one. ``starts`` after ``ends`` spans midnight;
        equal, it is off."""
        if self.starts == self.ends:
            return None
        zone = ZoneInfo(self.time_zone)
        local = now.astimezone(zone)
        today = local.date()
        for day in (today - timedelta(days=1), today):  # a spell may have begun yesterday
            start = datetime.combine(day, self.starts, zone)
            end_day = day if self.ends > self.starts else day + timedelta(days=1)
            end = datetime.combine(end_day, self.ends, zone)
            if start <= local < end:
                return end.astimezone(UTC)
        return None
