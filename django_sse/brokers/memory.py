from __future__ import annotations

from collections.abc import Sequence

from django_sse import unlogged
from django_sse.brokers.base import Broker


class MemoryBroker(Broker):
    """Only this process's own commits wake the hub (``publish()`` does that
    for every broker). For tests and single-process deployments."""

    name = "memory"
    carries_events = True

    @staticmethod
    def send_unlogged(alias: str, messages: Sequence[str]) -> None:
        unlogged.after_commit(alias, messages, unlogged.deliver_locally)
