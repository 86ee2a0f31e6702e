"""The size of one event: publish() refuses data over
DJANGO_SSE_MAX_EVENT_BYTES, naming the setting; an event within it never
cuts a stream that is reading, whatever the per-client buffer (which
bounds a backlog, not one event)."""

import pytest
from asgiref.sync import sync_to_async

from django_sse import publish, publish_many
from django_sse.testing import open_stream

pytestmark = pytest.mark.django_db(transaction=True)


def test_data_over_the_limit_is_refused_naming_the_setting(settings):
    settings.DJANGO_SSE_MAX_EVENT_BYTES = 1000
    with pytest.raises(ValueError, match="DJANGO_SSE_MAX_EVENT_BYTES allows 1,000"):
        publish("big", {"blob": "x" * 1000})
    with pytest.raises(ValueError, match="DJANGO_SSE_MAX_EVENT_BYTES"):
        publish("big", "é" * 501)  # 1,002 bytes in 501 characters
    with pytest.raises(ValueError, match="DJANGO_SSE_MAX_EVENT_BYTES"):
        publish_many([("big", "small", None), ("big", "x" * 1001, None)])
    assert publish("big", "x" * 1000) > 0  # exactly the limit


def test_the_default_limit_refuses_two_megabytes():
    with pytest.raises(ValueError, match="DJANGO_SSE_MAX_EVENT_BYTES allows 65,536"):
        publish("big", {"blob": "x" * 2_000_000})


async def test_an_event_larger_than_the_client_buffer_reaches_a_reading_stream(settings):
    settings.DJANGO_SSE_CLIENT_BUFFER_BYTES = 1024
    async with open_stream("/sse/stream/?topics=big") as stream:
        await sync_to_async(publish)("big", "x" * 50_000)
        [event] = await stream.events(1)
        await sync_to_async(publish)("big", "after")
        [after] = await stream.events(1)
    assert len(event.data) == 50_000 and after.data == "after"
    assert b"stream ended" not in stream.raw
