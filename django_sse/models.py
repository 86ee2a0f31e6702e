"""The engine's tables: the event log, how far it was pruned, the hubs'
presence, and who views which topic."""

from __future__ import annotations

from django.db import models


class Event(models.Model):
    """One published event: the log every stream reads from.

    ``data`` holds the already-encoded text of the ``data:`` lines, so a
    server process encodes each event once, however many clients get it.
    On PostgreSQL a statement trigger sends ``NOTIFY django_sse`` with an
    empty payload, which the server collapses to one wake-up per
    transaction; listeners then read the new rows from this table.
    """

    id = models.BigAutoField(primary_key=True)
    topic = models.CharField(max_length=200)
    event = models.CharField(max_length=100, blank=True)
    data = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The W3C traceparent of the publish span, when tracing is on (``tracing``).
    trace = models.CharField(max_length=55, null=True, blank=True, editable=False)

    class Meta:
        indexes = [
            # Replay ("topic in (...) and id > cursor order by id") and
            # "latest of a topic" are one range scan each.
            models.Index(fields=["topic", "id"], name="django_sse_topic_id"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.topic} {self.event or 'message'}"


class LogState(models.Model):
    """A single row: how far the log has been pruned.

    A client whose cursor is older than ``pruned_through`` may have missed
    events that no longer exist; it gets a ``reset`` event instead of a
    silent gap.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    pruned_through = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"pruned through #{self.pruned_through}"


class HubPresence(models.Model):
    """One row per server process: its open streams per topic (bounded:
    ``presence.summarise``), refreshed every ``DJANGO_SSE_PRESENCE_INTERVAL``
    seconds. Counts only, no users."""

    process = models.CharField(max_length=200, primary_key=True)
    topics = models.JSONField(default=dict)
    streams = models.PositiveIntegerField(default=0)
    # The hub reader's restarts and last failure (``Hub._run``).
    health = models.JSONField(default=dict)
    updated_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name_plural = "hub presence"

    def __str__(self) -> str:
        return self.process


class Viewer(models.Model):
    """One server process's open streams of one topic by one user (``""``:
    anonymous streams, counted together), for topics with presence
    (``viewers``). Refreshed by the process; stale ones are swept."""

    process = models.CharField(max_length=200)
    topic = models.CharField(max_length=200)
    user_key = models.CharField(max_length=64, blank=True)
    streams = models.PositiveIntegerField(default=1)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["process", "topic", "user_key"], name="django_sse_one_viewer_row"
            )
        ]
        indexes = [models.Index(fields=["topic", "seen_at"], name="django_sse_viewer_topic")]

    def __str__(self) -> str:
        return f"{self.user_key or 'anonymous'} views {self.topic} ({self.process})"


class ViewedTopic(models.Model):
    """A topic with viewers: its row is locked while its viewers change, so
    two processes never announce the same join (``viewers.write``)."""

    topic = models.CharField(max_length=200, primary_key=True)

    def __str__(self) -> str:
        return self.topic
