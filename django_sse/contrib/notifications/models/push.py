"""Web push: each browser a user subscribed, the messages waiting to be
sent to them, and which users have a page open (for the "offline" policy)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone


class PushSubscription(models.Model):
    """One browser's push subscription (``PushSubscription.toJSON()`` in the
    browser): the push service's address for it and the keys its messages
    are encrypted to (RFC 8291)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sse_push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=100)  # the browser's public key (base64url)
    auth = models.CharField(max_length=40)  # the shared authentication secret (base64url)
    user_agent = models.CharField(max_length=200, blank=True)
    # A hash of the session that subscribed: signing out of it deletes the
    # subscription, so a shared browser stops showing the last user's pushes.
    session = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "push subscription"

    def __str__(self) -> str:
        return f"{self.user} on {self.service}"

    @property
    def service(self) -> str:
        return urlsplit(self.endpoint).hostname or ""

    def info(self) -> dict[str, object]:
        """The subscription as the push library takes it."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class OutboxMessage(models.Model):
    """A notification still to be sent somewhere (the outbox: ``outbox``).

    Written in ``notify()``'s transaction, so nothing is lost if the
    process stops before sending; deleted once the service took it. A
    sender claims a row by moving ``next_attempt_at`` ahead with its
    ``claim`` token, so two senders never send the same message at once."""

    notification = models.ForeignKey(
        "sse_notifications.Notification", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.CharField(max_length=32, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True


class PushMessage(OutboxMessage):
    """A notification still to be pushed to one subscription."""

    subscription = models.ForeignKey(PushSubscription, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = "push message"
        indexes = [models.Index(fields=["next_attempt_at"], name="sse_push_due")]

    def __str__(self) -> str:
        return f"notification {self.notification_id} to {self.subscription}"


class UsersOnline(models.Model):
    """The users with an open notifications stream in one server process,
    refreshed with the process's presence (web push's "offline" policy
    reads it; nobody is shown it)."""

    process = models.CharField(max_length=200, primary_key=True)
    users = models.JSONField(default=list)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "users online"
        verbose_name_plural = "users online"

    def __str__(self) -> str:
        return f"{self.process}: {len(self.users)}"
