"""End to end: real uvicorn and daphne processes, real PostgreSQL, events
published from other processes, read over HTTP through the WHATWG parser."""

import asyncio
import threading
import time

import httpx
import psycopg
import pytest
from asgiref.sync import sync_to_async
from django.db import connection, transaction

from django_sse import publish, publish_many
from tests.servers import manage, open_stream

pytestmark = pytest.mark.django_db(transaction=True)


async def test_event_from_another_process_reaches_the_stream(each_server):
    async with open_stream(f"{each_server.url}/sse/stream/?topics=orders,news") as stream:
        assert stream.response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert stream.response.headers["x-accel-buffering"] == "no"
        await stream.wait_cursor()
        out = await asyncio.to_thread(
            manage,
            each_server.db_url,
            "sse_publish",
            "orders",
            "--event",
            "order-created",
            "--data",
            '{"id": 7}',
        )
        [event] = await stream.events(1)
        assert (event.type, event.json()) == ("order-created", {"id": 7})
        event_id = event.last_event_id.split()[0]
        assert event.last_event_id == f"{event_id} orders"
        assert out.strip() == f"Published event {event_id} to 'orders' (order-created)."


async def test_replay_100_missed_events_in_order_once_then_live(each_server):
    async with open_stream(f"{each_server.url}/sse/stream/?topics=news") as stream:
        cursor = await stream.wait_cursor()
    ids = await sync_to_async(publish_many)(("news", i, "n") for i in range(100))
    headers = {"Last-Event-ID": cursor}
    async with open_stream(f"{each_server.url}/sse/stream/?topics=news", headers=headers) as stream:
        events = await stream.events(100)
        assert [e.json() for e in events] == list(range(100))
        assert [e.last_event_id for e in events] == [f"{i} news" for i in ids]
        live = await sync_to_async(publish)("news", "live")
        [event] = await stream.events(1)
        assert (event.data, event.last_event_id) == ("live", f"{live} news")
        assert await stream.silence(0.3) == []


async def test_rolled_back_event_is_never_delivered(each_server):
    @sync_to_async
    def rolled_back():
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            publish("orders", "rolled back")
            raise ZeroDivisionError

    async with open_stream(f"{each_server.url}/sse/stream/?topics=orders") as stream:
        await stream.wait_cursor()
        await rolled_back()
        await sync_to_async(publish)("orders", "committed")
        [event] = await stream.events(1)
        assert event.data == "committed"


async def test_gzip_middleware_does_not_buffer_the_stream(uvicorn_server):
    url = f"{uvicorn_server.url}/sse/stream/?topics=news"
    async with open_stream(url, headers={"Accept-Encoding": "gzip"}) as stream:
        assert "content-encoding" not in stream.response.headers
        await stream.wait_cursor()
        await sync_to_async(publish)("news", "fresh")
        [event] = await stream.events(1, timeout=3)
        assert event.data == "fresh"


async def test_reconnecting_client_gets_an_event_that_committed_out_of_order(uvicorn_server):
    """The client sees the cursor move only over final ids: after T2 (higher
    id) commits while T1 (lower id) is open, a reconnect still gets both."""
    params = {"host": "127.0.0.1", "user": "postgres", "dbname": connection.settings_dict["NAME"]}
    url = f"{uvicorn_server.url}/sse/stream/?topics=orders"
    t1 = await psycopg.AsyncConnection.connect(**params)
    t2 = await psycopg.AsyncConnection.connect(**params)
    sql = (
        "INSERT INTO django_sse_event (topic, event, data, created_at)"
        " VALUES ('orders', '', %s, now()) RETURNING id"
    )
    try:
        async with open_stream(url) as stream:
            await stream.wait_cursor()
            first = (await (await t1.execute(sql, ["first"])).fetchone())[0]
            second = (await (await t2.execute(sql, ["second"])).fetchone())[0]
            await t2.commit()
            assert await stream.silence(0.5) == []
            seen = stream.last_event_id
        assert int(seen) < first
        await t1.commit()
        async with open_stream(url, headers={"Last-Event-ID": seen}) as stream:
            events = await stream.events(2)
        assert [e.last_event_id for e in events] == [f"{first} orders", f"{second} orders"]
    finally:
        await t1.close()
        await t2.close()


async def test_listener_killed_repeatedly_while_publishing_10000_loses_nothing(
    uvicorn_server, staff_cookies
):
    total = 10_000
    async with open_stream(f"{uvicorn_server.url}/sse/stream/?topics=load") as stream:
        await stream.wait_cursor()
        stop = threading.Event()

        def publisher():
            try:
                for i in range(total):  # one transaction each
                    publish("load", i)
            finally:
                stop.set()
                connection.close()

        def killer():
            with psycopg.connect(
                host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
            ) as conn:
                kills = 0
                while not stop.is_set():
                    kills += conn.execute(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE application_name = 'django-sse listener' AND datname = %s",
                        [connection.settings_dict["NAME"]],
                    ).fetchone()[0]
                    time.sleep(0.2)
                return kills

        killing = asyncio.create_task(asyncio.to_thread(killer))
        await sync_to_async(publisher, thread_sensitive=False)()
        kills = await killing
        events = await stream.events(total, timeout=60)
        assert [e.json() for e in events] == list(range(total))
        assert kills >= 3
        assert await stream.silence(0.3) == []
    async with httpx.AsyncClient(cookies=staff_cookies) as http:
        stats = (await http.get(f"{uvicorn_server.url}/sse/stats/")).json()
    assert stats["broker_connected"] is True


async def test_subscribers_drop_to_zero_after_clients_leave(server, staff_cookies):
    async with httpx.AsyncClient(cookies=staff_cookies) as http:

        async def streams() -> int:
            return (await http.get(f"{server.url}/sse/stats/")).json()["streams"]

        async def drained() -> None:
            async with asyncio.timeout(5):
                while await streams() != 0:
                    await asyncio.sleep(0.05)

        await drained()  # streams of earlier tests on this shared server

        async with (
            open_stream(f"{server.url}/sse/stream/?topics=a,b") as one,
            open_stream(f"{server.url}/sse/stream/?topics=a") as two,
        ):
            await one.wait_cursor()
            await two.wait_cursor()
            assert await streams() == 2
        await drained()


async def test_notification_from_another_process_reaches_only_its_recipient(uvicorn_server):
    from django.test import Client

    from tests.users import User

    @sync_to_async
    def sessions():
        cookies = {}
        for name in ("alice", "bob"):
            client = Client()
            client.force_login(User.objects.create_user(name))
            cookies[name] = {"sessionid": client.cookies["sessionid"].value}
        return cookies

    cookies = await sessions()
    url = f"{uvicorn_server.url}/sse/notifications/"
    async with (
        open_stream(url, cookies=cookies["alice"]) as alice,
        open_stream(url, cookies=cookies["bob"]) as bob,
    ):
        await alice.wait_cursor()
        await bob.wait_cursor()
        await asyncio.to_thread(manage, uvicorn_server.db_url, "sse_notify", "alice", "For Alice")
        created, count = await alice.events(2)
        assert (created.type, created.json()["title"]) == ("notification", "For Alice")
        assert (count.type, count.json()) == ("unread-count", {"unread_count": 1})
        assert await bob.silence(0.5) == []


async def test_large_payload_travels_whole(uvicorn_server, settings):
    # Far over NOTIFY's 8000-byte limit, and over the client buffer's 256 KiB.
    settings.DJANGO_SSE_MAX_EVENT_BYTES = 400_000
    big = {"blob": "x" * 300_000, "n": 1}
    async with open_stream(f"{uvicorn_server.url}/sse/stream/?topics=big") as stream:
        await stream.wait_cursor()
        await sync_to_async(publish)("big", big)
        [event] = await stream.events(1)
        assert event.json() == big


def test_sse_tail_prints_the_stream_of_a_topic(test_db_url):
    first = publish("tail", {"a": 1}, event="one")
    publish("tail", "two")
    out = manage(test_db_url, "sse_tail", "tail", "--after", str(first - 1), "--count", "2")
    assert f'id: {first} tail\nevent: one\ndata: {{"a":1}}\n' in out
    assert "data: two\n" in out


async def test_streams_hold_neither_a_thread_nor_a_database_connection_each(each_server):
    import psutil
    from django.test import Client

    from tests.users import User

    @sync_to_async
    def cookie():
        client = Client()
        client.force_login(User.objects.create_user("many"))
        return {"sessionid": client.cookies["sessionid"].value}

    @sync_to_async
    def server_connections() -> int:
        with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres") as conn:
            return conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                [connection.settings_dict["NAME"]],
            ).fetchone()[0]

    cookies = await cookie()
    server_process = psutil.Process(each_server.process.pid)
    async with open_stream(f"{each_server.url}/sse/notifications/", cookies=cookies) as s:
        await s.wait_cursor()  # the hub and its reader threads are running
    before = await server_connections()
    threads_before = server_process.num_threads()
    url = f"{each_server.url}/sse/notifications/"
    streams = [open_stream(url, cookies=cookies) for _ in range(15)]
    opened = [await s.__aenter__() for s in streams]
    try:
        for s in opened:
            await s.wait_cursor()
        # Django would keep one thread and one connection per request.
        assert await server_connections() - before <= 3
        assert server_process.num_threads() - threads_before <= 3
    finally:
        for s in streams:
            await s.__aexit__(None, None, None)


async def test_private_topics_are_refused_through_a_real_server(each_server):
    """Over HTTP, with Django's handler (uvicorn) and behind SharedSyncThread (daphne)."""
    from django.test import Client

    from tests.users import User

    @sync_to_async
    def signed_in() -> tuple[dict[str, str], int]:
        alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
        client = Client()
        client.force_login(alice)
        return {"sessionid": client.cookies["sessionid"].value}, bob.pk

    cookies, bob = await signed_in()
    async with httpx.AsyncClient(base_url=each_server.url, timeout=10) as http:
        anonymous = await http.get(f"/sse/stream/?topics=user:{bob}")
    async with httpx.AsyncClient(base_url=each_server.url, timeout=10, cookies=cookies) as http:
        other = await http.get(f"/sse/stream/?topics=user:{bob}")
    assert anonymous.status_code == 401 and "error" in anonymous.json()
    assert other.status_code == 403 and "error" in other.json()
