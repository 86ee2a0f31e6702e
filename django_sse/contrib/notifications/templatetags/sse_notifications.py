"""``{% load sse_notifications %}``: the live notification bell."""

from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import urlencode

from django import template
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from django_sse.contrib.notifications.models import Notification
from django_sse.topics import group_topic, user_topic
from django_sse.widgets import script_html, signed_in_user

register = template.Library()
_panels = itertools.count(1)  # ids unique within a process, for aria-controls


def notifications_html(
    context: Any,
    limit: int = 10,
    *,
    title: bool = True,
    favicon: bool = True,
    desktop: bool = False,
    sound: bool = False,
) -> SafeString:
    """The bell: unread count and latest items rendered server-side (no
    flash of 0), then kept live by notifications.js. Empty for anonymous
    users. ``title`` and ``favicon`` show the unread count in the page's
    title and icon; ``desktop`` offers system notifications (asked for only
    on a click); ``sound`` plays a short tone on arrival."""
    request = context.get("request")
    user = signed_in_user(request)
    if user is None:
        return mark_safe("")
    mine = Notification.objects.filter(recipient=user)
    items = list(mine.active().order_by("-id")[:limit])
    html = render_to_string(
        "django_sse/notifications.html",
        {
            "topic": user_topic(user),
            "api_url": reverse("django_sse:notifications-list"),
            "csrf_token": get_token(request),
            "unread_count": mine.unread_count(),
            "badge_count": mine.badge_count(),
            "items": items,
            "panel_id": f"sse-bell-panel-{next(_panels)}",
            "labels": json.dumps(
                {
                    "markRead": gettext("Mark read"),
                    "markUnread": gettext("Mark unread"),
                    "dismiss": gettext("Dismiss"),
                    "archive": gettext("Archive"),
                    "snooze": gettext("Snooze 1 h"),
                    "watch": gettext("Watch"),
                    "watching": gettext("Watching"),
                    "mute": gettext("Mute"),
                    "muted": gettext("Muted for a day"),
                    "unread": gettext("Notifications, {count} unread"),
                    **{level: str(label) for level, label in Notification.Level.choices},
                }
            ),
            "title": title,
            "favicon": favicon,
            "desktop": desktop,
            "sound": sound,
        },
        request=request,
    )
    return mark_safe(html + script_html(context, "notifications"))


def history_html(context: Any, page_size: int = 20) -> SafeString:
    """The signed-in user's notifications, newest first, paged by cursor,
    filtered by the page's query string (``unread=1``, ``level=error``,
    ``type=comment``):
    plain links and a form, no script. Empty for anonymous users."""
    from django_sse.contrib.notifications.views import BadQuery, history_page, history_query

    request = context.get("request")
    user = signed_in_user(request)
    if user is None:
        return mark_safe("")
    error = ""
    try:
        query = history_query(request)
    except (BadQuery, ValueError) as exc:
        query, error = {"before": None, "unread": False, "level": None, "type": None}, str(exc)
    items, cursor = history_page(Notification.objects.filter(recipient=user), query, page_size)
    filters = {
        "unread": "1" if query["unread"] else "",
        "level": query["level"] or "",
        "type": query["type"] or "",  # kept by the page links (the form has no field for it)
    }
    keep = {name: value for name, value in filters.items() if value}
    return mark_safe(
        render_to_string(
            "django_sse/notification_history.html",
            {
                "items": items,
                "error": error,
                "filters": filters,
                "levels": Notification.Level.choices,
                "older": f"?{urlencode({**keep, 'before': cursor})}" if cursor else "",
                "newest": f"?{urlencode(keep)}" if query["before"] else "",
            },
            request=request,
        )
    )


def announcements_html(context: Any) -> SafeString:
    """The announcements running now for this visitor, as banners that come
    and go live (anonymous visitors see the site-wide ones)."""
    from django_sse.contrib.notifications.announcements import (
        SITE_TOPIC,
        dismissed_by,
        visible_to,
    )

    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None:
        return mark_safe("")
    topics = [SITE_TOPIC]
    if user.is_authenticated:
        topics.append(user_topic(user))
        topics += [group_topic(group) for group in user.groups.all()]
    html = render_to_string(
        "django_sse/announcements.html",
        {
            "items": list(visible_to(user)[:10]),
            "dismissed": " ".join(str(pk) for pk in dismissed_by(user)),
            "topics": " ".join(topics),
            "signed_in": user.is_authenticated,
            "dismiss_url": reverse("django_sse:announcement-dismiss", args=[0]),
            "csrf_token": get_token(request),
        },
        request=request,
    )
    return mark_safe(html + script_html(context, "announcements"))


def preferences_html(context: Any) -> SafeString:
    """The signed-in user's choices: every type on every channel, and their
    mutes; each change is saved at once through the JSON API."""
    from django_sse.contrib.notifications import preferences
    from django_sse.contrib.notifications.models import (
        ChatWebhook,
        NotificationPreference,
        QuietHours,
    )

    request = context.get("request")
    user = signed_in_user(request)
    if user is None:
        return mark_safe("")
    mutes = preferences.active_mutes(user)
    # Only the channels that deliver: without a VAPID key, a web push
    # column would offer a choice that does nothing (the API stores it).
    shown = [
        (value, label)
        for value, label in NotificationPreference.Channel.choices
        if value in preferences.delivered()
    ]
    html = render_to_string(
        "django_sse/notification_preferences.html",
        {
            "rows": [
                {
                    **row,
                    "cells": [
                        (value, label, row["channels"][value], value in row["locked"])
                        for value, label in shown
                    ],
                }
                for row in preferences.table(user)
            ],
            "channels": shown,
            "mutes": [(m, m.target) for m in mutes],
            "api_url": reverse("django_sse:notification-preferences"),
            "unmute_url": reverse("django_sse:notifications-unmute", args=[0]),
            "quiet": QuietHours.objects.filter(user=user).first(),
            "chat": "chat" in preferences.delivered(),
            "chat_webhooks": ChatWebhook.objects.filter(user=user).order_by("pk"),
            "chat_services": ChatWebhook.Service.choices,
            "chat_url": reverse("django_sse:chat-webhooks"),
            "chat_delete_url": reverse("django_sse:chat-webhook-delete", args=[0]),
            "csrf_token": get_token(request),
        },
        request=request,
    )
    return mark_safe(html + script_html(context, "preferences"))


def push_button_html(context: Any) -> SafeString:
    """Opt in to web push on this browser; empty for anonymous users and
    when the site has no VAPID key."""
    from django_sse.contrib.notifications.push import keys as push_keys

    request = context.get("request")
    user = signed_in_user(request)
    if user is None or not push_keys.enabled():
        return mark_safe("")
    worker_url = reverse("django_sse:push-worker")
    labels = {
        "on": gettext("Turn on push notifications"),
        "off": gettext("Turn off push notifications"),
        "subscribed": gettext("Push notifications are on in this browser."),
        "unsubscribed": gettext("Push notifications are off in this browser."),
        "unsupported": gettext("This browser cannot receive push notifications."),
        "blocked": gettext(
            "Notifications are blocked for this site: allow them in the browser's settings."
        ),
        "notAllowed": gettext("Push notifications need your permission."),
        "failed": gettext("Push notifications could not be turned on:"),
        "noService": gettext("the browser's push service did not answer."),
    }
    html = render_to_string(
        "django_sse/push_button.html",
        {
            "key": push_keys.application_server_key(),
            "worker_url": worker_url,
            "scope": worker_url.rsplit("/", 1)[0] + "/",
            "subscribe_url": reverse("django_sse:push-subscribe"),
            "unsubscribe_url": reverse("django_sse:push-unsubscribe"),
            "csrf_token": get_token(request),
            "user_pk": str(user.pk),
            "labels": json.dumps(labels),
            "label_on": labels["on"],
        },
        request=request,
    )
    return mark_safe(html + script_html(context, "push"))


@register.simple_tag(takes_context=True)
def sse_push_button(context: Any) -> SafeString:
    """Web push on this browser, on or off: ``{% sse_push_button %}``."""
    return push_button_html(context)


@register.simple_tag(takes_context=True)
def sse_notification_preferences(context: Any) -> SafeString:
    """Per type and channel choices and mutes: ``{% sse_notification_preferences %}``."""
    return preferences_html(context)


@register.simple_tag(takes_context=True)
def sse_announcements(context: Any) -> SafeString:
    """Site-wide and group banners, live: ``{% sse_announcements %}``."""
    return announcements_html(context)


@register.simple_tag(takes_context=True)
def sse_notification_history(context: Any, page_size: int = 20) -> SafeString:
    """The signed-in user's notification history: ``{% sse_notification_history %}``."""
    return history_html(context, page_size=int(page_size))


@register.simple_tag(takes_context=True)
def sse_notifications(
    context: Any,
    limit: int = 10,
    title: bool = True,
    favicon: bool = True,
    desktop: bool = False,
    sound: bool = False,
) -> SafeString:
    """A live notification bell for the signed-in user:
    ``{% sse_notifications limit=10 title=True favicon=True desktop=False sound=False %}``."""
    return notifications_html(
        context, limit=limit, title=title, favicon=favicon, desktop=desktop, sound=sound
    )
