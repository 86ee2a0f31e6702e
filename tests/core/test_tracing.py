"""OpenTelemetry: publish() spans, delivery spans linked to them, in one
process and across processes, recorded by the SDK's in-memory exporter."""

import asyncio
import json
import subprocess
import sys

import pytest
from asgiref.sync import sync_to_async
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from django_sse import publish, publish_many, tracing
from django_sse.hubs import get_hub
from django_sse.models import Event
from tests.core.test_hub import frames_of
from tests.servers import ROOT, server_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_cleanup")]


@pytest.fixture
def exporter(monkeypatch):
    """An SDK provider for django-sse only (the global one stays unset)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "provider", lambda: provider)
    yield exporter
    provider.shutdown()


def named(exporter, name):
    return [span for span in exporter.get_finished_spans() if span.name == name]


async def delivered(exporter, count):
    """The deliver spans, once they have linked ``count`` events."""
    async with asyncio.timeout(5):
        while sum(len(s.links) for s in named(exporter, "django_sse deliver")) < count:
            await asyncio.sleep(0.01)
    return named(exporter, "django_sse deliver")


async def test_a_trace_leads_from_the_view_to_the_deliveries(exporter):
    hub = await get_hub()
    sub = hub.subscribe(["user:5", "news"], "5")
    tracer = tracing.provider().get_tracer("the-app")

    def view():
        with tracer.start_as_current_span("POST /orders") as request_span:
            publish("user:5", {"order": 1}, event="notification")
            publish("news", "hello")
            return request_span.get_span_context()

    request = await sync_to_async(view)()
    await frames_of(sub, 2)
    published = named(exporter, "django_sse publish")
    assert len(published) == 2
    for span in published:
        assert span.kind == trace.SpanKind.PRODUCER
        assert span.parent.span_id == request.span_id  # a child of the view's span
        assert span.context.trace_id == request.trace_id
    assert [s.attributes["messaging.destination.name"] for s in published] == ["user:*", "news"]
    rows = [row async for row in Event.objects.order_by("id")]
    assert [s.attributes["messaging.message.id"] for s in published] == [str(r.id) for r in rows]
    assert all(r.trace and r.trace.startswith("00-") for r in rows)
    deliveries = await delivered(exporter, 2)
    linked = {link.context.span_id for span in deliveries for link in span.links}
    assert linked == {span.context.span_id for span in published}
    assert all(span.kind == trace.SpanKind.CONSUMER for span in deliveries)
    assert sum(span.attributes["django_sse.deliveries"] for span in deliveries) == 2


async def test_publish_many_is_one_span_for_the_batch(exporter):
    hub = await get_hub()
    sub = hub.subscribe(["a", "b"])
    await sync_to_async(publish_many)([("a", 1, None), ("b", 2, None), ("a", 3, None)])
    await frames_of(sub, 3)
    [span] = named(exporter, "django_sse publish")
    assert span.attributes["messaging.batch.message_count"] == 3
    assert span.attributes["messaging.destination.name"] == "a,b"
    deliveries = await delivered(exporter, 3)
    assert {link.context.span_id for s in deliveries for link in s.links} == {span.context.span_id}


async def test_events_nobody_watches_here_make_no_delivery_span(exporter):
    await get_hub()
    await sync_to_async(publish)("unwatched", 1)
    await asyncio.sleep(0.3)
    assert len(named(exporter, "django_sse publish")) == 1
    assert named(exporter, "django_sse deliver") == []


async def test_without_a_provider_nothing_is_recorded():
    assert not tracing.enabled()  # the API's default provider is a no-op
    hub = await get_hub()
    sub = hub.subscribe(["t"])
    await sync_to_async(publish)("t", 1)
    await frames_of(sub, 1)
    assert [row.trace async for row in Event.objects.all()] == [None]


PUBLISHER = """
import django, json
django.setup()
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry import trace
trace.set_tracer_provider(TracerProvider())
from django_sse import publish
with trace.get_tracer("worker").start_as_current_span("job") as job:
    publish("jobs", "done")
    print(json.dumps({"trace_id": job.get_span_context().trace_id}))
"""


async def test_a_delivery_links_to_a_publish_in_another_process(exporter, test_db_url):
    hub = await get_hub()
    sub = hub.subscribe(["jobs"])
    out = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", PUBLISHER],
        env=server_env(test_db_url),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    worker = json.loads(out.stdout)
    await frames_of(sub, 1)
    [delivery] = await delivered(exporter, 1)
    [link] = delivery.links
    assert link.context.trace_id == worker["trace_id"]  # the worker's trace
    assert named(exporter, "django_sse publish") == []  # recorded in the worker
