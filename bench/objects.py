"""What one open stream keeps alive: objects the garbage collector tracks
(what its full passes walk) and bytes, per stream, by type and by the line
that allocated them. The ASGI application is driven in this process (no
sockets), so the figures are exact counts, not timings: they hold on a
busy machine.

    python bench/objects.py --kind sse --streams 2000
    python bench/objects.py --kind bare --streams 2000     # the bare Django view

Each stream is a GET through the whole application (middleware included)
whose client never disconnects; counts are taken once every stream has
its response started, minus the same counts before.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import os
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def tracked_by_type() -> collections.Counter[str]:
    gc.collect()
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())


def package_of(filename: str) -> str:
    parts = Path(filename).parts
    for name in ("django_sse", "django", "asgiref", "asyncio", "bench"):
        if name in parts:
            return name
    return "python"


async def open_streams(
    app, path: str, query: bytes, count: int, on_body=None
) -> list[asyncio.Task]:
    """Open ``count`` streams; ``on_body`` is called with every chunk sent."""
    started = asyncio.Event()
    opened = 0
    forever = asyncio.Event()

    def stream() -> tuple:
        body_sent = False

        async def receive():
            nonlocal body_sent
            if not body_sent:  # the request's (empty) body, then silence
                body_sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await forever.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            nonlocal opened
            if message["type"] == "http.response.start":
                opened += 1
                if opened == count:
                    started.set()
            elif on_body is not None:
                on_body(message.get("body", b""))

        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query,
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"accept", b"text/event-stream")],
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
        }
        return scope, receive, send

    tasks = [asyncio.create_task(app(*stream())) for _ in range(count)]
    await asyncio.wait_for(started.wait(), 120)
    await asyncio.sleep(0.5)
    return tasks


async def measure(kind: str, count: int, top: int) -> None:
    from bench.site.asgi import application as app  # as the benchmark serves it

    path, query = ("/sse/stream/", b"topics=bench") if kind == "sse" else ("/events/", b"")
    await open_streams(app, path, query, 20)  # warm up: imports, pools, the hub
    before = tracked_by_type()
    snapshot_before = tracemalloc.take_snapshot()
    await open_streams(app, path, query, count)
    after = tracked_by_type()
    snapshot_after = tracemalloc.take_snapshot()
    grown = after - before
    total = sum(grown.values())
    print(f"{kind}: {count:,} streams")
    print(f"  objects tracked by the collector, per stream: {total / count:.1f}")
    for name, n in grown.most_common(top):
        print(f"    {n / count:6.2f}  {name}")
    stats = snapshot_after.compare_to(snapshot_before, "lineno")
    grown_bytes = sum(s.size_diff for s in stats)
    print(f"  bytes allocated and still held, per stream: {grown_bytes / count:,.0f}")
    by_package: collections.Counter[str] = collections.Counter()
    for stat in stats:
        by_package[package_of(stat.traceback[0].filename)] += stat.size_diff
    print(
        "    by package: "
        + ", ".join(f"{name} {size / count:,.0f} B" for name, size in by_package.most_common())
    )
    for stat in sorted(stats, key=lambda s: -s.size_diff)[:top]:
        frame = stat.traceback[0]
        where = f"{Path(frame.filename).parent.name}/{Path(frame.filename).name}:{frame.lineno}"
        print(f"    {stat.size_diff / count:8.0f} B  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", choices=["sse", "bare"], default="sse")
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    os.environ.update(BENCH_KIND=args.kind, DJANGO_SETTINGS_MODULE="bench.site.settings")
    from bench.run import prepare_database

    prepare_database()
    import django

    django.setup()
    tracemalloc.start(1)
    asyncio.run(measure(args.kind, args.streams, args.top))
    os._exit(0)  # the streams never end; nothing to clean up


if __name__ == "__main__":
    main()
