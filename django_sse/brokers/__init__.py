"""Brokers wake every server process's hub when events are committed.

The log in the database is the source of truth; a broker only says "read
now". Pick one with ``DJANGO_SSE_BROKER``:

- ``auto`` (default): ``postgres`` on PostgreSQL, else ``polling``;
- ``postgres``: one LISTEN connection per process (instant, cross-process);
- ``polling``: one query per ``DJANGO_SSE_POLL_INTERVAL`` per process;
- ``memory``: wake-ups from this process only (tests, single process);
- ``redis``: wake-ups through a channels layer (many hosts);
- a dotted path to a ``Broker`` subclass.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.db import connections
from django.utils.module_loading import import_string

from django_sse.brokers.base import Broker
from django_sse.conf import conf

if TYPE_CHECKING:
    from django_sse.hub import Hub

BROKERS = {
    "postgres": "django_sse.brokers.postgres.PostgresBroker",
    "polling": "django_sse.brokers.polling.PollingBroker",
    "memory": "django_sse.brokers.memory.MemoryBroker",
    "redis": "django_sse.brokers.redis.RedisBroker",
}


def broker_path() -> str:
    name = str(conf.DJANGO_SSE_BROKER)
    if name == "auto":
        vendor = connections[conf.DJANGO_SSE_DATABASE].vendor
        name = "postgres" if vendor == "postgresql" else "polling"
    return BROKERS.get(name, name)


def broker_class() -> type[Broker]:
    return _imported(broker_path())


@functools.cache
def _imported(path: str) -> type[Broker]:
    """Once per path: ``publish()`` asks for the class twice per event."""
    broker: type[Broker] = import_string(path)
    return broker


def create_broker(hub: Hub) -> Broker:
    return broker_class()(hub)
