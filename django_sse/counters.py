"""Process-wide tallies of what happens before a stream reaches the hub
(connects and their refusals). Plain integers: ``metrics`` copies them into
Prometheus metrics when ``prometheus_client`` is installed."""

from __future__ import annotations

from collections import Counter

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


def count_connect(status: int, outcome: str | None = None) -> None:
    connects[outcome or OUTCOMES.get(status, str(status))] += 1
