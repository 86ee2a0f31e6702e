"""Who has a page open: every server process's hub writes the users of
its streams (``UsersOnline``), so the "offline" push policy skips them."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError
from django.utils import timezone

from django_sse.conf import conf as core_conf
from django_sse.contrib.notifications.conf import conf
from django_sse.contrib.notifications.models import UsersOnline
from django_sse.contrib.notifications.push.keys import enabled
from django_sse.logs import log_event
from django_sse.presence import PROCESS
from django_sse.topics import user_topic

if TYPE_CHECKING:
    from django_sse.hub import Hub


USER_PREFIX = user_topic("")


def _write_online(users: list[str]) -> None:
    # One statement each, no read-then-write transaction: on SQLite that
    # would wait for, and deadlock with, the presence row's write.
    fields = {"users": users, "updated_at": timezone.now()}
    if not UsersOnline.objects.filter(process=PROCESS).update(**fields):
        with contextlib.suppress(IntegrityError):  # written meanwhile
            UsersOnline.objects.create(process=PROCESS, **fields)


def _clear_online() -> None:
    UsersOnline.objects.filter(process=PROCESS).delete()


def online_users() -> set[str]:
    """The pks (as text) of users with a notifications stream open in any
    server process (fresh rows only)."""
    horizon = timezone.now() - timedelta(seconds=3 * core_conf.DJANGO_SSE_PRESENCE_INTERVAL)
    online: set[str] = set()
    for users in UsersOnline.objects.filter(updated_at__gte=horizon).values_list(
        "users", flat=True
    ):
        online.update(users)
    return online


async def users_online_loop(hub: Hub) -> None:
    """A hub task: keep this process's ``UsersOnline`` row fresh while push
    runs with the "offline" policy; remove it when the hub stops."""
    written = False
    try:
        while True:
            if enabled() and conf.DJANGO_SSE_PUSH_POLICY == "offline":
                users = [
                    topic[len(USER_PREFIX) :]
                    for topic in hub.topic_counts()
                    if topic.startswith(USER_PREFIX)
                ]
                try:
                    await hub.query(_write_online, users)
                    written = True
                except Exception:
                    log_event(
                        "sse.push.online_failed",
                        "could not record the users online for web push",
                        exc_info=True,
                    )
            await asyncio.sleep(core_conf.DJANGO_SSE_PRESENCE_INTERVAL)
    finally:
        if written:
            with contextlib.suppress(Exception):
                await asyncio.shield(hub.query(_clear_online))
