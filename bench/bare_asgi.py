"""The lowest floor: a bare ASGI fan-out app, no framework."""

import asyncio
import gc
import os

if os.environ.get("BENCH_GC_THRESHOLD"):  # run.py --gc-threshold, as for the others
    gc.set_threshold(int(os.environ["BENCH_GC_THRESHOLD"]))

queues: set[asyncio.Queue] = set()
HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["path"] == "/publish/":
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        frame = b"data: " + body + b"\n\n"
        for queue in queues:
            queue.put_nowait(frame)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    queue: asyncio.Queue = asyncio.Queue()
    queues.add(queue)
    try:
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": b"retry: 2000\n\n", "more_body": True})
        while True:
            frame = await queue.get()
            await send({"type": "http.response.body", "body": frame, "more_body": True})
    finally:
        queues.discard(queue)
