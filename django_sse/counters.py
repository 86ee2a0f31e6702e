"""Process-wide tallies of what happens before a stream reaches the hub
(connects and their refusals). Plain integers: ``metrics`` copies them into
Prometheus metrics when ``prometheus_client`` is installed."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_sse.hub import Hub

# Connects by outcome: accepted, bad_request, unauthorized, forbidden,
# too_many, full, unavailable.
connects: Counter[str] = Counter()

OUTCOMES = {
    200: "accepted",
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    429: "too_many",
    503: "unavailable",
}


def count_connect(status: int, outcome: str | None = None) -> str:
    """Count a connect; its outcome's name."""
    outcome = outcome or OUTCOMES.get(status, str(status))
    connects[outcome] += 1
    return outcome


# What each process reports with its presence row, for the admin's
# open-streams page: (key, label, the Prometheus metric it equals).
NUMBERS = (
    ("streams", "Open streams", "django_sse_streams"),
    ("accepted", "Connects accepted", 'django_sse_connects_total{outcome="accepted"}'),
    ("refused", "Connects refused", 'django_sse_connects_total{outcome!="accepted"}'),
    ("events_read", "Events read from the log", "django_sse_events_read_total"),
    ("deliveries", "Deliveries (streams x events)", "django_sse_deliveries_total"),
    ("replayed", "Events replayed on reconnect", "django_sse_replayed_events_total"),
    ("resets", "Resets sent", "django_sse_resets_total"),
    ("bytes_written", "Bytes written", "django_sse_bytes_written_total"),
    ("cut", "Streams cut (fell behind or stalled)", "django_sse_streams_cut_total"),
    ("listener_connects", "Listener connects", "django_sse_listener_connects_total"),
    ("listener_outage", "Listener outage (s)", "django_sse_listener_outage_seconds_total"),
    ("reader_errors", "Event log read errors", "django_sse_reader_errors_total"),
)


def numbers(hub: Hub) -> dict[str, float]:
    """This process's counts since it started, keyed as in ``NUMBERS``."""
    stats = hub.stats
    accepted = connects["accepted"]
    return {
        "streams": hub.subscriber_count,
        "accepted": accepted,
        "refused": sum(connects.values()) - accepted,
        "events_read": stats.events,
        "deliveries": stats.deliveries,
        "replayed": stats.replayed,
        "resets": sum(stats.resets.values()),
        "bytes_written": stats.bytes_written,
        "cut": stats.overflows + stats.stalled,
        "listener_connects": hub.broker.connects,
        "listener_outage": round(hub.broker.outage_seconds(), 1),
        "reader_errors": stats.errors,
    }
