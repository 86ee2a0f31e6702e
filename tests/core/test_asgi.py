"""SharedSyncThread: which requests share one thread for their sync code."""

import threading

from asgiref.sync import sync_to_async

from django_sse.asgi import SharedSyncThread


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
    for path in paths * 2:
        await wrapped({"type": "http", "path": path, "root_path": ""}, None, None)

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
