"""django-notifications' (hq's) template tags, kept live by django-sse.

``{% load sse_notifications_hq %}`` (or, with hq gone from
``INSTALLED_APPS``, its old name: ``TEMPLATES[0]["OPTIONS"]["libraries"] =
{"notifications_tags": "django_sse.contrib.notifications.templatetags.sse_notifications_hq"}``)
gives ``notifications_unread``, ``live_notify_badge``, ``live_notify_list``
and ``register_notify_callbacks`` with hq's arguments. Nothing polls: the
badges, lists and callbacks change when the user's stream says so
(live-notify.js). ``refresh_period`` is accepted and has no use.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString, mark_safe

from django_sse.contrib.notifications.models import Notification
from django_sse.topics import user_topic
from django_sse.widgets import script_html, signed_in_user

register = template.Library()
CALLBACK = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")


def _unread(context: Any) -> Any:
    user = signed_in_user(context.get("request"))
    return None if user is None else Notification.objects.filter(recipient=user)


@register.simple_tag(takes_context=True)
def notifications_unread(context: Any) -> int | str:
    """The signed-in user's unread count ("" for anonymous visitors)."""
    mine = _unread(context)
    return "" if mine is None else mine.unread_count()


@register.simple_tag(takes_context=True)
def live_notify_badge(context: Any, badge_class: str = "live_notify_badge") -> SafeString:
    """The unread count in a ``<span class="{badge_class}">``, kept live."""
    mine = _unread(context)
    if mine is None:
        return mark_safe("")
    return format_html('<span class="{}">{}</span>', badge_class, mine.unread_count())


@register.simple_tag
def live_notify_list(list_class: str = "live_notify_list") -> SafeString:
    """A ``<ul class="{list_class}">`` of the latest unread, kept live."""
    return format_html('<ul class="{}"></ul>', list_class)


@register.simple_tag(takes_context=True)
def register_notify_callbacks(
    context: Any,
    badge_class: str = "live_notify_badge",
    menu_class: str = "live_notify_list",
    refresh_period: int = 15,
    callbacks: str = "",
    api_name: str = "list",
    fetch: int = 5,
    nonce: str | None = None,
    mark_as_read: bool | str = False,
) -> SafeString:
    """What keeps the badges, lists and ``callbacks`` (global functions,
    called with ``{unread_count, unread_list}`` on every change) live."""
    request = context.get("request")
    user = signed_in_user(request)
    if user is None:
        return mark_safe("")
    names = [name.strip() for name in str(callbacks).split(",") if name.strip()]
    for name in names:
        if not CALLBACK.match(name):
            raise template.TemplateSyntaxError(
                f"register_notify_callbacks: {name!r} is not a JavaScript function name"
            )
    if api_name not in ("list", "count"):
        raise template.TemplateSyntaxError(
            f"register_notify_callbacks: api_name is 'list' or 'count', not {api_name!r}"
        )
    mine = Notification.objects.filter(recipient=user)
    fetch = int(fetch)
    config = {
        "badgeClass": str(badge_class),
        "menuClass": str(menu_class) if api_name == "list" else "",
        "fetchCount": fetch,
        "callbacks": names,
        "markAsRead": str(mark_as_read).lower() == "true",
        "topic": user_topic(user),
        "api": reverse("django_sse:notifications-list"),
        "csrf": get_token(request),
        "unreadCount": mine.unread_count(),
        "unreadList": [n.as_event() for n in mine.unread().order_by("-id")[:fetch]],
    }
    # json_script escapes what could end the script element; the payload
    # is JSON, not code.
    tag = json_script(json.loads(json.dumps(config, default=str)), "notify-config")
    if nonce:
        tag = mark_safe(tag.replace("<script ", format_html('<script nonce="{}" ', nonce), 1))
    return mark_safe(tag + script_html(context, "live-notify"))
