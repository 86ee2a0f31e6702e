"""Web push messages: queued in ``notify()``'s transaction, then posted
outside any request (a thread of the process that queued them, every
hub when they are overdue, or ``manage.py sse_send_push``), encrypted for
each browser (RFC 8291) and signed with the VAPID key (RFC 8292) by
pywebpush; retried with backoff, given up after ``MAX_ATTEMPTS``."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import router, transaction
from django.utils import timezone

from django_sse.contrib.notifications import outbox, preferences
from django_sse.contrib.notifications.conf import conf
from django_sse.contrib.notifications.models import (
    Notification,
    PushMessage,
    PushSubscription,
)
from django_sse.contrib.notifications.types import NotificationType
from django_sse.logs import log_event

if TYPE_CHECKING:
    from django.db import models

from django_sse.contrib.notifications.push.keys import enabled, signing_key
from django_sse.contrib.notifications.push.online import online_users

CONCURRENCY = 8  # posts in flight at once per sender


TIMEOUT = 10.0  # seconds for one post to a push service


MAX_TEXT = 1000  # characters of a body in a push (payloads stay under 4 KB)


def queue(
    notifications: list[Notification],
    kind: NotificationType | None,
    target: models.Model | None,
    waits: dict[Any, datetime] | None = None,
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
    now = timezone.now()  # or, in the user's quiet hours (``waits``), when they end
    messages = PushMessage.objects.bulk_create(
        [
            PushMessage(
                subscription_id=sub,
                notification_id=n.pk,
                next_attempt_at=(waits or {}).get(n.recipient_id, now),
            )
            for n in notifications
            for sub in subscriptions.get(n.recipient_id, ())
        ],
        batch_size=1000,
    )
    if messages and conf.DJANGO_SSE_PUSH_SENDER == "thread":
        transaction.on_commit(sender.wake, using=router.db_for_write(PushMessage))
    return len(messages)


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
            vapid_private_key=signing_key(),
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


def send_due() -> int:
    """Send one batch of due messages; returns how many were taken (0:
    nothing is due). Safe with any number of senders at once."""
    claimed = outbox.claim(PushMessage, ("subscription", "notification"))
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
        elif outcome == "retry" and outbox.retry_later(message, detail):
            pass
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
    return outbox.drain(send_due)


def wake_if_overdue() -> None:
    """Run by every server process's hub: wake this process's sender when
    messages wait (their process stopped before sending, or a retry is due)."""
    if enabled() and conf.DJANGO_SSE_PUSH_SENDER == "thread" and outbox.overdue(PushMessage):
        sender.wake()


sender = outbox.Sender("sse-push", PushMessage, send_all)
