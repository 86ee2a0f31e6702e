from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from typing import Any

from django.db import connections

from django_sse import unlogged
from django_sse.brokers.base import Broker
from django_sse.conf import conf
from django_sse.logs import describe, log_event

CHANNEL = "django_sse"
# How often an idle listener checks that its connection is alive (and
# wakes the hub once, as a safety net against a lost notification).
LIVENESS_INTERVAL = 10.0


_ASYNC_COMMIT = "set_config('synchronous_commit', 'off', true), "


def listener_params() -> dict[str, Any]:
    """psycopg 3 connection arguments for the event log's database."""
    params = connections[conf.DJANGO_SSE_DATABASE].get_connection_params()
    for key in ("cursor_factory", "context", "prepare_threshold", "pool", "server_side_binding"):
        params.pop(key, None)
    params.setdefault("application_name", "django-sse listener")
    return params


class PostgresBroker(Broker):
    """One dedicated autocommit connection per process that LISTENs on
    ``django_sse``. PostgreSQL delivers a notification only when the
    publishing transaction commits, from any process sharing the database.

    If the connection drops, the broker reconnects with exponential backoff
    (with jitter) and wakes the hub right after LISTEN is back, so the hub
    reads every event committed while it was away.
    """

    name = "postgres"
    listens = True
    carries_events = True

    def __init__(self, hub: Any) -> None:
        super().__init__(hub)
        self.backend_pid: int | None = None

    @staticmethod
    def send_unlogged(alias: str, messages: Sequence[str]) -> None:
        """NOTIFY in the caller's transaction: PostgreSQL delivers it to
        every listener at commit, in commit order, and drops it on rollback.

        Outside ``atomic()`` the statement is a transaction of its own that
        holds nothing but the notifications: it does not wait for its
        commit to reach the disk (``synchronous_commit`` off for it alone;
        a notification is not kept across a crash anyway). Inside the
        caller's transaction, their setting stands."""
        for message in messages:
            unlogged.check_size(message, "postgres")
        connection = connections[alias]
        alone = not connection.in_atomic_block
        if len(messages) == 1:
            notify = "pg_notify(%s, %s)"
            params = [CHANNEL, messages[0]]
        else:
            # One JSON array for the batch: one parameter to adapt, not one per event.
            notify = (
                "pg_notify(%s, m) FROM json_array_elements_text(%s) WITH ORDINALITY AS t(m, n)"
                " ORDER BY n"
            )
            params = [CHANNEL, json.dumps(list(messages), ensure_ascii=False)]
        sql = f"SELECT {_ASYNC_COMMIT}{notify}" if alone else f"SELECT {notify}"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    async def run(self) -> None:
        import psycopg

        params = await asyncio.to_thread(listener_params)
        backoff = 0.1
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(**params, autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.went_up()
                    self.backend_pid = conn.info.backend_pid
                    backoff = 0.1
                    self.hub.wake()  # catch up on what committed while away
                    await self._listen(conn)
            except psycopg.Error as exc:
                log_event(
                    "sse.listener.lost",
                    "the broker's listener lost its connection; reconnecting",
                    broker=self.name,
                    reason=describe(exc),
                )
            finally:
                self.went_down()
            await asyncio.sleep(backoff * (0.5 + random.random()))
            backoff = min(backoff * 2, 5.0)

    async def _listen(self, conn: Any) -> None:
        """Hand each notification to the hub as its bytes arrive, and check
        the connection every ``LIVENESS_INTERVAL``; returns only by raising.

        A reader on the connection's socket, not psycopg's ``notifies()``:
        that wakes every 0.1 s to look, 10 rounds of the event loop a second
        in every idle server process (bench/RESULTS.md, run 31)."""
        loop = asyncio.get_running_loop()
        pgconn, fd, encoding = conn.pgconn, conn.pgconn.socket, conn.info.encoding
        lost: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            try:
                pgconn.consume_input()
            except Exception as exc:  # the connection is gone
                loop.remove_reader(fd)
                if not lost.done():
                    lost.set_exception(exc)
                return
            while (notify := pgconn.notifies()) is not None:
                self._received(notify.extra.decode(encoding))

        # Those read while the liveness query runs reach the same place.
        conn.add_notify_handler(lambda notify: self._received(notify.payload))
        while True:
            loop.add_reader(fd, readable)
            try:
                await asyncio.wait([lost], timeout=LIVENESS_INTERVAL)
            finally:
                loop.remove_reader(fd)
            if lost.done():
                lost.result()  # raises what broke the connection
            await conn.execute("SELECT 1")
            self.hub.wake()

    def _received(self, payload: str) -> None:
        if payload:  # an unlogged event (the trigger's are empty)
            self.hub.deliver_unlogged(payload)
        else:
            self.hub.wake()
