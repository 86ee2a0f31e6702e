"""Chat messages: queued in ``notify()``'s transaction, posted outside any
request (the outbox), in the services' documented payloads."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import router, transaction
from django.utils import timezone

from django_sse.contrib.notifications import outbox, preferences
from django_sse.contrib.notifications.addresses import on_list
from django_sse.contrib.notifications.conf import conf
from django_sse.contrib.notifications.models import ChatMessage, ChatWebhook, Notification
from django_sse.contrib.notifications.types import NotificationType
from django_sse.logs import log_event

if TYPE_CHECKING:
    from django.db import models

TIMEOUT = 10.0  # seconds for one post
MAX_TEXT = 2000  # characters of a body in a chat message
SERVICES = {choice.value for choice in ChatWebhook.Service}


def webhook_problem(service: Any, url: Any) -> str | None:
    """Why a webhook is refused, or None."""
    if service not in SERVICES:
        return f"service must be one of {', '.join(sorted(SERVICES))}."
    if not isinstance(url, str) or not url or len(url) > 500:
        return "url must be the webhook's address (at most 500 characters)."
    if not on_list(url, conf.DJANGO_SSE_CHAT_SERVICES):
        return "url is not a Slack or Teams webhook this site posts to (DJANGO_SSE_CHAT_SERVICES)."
    return None


def add_webhook(user: Any, service: Any, url: Any) -> ChatWebhook:
    """The user's own webhook (``ValueError`` saying why it is refused)."""
    problem = webhook_problem(service, url)
    if problem:
        raise ValueError(problem)
    webhook, _ = ChatWebhook.objects.get_or_create(user=user, service=service, url=url)
    return webhook


def queue(
    notifications: list[Notification],
    kind: NotificationType | None,
    target: models.Model | None,
    team: Any = None,
    waits: dict[Any, datetime] | None = None,
) -> int:
    """In ``notify()``'s transaction: a message to each webhook of each
    recipient who takes this on the chat channel, and, for a notification
    sent to a group (``team``), one to each of the group's webhooks.
    A user's messages wait until their quiet hours end (``waits``).
    Returns how many were queued."""
    if not notifications:
        return 0
    hooks: dict[Any, list[int]] = defaultdict(list)
    for pk, user_id in ChatWebhook.objects.filter(
        user_id__in={n.recipient_id for n in notifications}
    ).values_list("pk", "user_id"):
        hooks[user_id].append(pk)
    messages = []
    if hooks:
        takers = set(preferences.recipients(list(hooks), kind, "chat", target))
        now = timezone.now()
        messages += [
            ChatMessage(
                webhook_id=hook,
                notification_id=n.pk,
                next_attempt_at=(waits or {}).get(n.recipient_id, now),
            )
            for n in notifications
            if n.recipient_id in takers
            for hook in hooks[n.recipient_id]
        ]
    if team is not None and (kind is None or "chat" in kind.channels):
        messages += [
            ChatMessage(webhook_id=hook, notification_id=notifications[0].pk)
            for hook in ChatWebhook.objects.filter(group=team).values_list("pk", flat=True)
        ]
    ChatMessage.objects.bulk_create(messages, batch_size=1000)
    if messages:
        transaction.on_commit(sender.wake, using=router.db_for_write(ChatMessage))
    return len(messages)


def _link(notification: Notification) -> str:
    url = notification.url
    if url.startswith("/") and conf.DJANGO_SSE_SITE_URL:
        return f"{conf.DJANGO_SSE_SITE_URL}{url}"
    return url if url.startswith(("https://", "http://")) else ""


def _body(notification: Notification) -> str:
    body = notification.body
    return body if len(body) <= MAX_TEXT else body[: MAX_TEXT - 1] + "…"


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn: these three are control characters; nothing else is.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(service: str, notification: Notification) -> dict[str, Any]:
    """What the service is sent for ``notification``."""
    title, body, link = notification.title, _body(notification), _link(notification)
    if service == ChatWebhook.Service.SLACK:
        text = f"*{_slack_escape(title)}*"
        if body:
            text += f"\n{_slack_escape(body)}"
        if link:
            text += f"\n<{_slack_escape(link).replace('|', '%7C')}|Open>"
        return {
            "text": title,  # the notification's text where blocks are not shown
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True}],
    }
    if body:
        card["body"].append({"type": "TextBlock", "text": body, "wrap": True})
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open", "url": link}]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx becomes an HTTPError: never posted elsewhere


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: dict[str, Any]) -> tuple[str, str]:
    """Post one message: ("sent" | "gone" | "retry" | "drop", detail)."""
    if not on_list(url, conf.DJANGO_SSE_CHAT_SERVICES):  # the list may have changed
        return "drop", "the webhook is no longer on DJANGO_SSE_CHAT_SERVICES"
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            response.read(1000)
    except urllib.error.HTTPError as exc:
        detail = f"{exc.code} from the webhook: {exc.read(200).decode(errors='replace')}"
        if exc.code in (404, 410):
            return "gone", detail
        if exc.code == 429 or exc.code >= 500:
            return "retry", detail
        return "drop", detail
    except (urllib.error.URLError, OSError) as exc:
        return "retry", f"{type(exc).__name__}: {str(exc)[:250]}"
    return "sent", ""


def send_due() -> int:
    """Post one batch of due messages; how many were taken (0: none due)."""
    claimed = outbox.claim(ChatMessage, ("webhook", "notification"))
    stale = [m.pk for m in claimed if m.notification.deleted]  # dismissed meanwhile
    ChatMessage.objects.filter(pk__in=stale).delete()
    sent, gone = [], set()
    for message in (m for m in claimed if m.pk not in stale):
        hook = message.webhook
        outcome, detail = post(hook.url, payload(hook.service, message.notification))
        if outcome == "sent":
            sent.append(message)
        elif outcome == "gone":
            gone.add(hook.pk)
        elif not (outcome == "retry" and outbox.retry_later(message, detail)):
            message.delete()
            log_event(
                "sse.chat.dropped",
                "a chat webhook refused a message; it is not sent",
                notification=message.notification_id,
                service=hook.service,
                host=hook.host,
                detail=detail,
            )
    with transaction.atomic(using=router.db_for_write(ChatMessage)):
        ChatMessage.objects.filter(pk__in=[m.pk for m in sent]).delete()
        ChatWebhook.objects.filter(pk__in={m.webhook_id for m in sent}).update(
            last_sent_at=timezone.now()
        )
        if gone:  # removed or disabled in Slack or Teams: its messages go with it
            log_event(
                "sse.chat.gone",
                "a chat webhook no longer exists; it is removed",
                webhooks=",".join(map(str, sorted(gone))),
            )
            ChatWebhook.objects.filter(pk__in=gone).delete()
    return len(claimed)


def send_all() -> int:
    """Post every message due now; how many were taken."""
    return outbox.drain(send_due)


def wake_if_overdue() -> None:
    """Every server process's hub: messages left behind are sent."""
    if outbox.overdue(ChatMessage):
        sender.wake()


sender = outbox.Sender("sse-chat", ChatMessage, send_all)
