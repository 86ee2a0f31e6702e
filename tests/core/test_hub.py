"""The hub against a real PostgreSQL: fan-out, ordering, gaps, backpressure."""

import asyncio
import contextvars
import json
import sys

import psycopg
import pytest
from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.test import override_settings

from django_sse import publish
from django_sse.brokers.postgres import listener_params
from django_sse.clock import tick_period
from django_sse.hubs import get_hub
from django_sse.logs import user_hash
from django_sse.protocol import parse
from django_sse.subscriber import Subscriber

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_cleanup")]


async def wait(sub: Subscriber, timeout: float) -> bool:
    """What a stream does: wait, then True if frames came or it must end."""
    await sub.waiter(asyncio.get_running_loop().time() + timeout)
    return bool(sub.frames or sub.ended)


async def frames_of(sub: Subscriber, count: int, timeout: float = 5.0) -> list[tuple[int, bytes]]:
    got: list[tuple[int, bytes]] = []
    async with asyncio.timeout(timeout):
        while len(got) < count:
            await wait(sub, 1.0)
            ids, frames = list(sub.ids), list(sub.frames)
            sub.clear()
            got += zip(ids, frames, strict=True)
    return got


async def raw_connection() -> psycopg.AsyncConnection:
    params = await sync_to_async(listener_params)()
    return await psycopg.AsyncConnection.connect(**params)


async def insert(conn: psycopg.AsyncConnection, topic: str, data: str) -> int:
    cursor = await conn.execute(
        "INSERT INTO django_sse_event (topic, event, data, created_at) "
        "VALUES (%s, '', %s, now()) RETURNING id",
        [topic, data],
    )
    return (await cursor.fetchone())[0]


@sync_to_async
def insert_without_local_wake(topic: str, data: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO django_sse_event (topic, event, data, created_at)"
            " VALUES (%s, '', %s, now())",
            [topic, data],
        )


async def test_publish_reaches_subscribers_of_that_topic_only():
    hub = await get_hub()
    orders, news = hub.subscribe(["orders"]), hub.subscribe(["news"])
    event_id = await sync_to_async(publish)("orders", {"id": 7}, event="order-created")
    [(got_id, frame)] = await frames_of(orders, 1)
    assert got_id == event_id
    [event] = parse(frame)
    assert (event.type, event.json(), event.last_event_id) == (
        "order-created",
        {"id": 7},
        f"{event_id} orders",
    )
    assert news.frames == []


async def test_publish_inside_atomic_is_delivered_at_commit_never_on_rollback():
    hub = await get_hub()
    sub = hub.subscribe(["t"])

    @sync_to_async
    def rolled_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            publish("t", "lost")
            raise RuntimeError

    await rolled_back()
    kept = await sync_to_async(publish)("t", "kept")
    [(got_id, frame)] = await frames_of(sub, 1)
    assert got_id == kept and parse(frame)[0].data == "kept"


async def test_out_of_order_commit_is_held_back_then_delivered_in_id_order():
    """T1 draws id N, T2 draws N+1 and commits first. The hub must not hand
    out N+1 (a client holding it would never get N) until T1 has ended."""
    hub = await get_hub()
    sub = hub.subscribe(["orders"])
    t1, t2 = await raw_connection(), await raw_connection()
    try:
        first = await insert(t1, "orders", "first")
        second = await insert(t2, "orders", "second")
        assert second > first
        await t2.commit()
        hub.wake()
        await asyncio.sleep(0.5)
        assert sub.frames == [], "delivered past an uncommitted lower id"
        assert hub.frontier < first
        await t1.commit()
        got = await frames_of(sub, 2)
        assert [event_id for event_id, _ in got] == [first, second]
    finally:
        await t1.close()
        await t2.close()


async def test_rolled_back_gap_resolves_without_waiting_for_unrelated_writers():
    hub = await get_hub()
    sub = hub.subscribe(["orders"])
    t1, t2, other = await raw_connection(), await raw_connection(), await raw_connection()
    try:
        # A long write transaction on another table must not stall delivery.
        await other.execute("INSERT INTO auth_group (name) VALUES ('slow')")
        await insert(t1, "orders", "doomed")
        second = await insert(t2, "orders", "second")
        await t2.commit()
        await t1.rollback()
        loop = asyncio.get_running_loop()
        started = loop.time()
        [(got_id, _)] = await frames_of(sub, 1, timeout=3)
        assert got_id == second
        assert loop.time() - started < 1.5
    finally:
        for conn in (t1, t2, other):
            await conn.close()


async def test_many_concurrent_publishers_lose_nothing_and_keep_id_order():
    hub = await get_hub()
    sub = hub.subscribe(["burst"])
    conns = [await raw_connection() for _ in range(4)]
    expected = []
    try:
        for round_ in range(25):
            ids = [await insert(c, "burst", f"{round_}") for c in conns]
            expected += ids
            for c in reversed(conns):  # commit in the reverse order of the ids
                await c.commit()
        got = await frames_of(sub, len(expected), timeout=15)
        assert [event_id for event_id, _ in got] == sorted(expected)
    finally:
        for c in conns:
            await c.close()


async def test_burst_in_one_transaction_is_delivered_completely():
    hub = await get_hub()
    sub = hub.subscribe(["bulk"])

    @sync_to_async
    def burst():
        from django_sse import publish_many

        return publish_many(("bulk", i, None) for i in range(3000))

    with override_settings(DJANGO_SSE_CLIENT_BUFFER=5000):
        ids = await burst()
        got = await frames_of(sub, 3000, timeout=20)
    assert [event_id for event_id, _ in got] == ids


@override_settings(DJANGO_SSE_CLIENT_BUFFER=3)
async def test_slow_subscriber_overflows_and_is_cut_others_unaffected(caplog):
    caplog.set_level("INFO", "django_sse")
    hub = await get_hub()
    slow = hub.subscribe(["t", "user:42"], "42")
    fast = hub.subscribe(["t"])
    for i in range(5):
        await sync_to_async(publish)("t", i)
        await frames_of(fast, 1)
    assert slow.ended == "overflow" and slow.frames == []
    assert hub.stats.overflows == 1
    # Not counted any longer, though its stream may still be writing.
    assert (hub.subscriber_count, hub.streams_of("42"), hub.topic_counts()) == (1, 0, {"t": 1})
    # One structured line: no user id, no personal topic, no traceback.
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "sse.stream.cut"]
    assert record.levelname == "INFO" and not record.exc_info
    assert record.sse == {"reason": "overflow", "user_hash": user_hash("42"), "topics": "t,user:*"}
    assert "user:42" not in record.getMessage()
    assert record.getMessage().startswith("sse.stream.cut: a client fell behind")


async def test_listener_reconnects_after_termination_and_catches_up(caplog):
    hub = await get_hub()
    sub = hub.subscribe(["t"])
    await sync_to_async(publish)("t", "before")
    await frames_of(sub, 1)
    pid = hub.broker.backend_pid
    killer = await raw_connection()
    # With a timeout, pg_terminate_backend returns once the backend has
    # exited (PostgreSQL 14+); without it the listener could still take the
    # next NOTIFY on its old connection.
    await killer.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    await killer.commit()
    await killer.close()
    # Published from "another process" (no local wake-up): only the broker
    # can bring it, after it reconnects.
    await insert_without_local_wake("t", "while down")
    [(_, frame)] = await frames_of(sub, 1, timeout=10)
    assert parse(frame)[0].data == "while down"
    assert hub.broker.backend_pid not in (None, pid)
    [lost] = [r for r in caplog.records if getattr(r, "event", None) == "sse.listener.lost"]
    assert lost.levelname == "WARNING" and not lost.exc_info  # expected: no traceback
    assert lost.sse["broker"] == "postgres" and "terminat" in lost.sse["reason"]


async def test_unsubscribe_leaves_no_trace():
    hub = await get_hub()
    subs = [hub.subscribe(["a", "b"]) for _ in range(3)]
    assert hub.subscriber_count == 3 and hub.topic_counts() == {"a": 3, "b": 3}
    for sub in subs:
        hub.unsubscribe(sub)
    assert hub.subscriber_count == 0 and hub.topic_counts() == {}


def test_the_clock_ticks_a_fifth_of_the_shortest_limit_a_second_at_most(settings):
    assert tick_period() == 1.0  # the defaults: heartbeat 15 s, send timeout 30 s
    settings.DJANGO_SSE_SEND_TIMEOUT = 2.0
    assert tick_period() == pytest.approx(0.4)
    settings.DJANGO_SSE_IDLE_TIMEOUT = 0.5
    assert tick_period() == pytest.approx(0.1)


async def test_a_wait_ends_by_the_hubs_clock_or_at_once_on_a_frame():
    hub = await get_hub()
    sub = hub.subscribe(["clock"])
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await wait(sub, 0.3) is False  # nothing came: the clock ended it
    # Ended by the clock: not before its time, and within a tick of it (a
    # second of slack for a loaded machine; without the clock it never ends).
    assert 0.3 <= loop.time() - started < 0.3 + tick_period() + 1.0
    waiting = asyncio.create_task(wait(sub, 30))
    await asyncio.sleep(0.05)
    started = loop.time()
    sub.push(1, b"data: x\n\n")
    assert await waiting is True
    assert loop.time() - started < 1.0  # at once, not at the 30 s timeout
    assert sub.wake_at == float("inf")  # nothing left for the clock to end


class CountedWalks(set):
    """The hub's subscribers, counting the walks over them."""

    walks = 0

    def __iter__(self):
        self.walks += 1
        return super().__iter__()


async def test_the_clock_walks_the_streams_only_once_a_wait_or_write_may_be_due():
    hub = await get_hub()
    loop = asyncio.get_running_loop()
    hub.registry._subscribers = walked = CountedWalks(hub.registry._subscribers)
    try:
        hub.due.at = float("inf")  # what came before this test is not watched
        waiting = [hub.subscribe(["due"]) for _ in range(3)]
        now = loop.time()
        for i, sub in enumerate(waiting):
            sub.waiter(now + 60 + i)
        assert hub.due.at == now + 60
        await asyncio.sleep(tick_period() * 2.5)
        assert walked.walks == 0  # rounds of the clock, and nothing could be due
        # A write that does not go out in time is cut within a round or so.
        stuck = hub.subscribe(["due"])
        stuck.must_write_by(loop.time() + 0.1)
        async with asyncio.timeout(tick_period() + 2.0):
            while not stuck.ended:
                await asyncio.sleep(0.02)
        assert stuck.ended == "stalled" and walked.walks == 1
        assert hub.due.at == now + 60  # the next that may fall due: the first wait
        assert not any(sub.ended for sub in waiting)
    finally:
        hub.registry._subscribers = set(walked)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="Task.get_context() is new in 3.12")
async def test_the_hub_does_not_carry_the_context_of_the_request_that_started_it():
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import SyncToAsync, ThreadSensitiveContext

    request_var = contextvars.ContextVar("request_var")
    request_var.set("first request")
    with ThreadPoolExecutor(1) as executor:
        async with ThreadSensitiveContext(executor=executor):
            hub = await get_hub()
    for task in (hub._task, hub._clock_task):
        context = task.get_context()
        assert request_var not in context
        assert context.get(SyncToAsync.thread_sensitive_context) is None


@override_settings(DJANGO_SSE_BROKER="memory")
async def test_memory_broker_delivers_this_process_commits():
    hub = await get_hub()
    assert hub.broker.name == "memory" and hub.broker.connected
    sub = hub.subscribe(["mem"])
    await sync_to_async(publish)("mem", "here")
    [(_, frame)] = await frames_of(sub, 1)
    assert parse(frame)[0].data == "here"


async def test_a_row_that_cannot_be_framed_is_skipped_and_logged_once(caplog):
    """An event name with a newline, written past publish()'s checks, must
    not stop delivery (it once killed the hub's reader, silently)."""
    from django_sse.models import Event

    hub = await get_hub()
    sub = hub.subscribe(["t"])
    bad = await Event.objects.acreate(topic="t", event="bad\nname", data="x")
    await sync_to_async(publish)("t", "after")
    [(event_id, frame)] = await frames_of(sub, 1)
    assert event_id > bad.id and parse(frame)[0].data == "after"
    assert hub.stats.skipped == 1
    from django_sse import logqueries

    replayed = await hub.query(logqueries.replay, ["t"], 0, hub.frontier, 10)
    assert [row.frame() for row in replayed][0] == b""  # a replay skips it too
    warnings = [r for r in caplog.records if f"event {bad.id} " in r.getMessage()]
    assert len(warnings) == 1


async def test_the_reader_restarts_after_an_unexpected_failure(monkeypatch, caplog):
    hub = await get_hub()
    sub = hub.subscribe(["t"])
    real = hub.fanout.fan_out
    calls = 0

    def fails_once(rows):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        real(rows)

    monkeypatch.setattr(hub.fanout, "fan_out", fails_once)
    await sync_to_async(publish)("t", "first")
    [(_, frame)] = await frames_of(sub, 1)  # delivered by the restarted reader
    assert parse(frame)[0].data == "first"
    assert hub.stats.restarts == 1 and hub.last_error == "RuntimeError: boom"
    assert "the hub's reader failed" in caplog.text
    await sync_to_async(publish)("t", "second")
    [(_, frame)] = await frames_of(sub, 1)
    assert parse(frame)[0].data == "second"


@override_settings(DJANGO_SSE_GAP_TIMEOUT=1.0)
async def test_an_open_transaction_holds_delivery_up_only_so_long(caplog):
    """T1 publishes and stays open: after the gap timeout, what is committed
    goes out (the stall is logged with T1's backend pid). When T1 commits,
    no client misses its event silently: live streams get a reset, and so
    does a client reconnecting with a cursor past T1's id; one with a cursor
    before it gets the event in its replay."""
    from django_sse.catchup import Cursor
    from django_sse.streams import event_stream

    hub = await get_hub()
    sub = hub.subscribe(["orders"])
    t1 = await raw_connection()
    try:
        late = await insert(t1, "orders", "late")
        pid = (await (await t1.execute("SELECT pg_backend_pid()")).fetchone())[0]
        on_time = await sync_to_async(publish)("orders", "on time")
        loop = asyncio.get_running_loop()
        started = loop.time()
        [(got, _)] = await frames_of(sub, 1, timeout=5)
        assert got == on_time and loop.time() - started < 3
        assert f"backend_pid={pid}" in caplog.text
        await t1.commit()
        [(_, frame)] = await frames_of(sub, 1, timeout=5)
        [reset] = parse(frame)
        assert (reset.type, json.loads(reset.data)) == ("reset", {"reason": "late-event"})
    finally:
        await t1.close()

    async def opening(cursor: int) -> bytes:
        stream = event_stream(hub, ["orders"], Cursor(cursor))
        try:
            return await anext(stream)
        finally:
            await stream.aclose()

    assert b'"late-event"' in await opening(on_time)  # passed the late id: reset
    replayed = await opening(late - 1)  # before it: the event itself
    assert b"data: late" in replayed and b"reset" not in replayed
    assert b"reset" not in await opening(hub.frontier)  # past the marker: live already told
