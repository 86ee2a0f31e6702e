"""HTML for the template tags: typed functions, ``format_html`` only.

Each page loads the client (``django-sse.js``) and the stylesheet once,
however many widgets it has; they all share one EventSource.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from django_sse.conf import conf

_SAFE_LINK = re.compile(r"^(/(?!/)|https?://)", re.IGNORECASE)
_LOADED = "_django_sse_loaded"


def safe_link(url: str) -> str:
    """``url`` if it is a local path or http(s) URL, else ``""``."""
    return url if url and _SAFE_LINK.match(url) else ""


def csp_nonce(context: Any) -> str | None:
    """The CSP nonce of the request: Django's own (6.0+) or django-csp's."""
    nonce = context.get("csp_nonce")
    request = context.get("request")
    if not nonce and request is not None:
        nonce = getattr(request, "csp_nonce", None)
    return str(nonce) if nonce else None


def _once(request: HttpRequest | None, key: str) -> bool:
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


def module_tag(src: str, nonce: str | None, **data: str) -> SafeString:
    attrs = nonce_attr(nonce)
    data_attrs = mark_safe(
        "".join(format_html(' data-{}="{}"', k.replace("_", "-"), v) for k, v in data.items())
    )
    return format_html('<script type="module" src="{}"{}{}></script>', src, attrs, data_attrs)


def script_html(context: Any, *widgets: str) -> SafeString:
    """The client module (once per request), its stylesheet, and the
    modules of ``widgets`` (each once per request)."""
    request = context.get("request")
    nonce = csp_nonce(context)
    parts = []
    if _once(request, "core"):
        parts.append(
            format_html('<link rel="stylesheet" href="{}">', static("django_sse/django-sse.css"))
        )
        parts.append(
            module_tag(
                static("django_sse/django-sse.js"),
                nonce,
                sse_url=reverse("django_sse:stream"),
                sse_retry=str(conf.DJANGO_SSE_RETRY_MS),
            )
        )
    for widget in widgets:
        if _once(request, widget):
            parts.append(module_tag(static(f"django_sse/{widget}.js"), nonce))
    return mark_safe("\n".join(parts))


def notifications_html(context: Any, limit: int = 10) -> SafeString:
    """The bell: unread count and latest items rendered server-side (no
    flash of 0), then kept live by notifications.js. Empty for anonymous
    users."""
    from django_sse.models import Notification
    from django_sse.topics import user_topic

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return mark_safe("")
    mine = Notification.objects.filter(recipient=user)
    items = list(mine.active().order_by("-id")[:limit])
    html = render_to_string(
        "django_sse/notifications.html",
        {
            "topic": user_topic(user),
            "api_url": reverse("django_sse:notifications-list"),
            "csrf_token": get_token(request),
            "unread_count": mine.unread().count(),
            "items": items,
        },
        request=request,
    )
    return mark_safe(html + script_html(context, "notifications"))


def progress_html(context: Any, task_id: Any) -> SafeString:
    """A live progress bar showing the job's current state on first paint.
    Renders nothing for a job the user may not see (or that does not exist)."""
    from django_sse.models import TaskProgress

    request = context.get("request")
    user = getattr(request, "user", None)
    job = TaskProgress.objects.filter(pk=task_id).first() if _is_uuid(task_id) else None
    if job is None or user is None or not job.visible_to(user):
        return mark_safe("")
    html = render_to_string(
        "django_sse/progress.html",
        {
            "job": job,
            "state": job.as_event(),
            "cancel_url": reverse("django_sse:progress-cancel", args=[job.pk]),
            "csrf_token": get_token(request),
        },
        request=request,
    )
    return mark_safe(html + script_html(context, "progress"))


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def dashboard_html(context: Any, name: str, inner: str, points: int = 60) -> SafeString:
    """Wrap ``inner`` markup in a live dashboard. The last ``points``
    snapshots are rendered into the page, so values and charts show at once."""
    import json

    from django.utils.html import json_script

    from django_sse import dashboards
    from django_sse.models import Event

    topic = dashboards.topic(name)
    rows = Event.objects.filter(topic=topic, event=dashboards.EVENT).order_by("-id")[:points]
    history = [json.loads(row.data) for row in reversed(rows)]
    charts = "data-sse-chart" in inner
    head = ""
    if charts and _once(context.get("request"), "uplot"):
        nonce = csp_nonce(context)
        head = format_html(
            '<link rel="stylesheet" href="{}"><script src="{}"{}></script>',
            static("django_sse/vendor/uplot/uPlot.min.css"),
            static("django_sse/vendor/uplot/uPlot.iife.min.js"),
            nonce_attr(nonce),
        )
    html = format_html(
        '<div class="sse-dashboard" data-sse-widget="dashboard" data-sse-topic="{}">{}{}</div>',
        topic,
        mark_safe(inner),
        mark_safe(
            json_script(history).replace("<script ", '<script class="sse-dashboard-history" ', 1)
        ),
    )
    return mark_safe(head + html + script_html(context, "dashboard"))


def text_html(context: Any, topic: str, event: str = "token") -> SafeString:
    """An element that appends the text of ``event`` events of ``topic``."""
    from django_sse.topics import validate_topic

    html = format_html(
        '<div class="sse-text" data-sse-widget="text" data-sse-topic="{}" data-sse-event="{}"'
        ' aria-live="polite"></div>',
        validate_topic(topic),
        event,
    )
    return mark_safe(html + script_html(context, "text"))
