"""The floor: a Django async view streaming from a per-client asyncio.Queue."""

import asyncio

from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

queues: set[asyncio.Queue] = set()


async def events(request):
    queue: asyncio.Queue = asyncio.Queue()

    async def stream():
        queues.add(queue)
        try:
            yield b"retry: 2000\n\n"
            while True:
                yield await queue.get()
        finally:
            queues.discard(queue)

    return StreamingHttpResponse(stream(), content_type="text/event-stream")


@csrf_exempt
async def publish(request):
    frame = b"data: " + request.body + b"\n\n"
    for queue in queues:
        queue.put_nowait(frame)
    return HttpResponse(status=204)
