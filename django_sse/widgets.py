"""HTML for the template tags: typed functions, ``format_html`` only.

Each page loads the client (``django-sse.js``) and the stylesheet once,
however many widgets it has; they all share one EventSource. The contrib
apps' widgets build on ``script_html`` and ``csp_nonce``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import ngettext

from django_sse import hooks, viewers
from django_sse.conf import conf
from django_sse.logs import user_hash
from django_sse.topics import can_subscribe, validate_topic

_SAFE_LINK = re.compile(r"^(/(?!/)|https?://)", re.IGNORECASE)
_LOADED = "_django_sse_loaded"


def safe_link(url: str) -> str:
    r"""``url`` as a browser reads it, if it is a local path or an http(s)
    URL; else ``""``.

    Read as browsers read it (the WHATWG URL parser): leading and trailing
    control characters and spaces go, tabs and newlines anywhere go, and a
    backslash is a slash. So ``/\evil.example`` and ``/\t/evil.example``
    are ``//evil.example``, another site, not a local path.
    """
    if not isinstance(url, str):  # a template variable may be anything
        return ""  # type: ignore[unreachable]
    url = url.strip("".join(map(chr, range(0x21))))
    url = url.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    return url if _SAFE_LINK.match(url) else ""


def csp_nonce(context: Any) -> str | None:
    """The CSP nonce of the request: Django's own (6.0+) or django-csp's."""
    nonce = context.get("csp_nonce")
    request = context.get("request")
    if not nonce and request is not None:
        nonce = getattr(request, "csp_nonce", None)
    return str(nonce) if nonce else None


def once(request: HttpRequest | None, key: str) -> bool:
    """True the first time ``key`` is asked for during this request."""
    if request is None:
        return True
    loaded = request.__dict__.setdefault(_LOADED, set())
    if key in loaded:
        return False
    loaded.add(key)
    return True


def nonce_attr(nonce: str | None) -> SafeString:
    return format_html(' nonce="{}"', nonce) if nonce else mark_safe("")


def csrf_header_name() -> str:
    """``CSRF_HEADER_NAME`` as a browser sends it (``HTTP_X_CSRFTOKEN`` ->
    ``X-CSRFTOKEN``; header names are case-insensitive)."""
    name = settings.CSRF_HEADER_NAME
    return name.removeprefix("HTTP_").replace("_", "-")


def module_tag(src: str, nonce: str | None, **data: str) -> SafeString:
    attrs = nonce_attr(nonce)
    data_attrs = mark_safe(
        "".join(format_html(' data-{}="{}"', k.replace("_", "-"), v) for k, v in data.items())
    )
    return format_html('<script type="module" src="{}"{}{}></script>', src, attrs, data_attrs)


def signed_in_user(request: Any) -> Any | None:
    """The request's user if signed in, else None (widgets for signed-in
    users render nothing for anyone else)."""
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def share_scope(request: Any) -> str:
    """Which tabs of a browser share one stream (django-sse.js): those of
    the same signed-in user, named by a keyed hash, never the id itself."""
    user = signed_in_user(request)
    return "anonymous" if user is None else "u" + str(user_hash(user.pk))


def script_html(context: Any, *widgets: str) -> SafeString:
    """The client module (once per request), its stylesheet, and the
    modules of ``widgets`` (each once per request)."""
    request = context.get("request")
    nonce = csp_nonce(context)
    parts = []
    if once(request, "core"):
        parts.append(
            format_html('<link rel="stylesheet" href="{}">', static("django_sse/django-sse.css"))
        )
        # A classic script first: plain scripts after the tag can call
        # DjangoSSE at once, before the module (deferred) has run.
        parts.append(
            format_html(
                '<script src="{}"{}></script>',
                static("django_sse/django-sse-queue.js"),
                nonce_attr(nonce),
            )
        )
        parts.append(
            module_tag(
                static("django_sse/django-sse.js"),
                nonce,
                sse_url=reverse("django_sse:stream"),
                sse_retry=str(conf.DJANGO_SSE_RETRY_MS),
                sse_scope=share_scope(request),
                sse_csrf_cookie=settings.CSRF_COOKIE_NAME,
                sse_csrf_header=csrf_header_name(),
            )
        )
    for widget in widgets:
        if once(request, widget):
            parts.append(module_tag(static(f"django_sse/{widget}.js"), nonce))
    return mark_safe("\n".join(parts))


def text_html(context: Any, topic: str, event: str = "token") -> SafeString:
    """An element that appends the text of ``event`` events of ``topic``."""
    html = format_html(
        '<div class="sse-text" data-sse-widget="text" data-sse-topic="{}" data-sse-event="{}"'
        ' aria-live="polite"></div>',
        validate_topic(topic),
        event,
    )
    return mark_safe(html + script_html(context, "text"))


def presence_html(context: Any, topic: str) -> SafeString:
    """Who views ``topic`` (which has presence: ``hooks.register_presence``),
    kept live; rendering it makes the page one of them. Empty for a visitor
    who may not subscribe to ``topic``."""
    validate_topic(topic)
    if not hooks.has_presence(topic):
        raise ValueError(
            f"{{% sse_presence %}}: {topic!r} has no presence; register it with "
            "django_sse.hooks.register_presence() in an AppConfig.ready()"
        )
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not async_to_sync(can_subscribe)(user, topic):
        return mark_safe("")
    state = viewers.viewers_of(topic)
    labels = {
        "one": ngettext("%(count)s person is viewing this", "%(count)s people are viewing this", 1),
        "other": ngettext(
            "%(count)s person is viewing this", "%(count)s people are viewing this", 2
        ),
    }
    names = format_html_join("", "<li>{}</li>", ((u.get("name", ""),) for u in state["users"]))
    html = format_html(
        '<div class="sse-presence" data-sse-widget="presence" data-sse-topic="{}" '
        'data-i18n="{}"><span class="sse-presence__count" aria-live="polite">{}</span>'
        '<ul class="sse-presence__users">{}</ul></div>',
        topic,
        json.dumps(labels),
        labels["one" if state["count"] == 1 else "other"] % {"count": state["count"]},
        names,
    )
    return mark_safe(html + script_html(context, "presence"))
