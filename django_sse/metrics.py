"""Prometheus metrics (``pip install 'django-sse-hub[metrics]'``).

The stream path never touches ``prometheus_client``: the hub counts in
plain integers (``fanout.Stats``, ``counters``), and a hub task copies them
into the metrics below every ``DJANGO_SSE_METRICS_INTERVAL`` seconds; a
scrape copies the scraping process's counts first. A delivery to 5,000
streams stays one integer addition, not 5,000 metric updates.

Several server processes: set ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's
multiprocess mode) to a directory they share; each process writes its own
files and ``/sse/metrics/`` in any of them adds them up. Without it, each
process reports only itself.

The metrics live in prometheus_client's default registry, so a project
that already exports it (django-prometheus) shows them too.
"""

from __future__ import annotations

import asyncio
import atexit
import os
from collections import Counter as Tally
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from django_sse import counters, hooks, logqueries
from django_sse.conf import conf

if TYPE_CHECKING:
    from django_sse.hub import Hub

__all__ = ["CONTENT_TYPE_LATEST", "exposition", "run", "sync"]

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

STREAMS = Gauge("django_sse_streams", "Open streams.", multiprocess_mode="livesum")
SUBSCRIPTIONS = Gauge(
    "django_sse_subscriptions",
    "Open (stream, topic) subscriptions by topic family (user, group, progress, "
    "dashboard...; public: any other topic).",
    ["family"],
    multiprocess_mode="livesum",
)
CONNECTS = Counter(
    "django_sse_connects", "Stream connects by outcome (accepted or the refusal).", ["outcome"]
)
EVENTS_READ = Counter("django_sse_events_read", "Events read from the log by the hub.")
DELIVERIES = Counter(
    "django_sse_deliveries", "Live events queued to streams (one per stream per event)."
)
REPLAYED = Counter("django_sse_replayed_events", "Events sent from the log on (re)connect.")
RESETS = Counter("django_sse_resets", "reset events sent, by reason.", ["reason"])
BYTES = Counter("django_sse_bytes_written", "Bytes of stream data handed to the server.")
CUT = Counter(
    "django_sse_streams_cut",
    "Streams cut because the client fell behind (overflow) or read nothing (stalled).",
    ["reason"],
)
LAG = Histogram(
    "django_sse_delivery_lag_seconds",
    "From publish() to the hub's fan-out to the streams, per event.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
LISTENER_CONNECTS = Counter(
    "django_sse_listener_connects", "Broker listener connects and reconnects."
)
LISTENER_OUTAGE = Counter(
    "django_sse_listener_outage_seconds", "Seconds the broker listener was disconnected."
)
LISTENER_UP = Gauge(
    "django_sse_listener_connected",
    "1 while the broker listener is connected.",
    ["pid"],
    multiprocess_mode="liveall",
)
READER_ERRORS = Counter("django_sse_reader_errors", "Failed reads of the event log.")
READER_RESTARTS = Counter("django_sse_reader_restarts", "Restarts of the hub's reader.")
SKIPPED = Counter("django_sse_skipped_rows", "Log rows that could not be sent.")
QUEUE_USAGE = Gauge(
    "django_sse_notify_queue_usage",
    "PostgreSQL's NOTIFY queue usage, 0 to 1 (PostgreSQL only).",
    multiprocess_mode="max",
)
LOG_LAST_ID = Gauge("django_sse_log_last_id", "Newest event id.", multiprocess_mode="max")
LOG_PRUNED = Gauge(
    "django_sse_log_pruned_through", "Events up to this id were pruned.", multiprocess_mode="max"
)


# Every series exists from the start (a rate over a series that appears
# late misses its first increments).
for _outcome in (*counters.OUTCOMES.values(), "full"):
    CONNECTS.labels(_outcome)
for _reason in ("malformed", "unknown-cursor", "expired-cursor", "late-event"):
    RESETS.labels(_reason)
for _reason in ("overflow", "stalled"):
    CUT.labels(_reason)


def family(topic: str) -> str:
    prefix, sep, _ = topic.partition(":")
    return prefix if sep and prefix in hooks.private_prefixes() else "public"


class _Copied:
    """What has been copied into the metrics already (counters only go up)."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {}

    def delta(self, key: str, value: float) -> float:
        before = self.values.get(key, 0)
        self.values[key] = value
        return max(0.0, value - before)


_copied = _Copied()


def _count(metric: Counter, key: str, value: float) -> None:
    if amount := _copied.delta(key, value):
        metric.inc(amount)


def sync(hub: Hub | None) -> None:
    """Copy this process's counts into the metrics (on the hub's loop)."""
    for outcome, value in list(counters.connects.items()):
        _count(CONNECTS.labels(outcome), f"connects:{outcome}", value)
    if hub is None:
        return
    stats = hub.stats
    for reason, value in list(stats.resets.items()):
        _count(RESETS.labels(reason), f"resets:{reason}", value)
    _count(EVENTS_READ, "events", stats.events)
    _count(DELIVERIES, "deliveries", stats.deliveries)
    _count(REPLAYED, "replayed", stats.replayed)
    _count(BYTES, "bytes", stats.bytes_written)
    _count(CUT.labels("overflow"), "overflows", stats.overflows)
    _count(CUT.labels("stalled"), "stalled", stats.stalled)
    _count(READER_ERRORS, "errors", stats.errors)
    _count(READER_RESTARTS, "restarts", stats.restarts)
    _count(SKIPPED, "skipped", stats.skipped)
    broker = hub.broker
    _count(LISTENER_CONNECTS, "listener_connects", broker.connects)
    _count(LISTENER_OUTAGE, "listener_outage", broker.outage_seconds())
    LISTENER_UP.labels(str(os.getpid())).set(1 if broker.connected else 0)
    for lag in hub.take_lags():
        LAG.observe(lag)
    STREAMS.set(hub.subscriber_count)
    families: Tally[str] = Tally()
    for topic, count in hub.topic_counts().items():
        families[family(topic)] += count
    for name in set(families) | {"public"}:
        SUBSCRIPTIONS.labels(name).set(families[name])
    LOG_LAST_ID.set(hub.frontier)


async def sample_database(hub: Hub) -> None:
    """The log's position and the NOTIFY queue (one query each)."""
    usage = await hub.query(logqueries.notification_queue_usage)
    if usage is not None:
        QUEUE_USAGE.set(usage)
    LOG_PRUNED.set(await hub.query(logqueries.pruned_through))


async def run(hub: Hub) -> None:
    """The hub task: copy the counts every ``DJANGO_SSE_METRICS_INTERVAL``."""
    hub.lags = []
    while True:
        sync(hub)
        await sample_database(hub)
        await asyncio.sleep(conf.DJANGO_SSE_METRICS_INTERVAL)


def exposition() -> bytes:
    """The text exposition format: every process's metrics in multiprocess
    mode, this process's otherwise."""
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@atexit.register
def _process_exited() -> None:
    """Drop this process's live gauges (multiprocess mode)."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
