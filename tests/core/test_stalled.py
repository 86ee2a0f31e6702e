"""Clients that never read: their streams are cut, memory stays bounded.
Raw sockets with a small receive buffer against a real uvicorn (which
applies backpressure: a write waits until the socket drains)."""

from __future__ import annotations

import asyncio
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest
from asgiref.sync import sync_to_async

from django_sse import publish_many
from tests.servers import Server

pytestmark = pytest.mark.django_db(transaction=True)


def never_reading_client(url: str, path: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((parts.hostname, parts.port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
    return sock


async def open_streams(server: Server, cookies: dict[str, str]) -> int:
    async with httpx.AsyncClient(base_url=server.url, cookies=cookies, timeout=10) as http:
        return (await http.get("/sse/stats/")).json()["streams"]


async def until(condition, timeout: float) -> float:
    started = time.monotonic()
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.1)
    return time.monotonic() - started


@pytest.mark.parametrize(
    "limits",
    [
        {"DJANGO_SSE_SEND_TIMEOUT": "1"},  # cut after 1 s of taking nothing in
        {"DJANGO_SSE_SEND_TIMEOUT": "600", "DJANGO_SSE_MAX_DURATION": "2"},  # lifetime holds
        {"DJANGO_SSE_SEND_TIMEOUT": "600", "DJANGO_SSE_IDLE_TIMEOUT": "2"},  # idle limit holds
    ],
    ids=["send-timeout", "max-duration-while-blocked", "idle-timeout-while-blocked"],
)
async def test_a_client_that_reads_nothing_is_cut(test_db_url, staff_cookies, limits):
    server = Server("uvicorn", test_db_url, **limits).start()
    socks = []
    try:
        payload = "x" * 2000
        # 6 MB of history to replay (the replay's writes block) ...
        await sync_to_async(publish_many)([("history", payload, "")] * 3000)
        socks.append(
            never_reading_client(server.url, "/sse/stream/?topics=history&last_event_id=0")
        )
        socks.append(never_reading_client(server.url, "/sse/stream/?topics=flood"))
        await until(lambda: _equals(open_streams(server, staff_cookies), 2), 10)
        # ... and 6 MB of live events.
        await sync_to_async(publish_many)([("flood", payload, "")] * 3000)
        took = await until(lambda: _equals(open_streams(server, staff_cookies), 0), 15)
        assert took < 8
        # The server ended the responses: the sockets reach EOF.
        for sock in socks:
            sock.settimeout(10)
            while sock.recv(1 << 16):
                pass
    finally:
        for sock in socks:
            sock.close()
        server.stop()


async def _equals(value, expected) -> bool:
    return await value == expected
