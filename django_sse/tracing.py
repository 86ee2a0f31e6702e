"""OpenTelemetry spans (``pip install 'django-sse-hub[otel]'``).

With a tracer provider configured (the OpenTelemetry SDK, or its
auto-instrumentation), ``publish()`` records a ``django_sse publish`` span
(a PRODUCER span, a child of whatever span is current: the view, the task)
and stores its W3C ``traceparent`` with the event. The hub of every server
process that delivers the event records a ``django_sse deliver`` span
(CONSUMER) per fan-out batch, linked to the publish span of each event in
it: a trace goes from the request that sent a notification to the streams
that carried it, across processes.

Without ``opentelemetry-api``, or with no provider configured, nothing is
recorded and the cost is one check per publish and per fan-out batch.
Topics appear as families (``user:*``), never with a user's id.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from django_sse.logs import topic_families

try:
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
except ImportError:  # the [otel] extra is not installed
    trace = None  # type: ignore[assignment]

SYSTEM = "django_sse"
_propagator = TraceContextTextMapPropagator() if trace is not None else None


def provider() -> Any:
    """The tracer provider spans go to (OpenTelemetry's global one)."""
    return trace.get_tracer_provider() if trace is not None else None


def enabled() -> bool:
    """Is a real tracer provider configured (not the API's no-op default)?"""
    current = provider()
    if current is None:
        return False
    return not isinstance(current, (trace.ProxyTracerProvider, trace.NoOpTracerProvider))


def _tracer() -> Any:
    from django_sse import __version__

    return provider().get_tracer("django_sse", __version__)


@contextlib.contextmanager
def publish_span(topics: Sequence[str], count: int = 1) -> Iterator[Any]:
    """The span of one ``publish()`` (or a ``publish_many()`` batch); yields
    ``(span, traceparent)`` to store with the events."""
    assert trace is not None and _propagator is not None
    attributes: dict[str, str | int] = {
        "messaging.system": SYSTEM,
        "messaging.operation.type": "send",
        "messaging.destination.name": topic_families(topics),
    }
    if count != 1:
        attributes["messaging.batch.message_count"] = count
    with _tracer().start_as_current_span(
        "django_sse publish", kind=trace.SpanKind.PRODUCER, attributes=attributes
    ) as span:
        carrier: dict[str, str] = {}
        _propagator.inject(carrier)
        yield span, carrier.get("traceparent")


def _link(traceparent: str) -> Any:
    assert trace is not None and _propagator is not None
    context = _propagator.extract({"traceparent": traceparent})
    span_context = trace.get_current_span(context).get_span_context()
    return trace.Link(span_context) if span_context.is_valid else None


@contextlib.contextmanager
def deliver_span(traceparents: Sequence[str]) -> Iterator[Any]:
    """The span of one fan-out of events to this process's streams, linked
    to each event's publish span."""
    assert trace is not None
    links = [link for link in map(_link, traceparents) if link is not None]
    attributes = {
        "messaging.system": SYSTEM,
        "messaging.operation.type": "process",
        "messaging.batch.message_count": len(traceparents),
    }
    with _tracer().start_as_current_span(
        "django_sse deliver",
        kind=trace.SpanKind.CONSUMER,
        links=links,
        attributes=attributes,
        context=trace.set_span_in_context(trace.INVALID_SPAN),  # a root: not the hub's task
    ) as span:
        yield span
