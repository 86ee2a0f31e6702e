"""One hub per event loop (per server process), started on first use."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django_sse import eventlog, unlogged
from django_sse.http import open_streams
from django_sse.hub import Hub
from django_sse.internals import finish_requests_on, run_before_thread_pools_stop

# How long a process that exits lets its streams finish (seconds).
EXIT_GRACE = 2.0


def _chain_sigterm(hub: Hub) -> None:
    """When a server (uvicorn, daphne, gunicorn workers) handles SIGTERM,
    end the streams first: the server's graceful shutdown then finds them
    closed instead of cutting them off after its timeout."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)
    if not callable(previous) or getattr(previous, "django_sse", False):
        return  # no server manages shutdown here, or already chained

    def on_sigterm(signum: int, frame: Any) -> None:
        hub.loop.call_soon_threadsafe(hub.shutdown)
        previous(signum, frame)

    on_sigterm.django_sse = True  # type: ignore[attr-defined]
    signal.signal(signal.SIGTERM, on_sigterm)


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}
_hubs_lock = threading.Lock()


def _hub_of_this_loop() -> Hub:
    """The running loop's hub, created and started on first use."""
    loop = asyncio.get_running_loop()
    with _hubs_lock:
        hub = _hubs.get(loop)
        if hub is None:
            eventlog.wake_after_local_commits(wake_local_hubs)
            unlogged.receive_locally(deliver_to_local_hubs)
            hub = _hubs[loop] = Hub(loop)
            hub.start()
            _chain_sigterm(hub)
            _end_streams_before_exit()
    return hub


async def get_hub() -> Hub:
    """The running loop's hub, started on first use; waits until it is ready."""
    hub = _hub_of_this_loop()
    await asyncio.shield(hub.ready)
    return hub


async def start_hub(timeout: float = 10.0) -> Hub:
    """The running loop's hub, once it has tried to start (it may not be
    ready: ``hub.unavailable`` then says why). Waits ``timeout`` at most."""
    hub = _hub_of_this_loop()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(hub.first_attempt.wait(), timeout)
    return hub


def running_hub() -> Hub | None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return _hubs.get(loop)


async def stop_hub() -> None:
    """Stop this loop's hub (tests, and servers that shut down cleanly)."""
    loop = asyncio.get_running_loop()
    with _hubs_lock:
        hub = _hubs.pop(loop, None)
    if hub is not None:
        await hub.stop()


def _in_every_hub(call: Callable[[Hub], Callable[..., Any]], *args: Any) -> None:
    """Run ``call(hub)(*args)`` on each hub of this process, in its own
    loop, from any thread; forget hubs whose loop is closed."""
    with _hubs_lock:
        hubs = list(_hubs.items())
    for loop, hub in hubs:
        try:
            loop.call_soon_threadsafe(call(hub), *args)
        except RuntimeError:  # the loop is closed
            with _hubs_lock:
                _hubs.pop(loop, None)


def wake_local_hubs() -> None:
    """Wake every hub of this process now (called after a local commit),
    from any thread: delivery in the publishing process does not wait for
    the broker's round trip or the next poll."""
    _in_every_hub(lambda hub: hub.wake)


def deliver_to_local_hubs(message: str) -> None:
    """The memory broker's delivery of an unlogged event, from any thread."""
    _in_every_hub(lambda hub: hub.deliver_unlogged, message)


_exit_hook_registered = False


# A thread started while Python still starts threads, for the requests that
# end at exit (``internals.finish_requests_on``): it starts none by then.
_exit_thread: ThreadPoolExecutor | None = None


def _end_streams_before_exit() -> None:
    """Have ``end_streams_at_exit`` run when Python exits, before it stops
    the thread pools (``internals.run_before_thread_pools_stop``)."""
    global _exit_hook_registered, _exit_thread
    if not _exit_hook_registered:
        _exit_hook_registered = run_before_thread_pools_stop(end_streams_at_exit)
        if _exit_hook_registered and threading.current_thread() is not threading.main_thread():
            # runserver: the server's loop ends after the main thread (below).
            _exit_thread = ThreadPoolExecutor(1, thread_name_prefix="django-sse-exit")
            _exit_thread.submit(int).result()  # its thread runs from now on


def end_streams_at_exit(grace: float = EXIT_GRACE) -> None:
    """End the streams of every hub whose loop still runs in another thread,
    and wait (``grace`` seconds at most) until the server has closed them.

    That is runserver's Ctrl-C: the autoreloader's main thread returns while
    the server thread still serves. Python then stops every thread pool, and
    the streams' next database or sync call failed with "cannot schedule new
    futures after shutdown", a traceback per stream. Here the streams end
    first, with the ``retry:`` hint a server shutdown sends, so browsers
    reconnect to the next server and resume."""
    with _hubs_lock:
        hubs = list(_hubs.items())
    deadline = time.monotonic() + grace
    for loop, hub in hubs:
        if loop.is_closed() or not loop.is_running():
            continue
        future = asyncio.run_coroutine_threadsafe(_end(hub, deadline), loop)
        # Requests keep coming while the streams end (a browser reconnects
        # at once): each round hands the new ones the exit thread too.
        while not future.done() and time.monotonic() < deadline + 0.5:
            _take_over_requests()
            with contextlib.suppress(Exception):
                future.result(0.1)
    _take_over_requests()


def _take_over_requests() -> None:
    if _exit_thread is not None:
        finish_requests_on(_exit_thread)


async def _end(hub: Hub, deadline: float) -> None:
    hub.shutdown()
    while open_streams and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await hub.stop_tasks()
