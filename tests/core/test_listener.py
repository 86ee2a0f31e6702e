"""The Postgres broker's listener: quiet while nothing happens, and every
notification delivered, including those that arrive while it checks its
connection (real PostgreSQL LISTEN/NOTIFY)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from django_sse import publish
from django_sse.brokers import postgres
from django_sse.hubs import get_hub
from tests.core.test_hub import frames_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_cleanup")]


async def test_an_idle_listener_leaves_the_event_loop_alone(monkeypatch):
    hub = await get_hub()
    assert await hub.broker.wait_connected(5)
    loop = asyncio.get_running_loop()
    calls = []
    for name in ("add_reader", "remove_reader"):
        original = getattr(loop, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(loop, name, counted)
    await asyncio.sleep(1.0)
    # A listener that looks for notifications on a timer (psycopg's
    # notifies() looks every 0.1 s) re-arms its reader about ten times.
    assert calls == []


async def test_unlogged_events_sent_while_the_connection_is_checked_all_arrive(monkeypatch):
    # The check (SELECT 1) runs every 5 ms: most notifications come in while
    # it runs, and psycopg hands those to the connection's handlers.
    monkeypatch.setattr(postgres, "LIVENESS_INTERVAL", 0.005)
    hub = await get_hub()
    assert await hub.broker.wait_connected(5)
    sub = hub.subscribe(["chat:1"])

    @sync_to_async
    def send(count: int) -> None:
        for n in range(count):
            publish("chat:1", {"n": n})  # a transaction and a NOTIFY each

    await send(300)
    frames = [frame for _, frame in await frames_of(sub, 300, timeout=20)]
    assert [frame.split(b"data: ", 1)[1] for frame in frames] == [
        b'{"n":%d}\n\n' % n for n in range(300)
    ]
