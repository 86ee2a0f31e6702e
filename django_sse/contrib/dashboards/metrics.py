"""Dashboards' topics, snapshots and the sampler registry.

    from django_sse.contrib import dashboards
    dashboards.publish("ops", {"orders_today": 1284, "p95_ms": 212})

    @dashboards.dashboard_metric("ops", every=5)
    def ops():                      # in an app's sse_metrics.py (autodiscovered)
        return {"orders_today": Order.objects.filter(...).count()}

A page that opens later gets the latest snapshot at once (``dashboard:*``
topics keep their latest value), then every new one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from django_sse import eventlog
from django_sse.topics import validate_topic

EVENT = "dashboard"


STAFF_PREFIX = "staff."


def topic(name: str) -> str:
    """``dashboard:<name>``; names starting with ``staff.`` are for staff only."""
    return validate_topic(f"dashboard:{name}")


async def can_watch(user: Any, topic_name: str) -> bool:
    """``dashboard:staff.*`` for staff only; other dashboards are public."""
    if topic_name.startswith(f"dashboard:{STAFF_PREFIX}"):
        return bool(user.is_authenticated and user.is_staff)
    return True


def publish(name: str, values: dict[str, Any]) -> int:
    """Publish one snapshot of a dashboard's values (a point on its charts)."""
    if not isinstance(values, dict):
        raise TypeError(f"dashboard values must be a dict, not {type(values).__name__}")
    return eventlog.publish(topic(name), {"values": values, "at": timezone.now()}, event=EVENT)


@dataclass(frozen=True)
class Sampler:
    dashboard: str
    every: float
    func: Callable[[], dict[str, Any]]

    @property
    def name(self) -> str:
        return f"{self.dashboard}:{self.func.__module__}.{self.func.__qualname__}"


samplers: list[Sampler] = []


def dashboard_metric(dashboard: str, every: float = 5.0) -> Callable[..., Any]:
    """Register a function that returns a dict of values for ``dashboard``.

    It runs every ``every`` seconds, only while someone watches the
    dashboard, in one process at a time (see ``sampling.py``).
    """
    if every <= 0:
        raise ValueError("every must be a positive number of seconds")
    topic(dashboard)

    def register(func: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
        samplers.append(Sampler(dashboard, float(every), func))
        return func

    return register
