"""SharedSyncThread: which requests share one thread for their sync code,
and how it serves them (``serve_stream``)."""

import asyncio
import gc
import json
import threading
import weakref

import pytest
from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core import signals
from django.core.asgi import get_asgi_application
from django.urls import path
from django.utils.decorators import sync_and_async_middleware

from django_sse.asgi import SharedSyncThread, django_handler, stream_view, sync_chain
from django_sse.http import json_error, sse_response


async def test_stream_requests_run_sync_code_in_the_shared_thread_others_do_not():
    idents: dict[str, set[int]] = {}

    async def app(scope, receive, send):
        ident = await sync_to_async(threading.get_ident)()
        idents.setdefault(scope["path"], set()).add(ident)

    wrapped = SharedSyncThread(app)
    shared = wrapped.executor.submit(threading.get_ident).result()
    paths = [
        "/sse/stream/",
        "/sse/notifications/",
        "/sse/progress/0b0e9a0c-4c4f-4a49-9a6c-2d3f5e7b8c91/",
        "/sse/notifications/api/",
        "/sse/progress/0b0e9a0c-4c4f-4a49-9a6c-2d3f5e7b8c91/state/",
        "/no-such-page/",
    ]
    for each in paths * 2:
        await wrapped({"type": "http", "path": each, "root_path": ""}, None, None)

    streams, others = paths[:3], paths[3:]
    assert all(idents[path] == {shared} for path in streams)
    assert all(shared not in idents[path] for path in others)


async def test_a_script_prefix_is_removed_before_the_path_is_resolved():
    idents: set[int] = set()

    async def app(scope, receive, send):
        idents.add(await sync_to_async(threading.get_ident)())

    wrapped = SharedSyncThread(app)
    shared = wrapped.executor.submit(threading.get_ident).result()
    await wrapped({"type": "http", "path": "/app/sse/stream/", "root_path": "/app"}, None, None)
    assert idents == {shared}


# serve_stream: a stream request served by SharedSyncThread in front of
# Django's handler, against the same request served by Django's handler.

requests_seen: list[weakref.ref] = []
gate: dict[str, asyncio.Event] = {}
closed: list[str] = []


@stream_view
async def two_frames(request):
    requests_seen.append(weakref.ref(request))

    async def frames():
        try:
            yield b"data: a\n\n"
            await gate["second"].wait()
            yield b"data: b\n\n"
            await gate["end"].wait()
        finally:
            closed.append("stream")

    response = sse_response(request, frames())
    response.set_cookie("seen", "1")
    return response


@stream_view
async def refused(request):
    return json_error(409, "No stream for you.")


def replaced(request, response):
    if getattr(response, "streaming", False) and request.GET.get("replace"):
        inner = response.streaming_content

        async def upper():
            async for chunk in inner:
                yield chunk.upper()

        response.streaming_content = upper()
    return response


class ReplacesStreams:
    """An async-only middleware that replaces a stream's content (then
    Django's send path serves it); with it, no sync chain."""

    sync_capable = False
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request):
        return replaced(request, await self.get_response(request))


@sync_and_async_middleware
def replaces_streams_either_way(get_response):
    """The same, able to run sync or async: a sync chain serves streams."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            return replaced(request, await get_response(request))

        return markcoroutinefunction(middleware)
    return lambda request: replaced(request, get_response(request))


@stream_view
async def slow(request):
    try:
        await gate["end"].wait()
    except asyncio.CancelledError:
        closed.append("view cancelled")
        raise
    return json_error(409, "Too late.")


urlpatterns = [
    path("two-frames/", two_frames),
    path("refused/", refused),
    path("slow/", slow),
]


class Client:
    """One ASGI request driven by hand: its messages, and a disconnect."""

    def __init__(self, app, path: str, query: bytes = b""):
        self.sent: list[dict] = []
        self.gone = asyncio.Event()
        self.body_read = False
        scope = {"type": "http", "method": "GET", "scheme": "http", "path": path}
        scope |= {"query_string": query, "root_path": "", "server": ("testserver", 80)}
        scope["headers"] = [(b"host", b"testserver"), (b"accept-encoding", b"gzip")]
        self.task = asyncio.create_task(app(scope, self.receive, self.send))

    async def receive(self):
        if not self.body_read:
            self.body_read = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message):
        self.sent.append(message)

    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent[1:])

    async def until(self, body: bytes) -> None:
        async with asyncio.timeout(5):
            while self.body() != body:
                await asyncio.sleep(0.005)


@pytest.fixture(params=["ReplacesStreams", "replaces_streams_either_way"])
def apps(settings, request):
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.{request.param}"]
    gate.update(second=asyncio.Event(), end=asyncio.Event())
    requests_seen.clear()
    closed.clear()
    django = get_asgi_application()
    return {"django": django, "django-sse": SharedSyncThread(django)}


def finished_counter():
    count = []

    def receiver(**kwargs):
        count.append(1)

    signals.request_finished.connect(receiver, weak=False)
    return count, receiver


@pytest.mark.parametrize("query", [b"", b"replace=1"])
async def test_a_stream_is_sent_as_djangos_handler_sends_it(apps, query):
    finished, receiver = finished_counter()
    try:
        results = {}
        for name, app in apps.items():
            client = Client(app, "/two-frames/", query)
            await client.until(b"data: a\n\n".upper() if query else b"data: a\n\n")
            gate["second"].set()
            both = b"data: a\n\ndata: b\n\n"
            await client.until(both.upper() if query else both)
            gate["end"].set()  # the stream ends
            await asyncio.wait_for(client.task, 5)
            results[name] = client.sent
            gate.update(second=asyncio.Event(), end=asyncio.Event())
        assert results["django-sse"][0] == results["django"][0]  # status and headers
        start = results["django-sse"][0]
        assert start["status"] == 200
        assert (b"Content-Type", b"text/event-stream; charset=utf-8") in start["headers"]
        assert any(name == b"Set-Cookie" and b"seen=1" in value for name, value in start["headers"])
        assert results["django-sse"][1:] == results["django"][1:]
        assert not results["django-sse"][-1].get("more_body")  # the response ended
        assert closed == ["stream", "stream"]  # each generator closed
        assert len(finished) == 2  # each response closed: request_finished
    finally:
        signals.request_finished.disconnect(receiver)


async def test_the_request_is_let_go_once_its_stream_starts(apps):
    held = {}
    for name, app in apps.items():
        client = Client(app, "/two-frames/")
        await client.until(b"data: a\n\n")
        gc.collect()
        held[name] = requests_seen[-1]() is not None
        client.gone.set()
        await asyncio.wait_for(client.task, 5)
    # Django's handler keeps the request (and its META, session and user)
    # until the response ends; serve_stream lets it go when the stream starts.
    assert held == {"django": True, "django-sse": False}
    assert closed == ["stream", "stream"]  # a disconnect closes the generator


async def test_other_responses_of_a_stream_path_are_djangos(apps):
    for app in apps.values():
        client = Client(app, "/refused/")
        await asyncio.wait_for(client.task, 5)
        assert client.sent[0]["status"] == 409
        assert json.loads(client.body()) == {"error": "No stream for you.", "status": 409}


async def test_a_client_gone_before_its_request_body_gets_nothing(apps):
    async def receive():
        return {"type": "http.disconnect"}

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": "/two-frames/", "root_path": "", "method": "GET"}
    await asyncio.wait_for(apps["django-sse"](scope, receive, send), 5)
    assert sent == [] and requests_seen == []


async def test_a_client_gone_while_the_view_runs_cancels_the_view(apps):
    finished, receiver = finished_counter()
    try:
        client = Client(apps["django-sse"], "/slow/")
        await asyncio.sleep(0.2)
        client.gone.set()
        await asyncio.wait_for(client.task, 5)
    finally:
        signals.request_finished.disconnect(receiver)
    assert client.sent == [] and closed == ["view cancelled"]
    assert len(finished) == 1


class HoldsTheThread:
    """A sync middleware that holds the shared thread until told to go."""

    go = threading.Event()
    waiting = threading.Event()

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        self.waiting.set()
        self.go.wait(5)
        response = self.get_response(request)
        response._resource_closers.append(lambda: closed.append("late response"))
        return response


async def test_a_client_gone_while_the_middleware_runs_gets_its_response_closed(settings):
    # The client leaves while the sync chain is in the thread, before the
    # view: the thread goes on, and what it makes is closed once it ends.
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = [f"{__name__}.HoldsTheThread"]
    HoldsTheThread.go.clear()
    HoldsTheThread.waiting.clear()
    closed.clear()
    events = []

    def receiver(**kwargs):
        events.append(("finished", list(closed)))

    signals.request_finished.connect(receiver, weak=False)
    try:
        app = SharedSyncThread(get_asgi_application())
        assert app.chain is not None
        client = Client(app, "/two-frames/")
        await asyncio.to_thread(HoldsTheThread.waiting.wait, 5)
        client.gone.set()
        await asyncio.sleep(0.05)  # the disconnect cancels the hop
        HoldsTheThread.go.set()
        await asyncio.wait_for(client.task, 5)
    finally:
        signals.request_finished.disconnect(receiver)
    assert client.sent == []
    # Once, after the view's response (never sent) was closed.
    assert events == [("finished", ["late response"])]


async def test_a_server_cancelling_a_stream_cancels_it(apps):
    client = Client(apps["django-sse"], "/two-frames/")
    await client.until(b"data: a\n\n")
    client.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(client.task, 5)
    assert closed == ["stream"]


def test_only_djangos_own_handler_is_served_by_serve_stream():
    django = get_asgi_application()
    assert django_handler(django) is django
    assert django_handler(ASGIStaticFilesHandler(django)) is django

    class Custom(type(django)):
        async def handle(self, scope, receive, send):
            return None

    assert django_handler(Custom()) is None
    assert django_handler(lambda scope, receive, send: None) is None


def test_a_sync_chain_only_when_every_middleware_can_run_sync(settings):
    assert sync_chain() is not None  # the test settings: Django's own middleware
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.replaces_streams_either_way"]
    assert sync_chain() is not None
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.ReplacesStreams"]
    assert sync_chain() is None


def counted(executor) -> list:
    submitted = []
    submit = executor.submit
    executor.submit = lambda *a, **k: submitted.append(1) or submit(*a, **k)
    return submitted


async def test_through_the_sync_chain_the_middleware_take_one_thread_hop(settings):
    # Three of Django's MiddlewareMixin middleware, five hooks: under ASGI
    # each hook is a hop to the thread; through the sync chain, one hop for
    # them all and the request_started receivers.
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
    hops = {}
    for chain in (True, False):
        gate.update(second=asyncio.Event(), end=asyncio.Event())
        app = SharedSyncThread(get_asgi_application())
        if not chain:
            app.chain = None
        submitted = counted(app.executor)
        client = Client(app, "/two-frames/")
        await client.until(b"data: a\n\n")
        hops[chain] = len(submitted)
        client.gone.set()
        await asyncio.wait_for(client.task, 5)
        assert client.sent[0]["headers"].count((b"X-Frame-Options", b"DENY")) == 1
    # request_started's receivers, then each of the five hooks; or all in one.
    assert hops == {False: 6, True: 1}
