"""Who watches what, across every server process, and sampler turns."""

from __future__ import annotations

from django.db import models


class HubPresence(models.Model):
    """One row per server process: its open streams per topic, refreshed
    every ``DJANGO_SSE_PRESENCE_INTERVAL`` seconds. Counts only, no users."""

    process = models.CharField(max_length=200, primary_key=True)
    topics = models.JSONField(default=dict)
    streams = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name_plural = "hub presence"

    def __str__(self) -> str:
        return self.process


class SamplerLease(models.Model):
    """A sampler runs when its lease is due; taking the lease is one UPDATE,
    so only one process samples per period, however many run it."""

    name = models.CharField(max_length=300, primary_key=True)
    next_run = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
