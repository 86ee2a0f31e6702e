"""Web push: notifications that reach a browser with no page of the site open.

- A browser subscribes through ``{% sse_push_button %}`` (the service worker
  ``push-worker.js`` and ``push.js``); ``subscribe()`` keeps the
  subscription if its push service is one of ``DJANGO_SSE_PUSH_SERVICES``
  (nothing else is ever posted to).
- ``notify()`` calls ``queue()`` in its transaction: one ``PushMessage`` per
  notification and subscription, for the recipients whose preferences have
  the push channel on and, with the "offline" policy, who have no page
  open (``UsersOnline``, written by every server process's hub).
- ``send_due()`` posts them outside any request: a background thread of the
  process that called ``notify()`` (woken at commit), every server
  process's hub when messages are overdue, or ``manage.py sse_send_push``.
  Each message is encrypted for its browser (RFC 8291, aes128gcm) and
  signed with the VAPID key (RFC 8292) by pywebpush. A subscription the
  push service says is gone (404, 410) is deleted; a refusal for a while
  (429, 5xx, no answer) is tried again later, up to ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import hashlib
import json
import threading
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from django_sse.conf import conf as core_conf
from django_sse.contrib.notifications import preferences, vapid
from django_sse.contrib.notifications.conf import conf
from django_sse.contrib.notifications.models import (
    Notification,
    PushMessage,
    PushSubscription,
    UsersOnline,
)
from django_sse.contrib.notifications.types import NotificationType
from django_sse.logs import log_event
from django_sse.presence import PROCESS
from django_sse.topics import user_topic

if TYPE_CHECKING:
    from django.db import models

    from django_sse.hub import Hub

BATCH = 100
CONCURRENCY = 8  # posts in flight at once per sender
TIMEOUT = 10.0  # seconds for one post to a push service
LEASE = timedelta(minutes=5)  # a claimed message another sender may take after
MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(seconds=30)  # doubled after each failed attempt
IDLE = 30.0  # the sender thread looks again this often
MAX_TEXT = 1000  # characters of a body in a push (payloads stay under 4 KB)
USER_PREFIX = user_topic("")


# -- configuration ----------------------------------------------------------

_vapid_cache: dict[str, Any] = {}


def enabled() -> bool:
    return bool(conf.DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY)


def _vapid() -> Any:
    key = conf.DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY
    if key not in _vapid_cache:
        _vapid_cache.clear()
        _vapid_cache[key] = vapid.load(key)
    return _vapid_cache[key]


def application_server_key() -> str | None:
    """The public key browsers subscribe with, or None without push."""
    return vapid.public_key(_vapid()) if enabled() else None


WORKER = Path(__file__).parent / "static" / "django_sse" / "push-worker.js"


@functools.cache
def worker_source() -> str:
    return WORKER.read_text()


# -- subscriptions ----------------------------------------------------------


def endpoint_problem(endpoint: Any) -> str | None:
    """Why a subscription's endpoint is refused, or None: it must be an
    address of one of ``DJANGO_SSE_PUSH_SERVICES``."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 1000:
        return "endpoint must be the push service's address (at most 1000 characters)."
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return "endpoint is not a valid address."
    host = parts.hostname or ""
    if parts.username or parts.password or not host:
        return "endpoint is not a valid address."
    for service in conf.DJANGO_SSE_PUSH_SERVICES:
        scheme, _, allowed = service.partition("://")
        allowed_host, _, allowed_port = allowed.partition(":")
        if scheme != parts.scheme or not _port_allowed(port, allowed_port, scheme):
            continue
        if host == allowed_host or (
            allowed_host.startswith("*.") and host.endswith(allowed_host[1:])
        ):
            return None
    return "endpoint is not on a push service this site sends to (DJANGO_SSE_PUSH_SERVICES)."


def _port_allowed(port: int | None, allowed: str, scheme: str) -> bool:
    """A service names its port (``host:8443``), or any (``host:*``, for a
    local test service); without one, only the scheme's own port."""
    if allowed == "*":
        return True
    if allowed:
        return str(port) == allowed
    return port in (None, 443 if scheme == "https" else 80)


def _key(value: Any, name: str, size: int) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise ValueError(f"keys.{name} must be a base64url string.")
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"keys.{name} must be a base64url string.") from None
    if len(raw) != size or (name == "p256dh" and raw[0] != 4):
        raise ValueError(
            f"keys.{name} must be {size} bytes"
            + (" (an uncompressed P-256 public key)." if name == "p256dh" else ".")
        )
    return value.rstrip("=")


def read_subscription(data: Any) -> dict[str, str]:
    """The fields of a browser's ``PushSubscription.toJSON()``; ValueError
    says what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("The subscription must be a JSON object.")
    problem = endpoint_problem(data.get("endpoint"))
    if problem:
        raise ValueError(problem)
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise ValueError("keys must be an object with p256dh and auth.")
    return {
        "endpoint": data["endpoint"],
        "p256dh": _key(keys.get("p256dh"), "p256dh", 65),
        "auth": _key(keys.get("auth"), "auth", 16),
    }


def session_hash(session_key: str | None) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest() if session_key else ""


class EndpointTaken(Exception):
    """A known endpoint, sent with other keys by another user."""


def subscribe(
    user: Any, data: Any, *, user_agent: str = "", session_key: str | None = None
) -> PushSubscription:
    """Keep a browser's subscription for ``user``. A browser belongs to
    whoever subscribed it last: its endpoint moves to them, but only with
    the keys it has (a browser that holds them); an endpoint alone, which
    another user may have seen, moves nothing (``EndpointTaken``)."""
    fields = read_subscription(data)
    known = PushSubscription.objects.filter(endpoint=fields["endpoint"]).first()
    if (
        known is not None
        and known.user_id != user.pk
        and (known.p256dh, known.auth) != (fields["p256dh"], fields["auth"])
    ):
        raise EndpointTaken("This push endpoint belongs to another subscription.")
    item, _ = PushSubscription.objects.update_or_create(
        endpoint=fields["endpoint"],
        defaults={
            "user": user,
            "p256dh": fields["p256dh"],
            "auth": fields["auth"],
            "user_agent": user_agent[:200],
            "session": session_hash(session_key),
        },
    )
    return item


def signed_out(session_key: str | None) -> int:
    """Forget the subscriptions made in a session that ended (the
    ``user_logged_out`` signal): the browser stops getting its user's pushes."""
    if not session_key:
        return 0
    deleted, _ = PushSubscription.objects.filter(session=session_hash(session_key)).delete()
    return deleted


def unsubscribe(user: Any, endpoint: Any) -> bool:
    deleted, _ = PushSubscription.objects.filter(user_id=user.pk, endpoint=endpoint).delete()
    return bool(deleted)


def renew(old: Any, new: Any) -> PushSubscription:
    """The service worker's ``pushsubscriptionchange``: replace the old
    subscription by the new one for the same user. The worker proves it
    holds the old one with its secret (``old.auth``), as no session or
    CSRF token reaches it. PermissionError if the old one is unknown."""
    if not isinstance(old, dict) or not isinstance(old.get("endpoint"), str):
        raise ValueError("old must be the previous subscription's endpoint and auth.")
    fields = read_subscription(new)
    with transaction.atomic():
        previous = (
            PushSubscription.objects.select_for_update()
            .filter(endpoint=old["endpoint"], auth=str(old.get("auth", "")).rstrip("="))
            .first()
        )
        if previous is None:
            raise PermissionError("No such subscription.")
        PushSubscription.objects.filter(endpoint=fields["endpoint"]).exclude(
            pk=previous.pk
        ).delete()
        for name, value in fields.items():
            setattr(previous, name, value)
        previous.save()
    return previous


def forget_on_sign_out(sender: Any, request: Any = None, **kwargs: Any) -> None:
    """``user_logged_out`` receiver (connected by the app)."""
    session = getattr(request, "session", None)
    if enabled() and session is not None:
        signed_out(session.session_key)


# -- who is online ----------------------------------------------------------


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


# -- queueing ---------------------------------------------------------------


def queue(
    notifications: list[Notification], kind: NotificationType | None, target: models.Model | None
) -> int:
    """In ``notify()``'s transaction: a message for each subscription of
    each recipient who takes this on the push channel (and, with the
    "offline" policy, has no page open). A bounded number of queries,
    however many recipients. Returns how many messages were queued."""
    if not enabled() or not notifications:
        return 0
    subscriptions: dict[Any, list[int]] = defaultdict(list)
    for pk, user_id in PushSubscription.objects.filter(
        user_id__in={n.recipient_id for n in notifications}
    ).values_list("pk", "user_id"):
        subscriptions[user_id].append(pk)
    if not subscriptions:  # nobody to push to: no more queries
        return 0
    ids = preferences.recipients(list(subscriptions), kind, "push", target)
    if ids and conf.DJANGO_SSE_PUSH_POLICY == "offline":
        online = online_users()
        ids = [uid for uid in ids if str(uid) not in online]
    subscriptions = {uid: subscriptions[uid] for uid in ids}
    messages = PushMessage.objects.bulk_create(
        [
            PushMessage(subscription_id=sub, notification_id=n.pk)
            for n in notifications
            for sub in subscriptions.get(n.recipient_id, ())
        ],
        batch_size=1000,
    )
    if messages and conf.DJANGO_SSE_PUSH_SENDER == "thread":
        transaction.on_commit(sender.wake, using=router.db_for_write(PushMessage))
    return len(messages)


# -- sending ----------------------------------------------------------------


def payload(notification: Notification) -> bytes:
    """What the service worker shows (``push-worker.js``)."""
    body = notification.body
    if len(body) > MAX_TEXT:
        body = body[: MAX_TEXT - 1] + "…"
    return json.dumps(
        {
            "id": notification.pk,
            "title": notification.title,
            "body": body,
            "level": notification.level,
            "url": notification.url,
            "tag": notification.collapse_key or f"sse-{notification.pk}",
        },
        ensure_ascii=False,
    ).encode()


_sessions = threading.local()


def _post(info: dict[str, Any], data: bytes, topic: str) -> tuple[str, str]:
    """Post one message; (outcome, detail): "sent", "gone" (the
    subscription no longer exists), "retry" or "drop"."""
    import requests
    from pywebpush import WebPushException, webpush

    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = requests.Session()
        # A push service answers; it never sends the message elsewhere: a
        # redirect (to an address outside DJANGO_SSE_PUSH_SERVICES) fails.
        session.max_redirects = 0
    try:
        webpush(
            info,
            data=data.decode(),
            vapid_private_key=_vapid(),
            vapid_claims={"sub": conf.DJANGO_SSE_PUSH_VAPID_SUBJECT},
            ttl=conf.DJANGO_SSE_PUSH_TTL,
            timeout=TIMEOUT,
            headers={"Topic": topic, "Urgency": "normal"},
            requests_session=session,
        )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        detail = f"{status} from the push service" if status else str(exc)[:300]
        if status in (404, 410):
            return "gone", detail
        if status is None or status == 429 or status >= 500:
            return "retry", detail
        return "drop", detail
    except requests.TooManyRedirects:
        return "drop", "the push service answered with a redirect, which is not followed"
    except requests.RequestException as exc:
        return "retry", f"{type(exc).__name__}: {str(exc)[:250]}"
    return "sent", ""


def _claim(now: Any) -> list[PushMessage]:
    due = list(
        PushMessage.objects.filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    if not due:
        return []
    token = uuid.uuid4().hex
    PushMessage.objects.filter(pk__in=due, next_attempt_at__lte=now).update(
        next_attempt_at=now + LEASE, claim=token
    )
    return list(
        PushMessage.objects.filter(claim=token).select_related("subscription", "notification")
    )


def send_due() -> int:
    """Send one batch of due messages; returns how many were taken (0:
    nothing is due). Safe with any number of senders at once."""
    now = timezone.now()
    claimed = _claim(now)
    if not claimed:
        return 0
    # Read or dismissed since it was queued (a retry, or another tab): not pushed.
    stale = [m.pk for m in claimed if m.notification.read_at or m.notification.deleted]
    PushMessage.objects.filter(pk__in=stale).delete()
    batch = [m for m in claimed if m.pk not in stale]
    with ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="sse-push") as pool:
        outcomes = list(
            pool.map(
                lambda m: _post(m.subscription.info(), payload(m.notification), f"n{m.pk}"),
                batch,
            )
        )
    sent, gone = [], []
    for message, (outcome, detail) in zip(batch, outcomes, strict=True):
        if outcome == "sent":
            sent.append(message)
        elif outcome == "gone":
            gone.append(message.subscription_id)
        elif outcome == "retry" and message.attempts + 1 < MAX_ATTEMPTS:
            message.attempts += 1
            message.next_attempt_at = now + RETRY_AFTER * 2 ** (message.attempts - 1)
            message.claim, message.last_error = "", detail
            message.save(update_fields=["attempts", "next_attempt_at", "claim", "last_error"])
        else:
            message.delete()
            log_event(
                "sse.push.dropped",
                "a push service refused a message; it is not sent",
                notification=message.notification_id,
                service=message.subscription.service,
                detail=detail,
            )
    # Together: a message is never seen gone with its subscription's
    # last_sent_at not yet set.
    with transaction.atomic(using=router.db_for_write(PushMessage)):
        PushMessage.objects.filter(pk__in=[m.pk for m in sent]).delete()
        PushSubscription.objects.filter(pk__in={m.subscription_id for m in sent}).update(
            last_sent_at=timezone.now()
        )
        if gone:
            PushSubscription.objects.filter(pk__in=gone).delete()
    return len(claimed)


def send_all() -> int:
    """Send every message due now; returns how many were taken."""
    total = 0
    while taken := send_due():
        total += taken
    return total


def overdue() -> bool:
    return PushMessage.objects.filter(next_attempt_at__lte=timezone.now()).exists()


def next_due_in() -> float | None:
    """Seconds until the next message is due, or None if none waits."""
    first = PushMessage.objects.order_by("next_attempt_at").values_list(
        "next_attempt_at", flat=True
    )[:1]
    if not first:
        return None
    return max(0.0, (first[0] - timezone.now()).total_seconds())


def wake_if_overdue() -> None:
    """Run by every server process's hub: wake this process's sender when
    messages wait (their process stopped before sending, or a retry is due)."""
    if enabled() and conf.DJANGO_SSE_PUSH_SENDER == "thread" and overdue():
        sender.wake()


class Sender:
    """One daemon thread per process that sends while messages are due."""

    def __init__(self) -> None:
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sse-push", daemon=True)
                self._thread.start()
        self._wanted.set()

    def _run(self) -> None:
        wait: float | None = 0.0
        while True:
            self._wanted.wait(wait)
            self._wanted.clear()
            try:
                send_all()
                # Retries come due later: look again then (or when woken).
                wait = next_due_in()
                wait = None if wait is None else min(max(wait, 1.0), IDLE)
            except Exception:
                log_event("sse.push.failed", "could not send web pushes", exc_info=True)
                wait = IDLE
            finally:
                connections.close_all()


sender = Sender()
