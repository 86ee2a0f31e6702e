"""How the hub wakes the streams of a fan-out: every frame queued at once,
the streams woken a batch at a time (``Hub._wake_queued``)."""

import asyncio
import gc

import pytest

from django_sse import fanout as fanout_module
from django_sse.hubs import get_hub
from django_sse.subscriber import Subscriber

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_cleanup")]

FRAME = b"data: {}\n\n"


def taken(sub: Subscriber) -> tuple[list[int], list[bytes]]:
    """The ids and frames waiting, read and cleared as a stream does."""
    ids, frames = list(sub.ids), list(sub.frames)
    sub.clear()
    return ids, frames


def woken(sub: Subscriber) -> bool:
    """After a wait: frames came or the stream must end (not only time)."""
    return bool(sub.frames or sub.ended)


def write(sub: Subscriber, got: list[bytes]) -> None:
    # A dict per write, as Django's handler sends one per chunk.
    _, frames = taken(sub)
    message = {"type": "http.response.body", "body": b"".join(frames), "more_body": True}
    got.append(message["body"])


def in_30s() -> float:
    return asyncio.get_running_loop().time() + 30


async def stream(sub: Subscriber, got: list[bytes]) -> None:
    """What a stream does with each wake: drain, then write."""
    while True:
        await sub.waiter(in_30s())
        if woken(sub):
            write(sub, got)
        else:
            got.append(b": heartbeat\n\n")


async def streams(
    hub, count: int
) -> tuple[list[Subscriber], list[list[bytes]], list[asyncio.Task]]:
    subs = [hub.subscribe(["fan"]) for _ in range(count)]
    got: list[list[bytes]] = [[] for _ in subs]
    tasks = [asyncio.create_task(stream(sub, g)) for sub, g in zip(subs, got, strict=True)]
    await asyncio.sleep(0.05)  # every stream waiting
    return subs, got, tasks


async def settle(got: list[list[bytes]], frames: int) -> None:
    """Until every stream has written ``frames`` frames."""
    async with asyncio.timeout(10):
        while not all(sum(body.count(b"\n\n") for body in g) >= frames for g in got):
            await asyncio.sleep(0.01)


async def test_every_stream_gets_every_frame_of_a_fan_out_larger_than_a_batch():
    hub = await get_hub()
    subs, got, tasks = await streams(hub, fanout_module.WAKE_BATCH * 4 + 7)
    try:
        for event_id in (1, 2, 3):
            hub.fanout.push(set(subs), event_id, f"id: {event_id}\ndata: x\n\n".encode(), "message")
        await settle(got, 3)
        expected = b"".join(f"id: {i}\ndata: x\n\n".encode() for i in (1, 2, 3))
        assert all(b"".join(g) == expected for g in got)  # in order, once, no heartbeat
    finally:
        for task in tasks:
            task.cancel()
        for sub in subs:
            hub.unsubscribe(sub)


async def test_streams_are_woken_a_batch_per_turn_of_the_loop():
    hub = await get_hub()
    subs = [hub.subscribe(["fan"]) for _ in range(fanout_module.WAKE_BATCH * 3)]
    waiters = [sub.waiter(in_30s()) for sub in subs]
    try:
        hub.fanout.push(set(subs), 1, FRAME, "message")
        assert sum(w.done() for w in waiters) == fanout_module.WAKE_BATCH
        await asyncio.sleep(0)
        assert sum(w.done() for w in waiters) == fanout_module.WAKE_BATCH * 2
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert all(w.done() for w in waiters)
        assert all(woken(sub) and taken(sub) == ([1], [FRAME]) for sub in subs)
    finally:
        for sub in subs:
            hub.unsubscribe(sub)


async def test_a_stream_that_drained_before_its_turn_is_not_woken_for_nothing():
    hub = await get_hub()
    subs = [hub.subscribe(["fan"]) for _ in range(fanout_module.WAKE_BATCH + 1)]
    for sub in subs:
        sub.waiter(in_30s())
    try:
        hub.fanout.push(set(subs), 1, FRAME, "message")
        late = next(sub for sub in subs if sub._waiter is not None and not sub._waiter.done())
        assert woken(late) and taken(late) == ([1], [FRAME])  # its clock woke it first
        again = late.waiter(in_30s())  # waiting for the next event
        await asyncio.sleep(0)
        assert not again.done(), "woken with nothing to send: it would write a heartbeat"
    finally:
        for sub in subs:
            hub.unsubscribe(sub)


async def young_collections_during_fan_outs(hub, monkeypatch, batch: int) -> int:
    monkeypatch.setattr(fanout_module, "WAKE_BATCH", batch)
    subs, got, tasks = await streams(hub, 3000)
    collections = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        for event_id in range(1, 6):
            hub.fanout.push(set(subs), event_id, FRAME, "message")
            await settle(got, event_id)
    finally:
        gc.callbacks.remove(count)
        for task in tasks:
            task.cancel()
        for sub in subs:
            hub.unsubscribe(sub)
    return len(collections)


async def test_a_fan_out_in_batches_brings_on_few_collections(monkeypatch):
    """The reason for the batches: woken all at once, 3,000 streams' steps
    and writes are alive together and the collector runs over and over
    (and promotes them, which brings on full passes over every stream's
    objects); a batch at a time, it hardly runs."""
    hub = await get_hub()
    default = fanout_module.WAKE_BATCH
    at_once = await young_collections_during_fan_outs(hub, monkeypatch, 10**9)
    batched = await young_collections_during_fan_outs(hub, monkeypatch, default)
    print(f"collections: all at once {at_once}, in batches {batched}")
    assert at_once >= 10
    assert batched <= at_once // 3
