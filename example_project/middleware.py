"""Counts requests for the demo dashboard (this process only)."""

import threading
import time
from collections import deque

from asgiref.sync import iscoroutinefunction
from django.utils.decorators import sync_and_async_middleware

_times: deque[float] = deque(maxlen=100_000)
_lock = threading.Lock()


def requests_per_minute() -> int:
    cutoff = time.monotonic() - 60
    with _lock:
        while _times and _times[0] < cutoff:
            _times.popleft()
        return len(_times)


@sync_and_async_middleware
def request_rate(get_response):
    def count() -> None:
        with _lock:
            _times.append(time.monotonic())

    if iscoroutinefunction(get_response):

        async def middleware(request):
            count()
            return await get_response(request)

    else:

        def middleware(request):
            count()
            return get_response(request)

    return middleware
