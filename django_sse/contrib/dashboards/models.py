"""Sampler turns: one process samples a dashboard per period."""

from __future__ import annotations

from django.db import models


class SamplerLease(models.Model):
    """A sampler runs when its lease is due; taking the lease is one UPDATE,
    so only one process samples per period, however many run it."""

    name = models.CharField(max_length=300, primary_key=True)
    next_run = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
