"""CPU per delivery when one event fans out, and the collector's share of
it, in one process. The ASGI application is driven here with no sockets
(as bench/objects.py does), so what is left is the work of the
application itself: the hub, the stream, Django's response handler, and
the collector's passes over what they keep alive.

    python bench/delivery.py --kind sse --streams 5000
    python bench/delivery.py --kind bare --streams 5000    # the bare Django view
    python bench/delivery.py --kind asgi --streams 5000    # the bare ASGI app

Each event is published (django-sse: ``apublish``, through Postgres and
its NOTIFY, as in production; the floors: straight into their queues),
and the process CPU is summed from the publish until every stream has
sent it. The collector's passes are timed with ``gc.callbacks``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATABASE = "django_sse_delivery"  # its own, so it can run beside bench/run.py


class Collector:
    """Passes of the garbage collector, per generation, and their time."""

    def __init__(self) -> None:
        self.passes = [0, 0, 0]
        self.seconds = 0.0
        self._started = 0.0
        gc.callbacks.append(self)

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.passes[info["generation"]] += 1


def application(kind: str):
    if kind == "asgi":
        from bench import bare_asgi

        return bare_asgi.application, "/", b"", bare_asgi.queues
    from bench.site import views
    from bench.site.asgi import application as app

    if kind == "sse":
        return app, "/sse/stream/", b"topics=bench", None
    return app, "/events/", b"", views.queues


async def measure(kind: str, count: int, events: int) -> None:
    from bench.objects import open_streams

    app, path, query, queues = application(kind)
    delivered = 0

    def on_body(body: bytes) -> None:
        nonlocal delivered
        delivered += body.count(b"data: ")

    await open_streams(app, path, query, count, on_body)
    if kind == "sse":
        from django_sse import apublish

        async def publish(n: int) -> None:
            await apublish("bench", {"n": n})
    else:

        async def publish(n: int) -> None:
            frame = b'data: {"n": %d}\n\n' % n
            for queue in queues:
                queue.put_nowait(frame)

    await publish(-1)  # warm up: the publish path, the listener
    while delivered < count:
        await asyncio.sleep(0.01)
    collector = Collector()
    cpu: list[float] = []
    wall: list[float] = []
    for n in range(events):
        await asyncio.sleep(0.2)
        delivered = 0
        started_cpu, started = time.process_time(), time.perf_counter()
        await publish(n)
        while delivered < count:
            await asyncio.sleep(0)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    gc.callbacks.remove(collector)
    total = sum(cpu)
    print(f"{kind}: {count:,} streams, {events} events")
    print(f"  CPU per delivery: {total / (count * events) * 1e6:.1f} us")
    # The median event: one slowed by the machine's other work does not move it.
    print(f"  CPU per delivery, median event: {statistics.median(cpu) / count * 1e6:.1f} us")
    print(f"  time to the last stream, median: {statistics.median(wall) * 1e3:.0f} ms")
    print(
        f"  collector: {collector.passes[0]} young, {collector.passes[1]} middle,"
        f" {collector.passes[2]} full passes; {collector.seconds * 1e3:.0f} ms,"
        f" {collector.seconds / total:.0%} of the CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", choices=["sse", "bare", "asgi"], default="sse")
    parser.add_argument("--streams", type=int, default=5000)
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args()
    if args.kind != "asgi":
        from bench import run

        run.BENCH_DB = DATABASE
        os.environ.update(
            BENCH_KIND=args.kind, BENCH_DB=DATABASE, DJANGO_SETTINGS_MODULE="bench.site.settings"
        )
        run.prepare_database()
        import django

        django.setup()
    asyncio.run(measure(args.kind, args.streams, args.events))
    os._exit(0)  # the streams never end; nothing to clean up


if __name__ == "__main__":
    main()
