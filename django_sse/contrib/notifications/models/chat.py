"""Chat channels: Slack and Microsoft Teams incoming webhooks, a user's
own or a team's (a group's), and the messages waiting to be posted."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone

from django_sse.contrib.notifications.models.push import OutboxMessage


class ChatWebhook(models.Model):
    """Where a user's notifications go in Slack or Teams (``user``), or a
    team's: those sent to ``group`` (set by staff, in the admin)."""

    class Service(models.TextChoices):
        SLACK = "slack", "Slack"
        TEAMS = "teams", "Microsoft Teams"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sse_chat_webhooks",
    )
    group = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    service = models.CharField(max_length=10, choices=Service.choices)
    url = models.URLField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "chat webhook"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=True) ^ models.Q(group__isnull=True),
                name="sse_chat_user_or_group",
            )
        ]

    def __str__(self) -> str:
        owner = self.user if self.user_id is not None else self.group
        return f"{self.get_service_display()} for {owner} ({self.host})"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


class ChatMessage(OutboxMessage):
    """A notification still to be posted to one webhook."""

    webhook = models.ForeignKey(ChatWebhook, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = "chat message"
        indexes = [models.Index(fields=["next_attempt_at"], name="sse_chat_due")]

    def __str__(self) -> str:
        return f"notification {self.notification_id} to {self.webhook}"
