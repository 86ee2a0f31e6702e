"""The web push endpoints: the service worker, and a browser's subscription
kept, forgotten and renewed (``subscriptions``)."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from django_sse.contrib.notifications.push import keys as push_keys
from django_sse.contrib.notifications.push import subscriptions as push_subscriptions
from django_sse.contrib.notifications.views import json_login_required, json_object
from django_sse.http import csrf_protect_json, json_error, require_methods


def _push_off() -> HttpResponseBase | None:
    if not push_keys.enabled():
        return json_error(404, "Web push is not set up on this site.")
    return None


@never_cache
@require_methods("GET")
def push_worker(request: HttpRequest) -> HttpResponseBase:
    """The service worker (``static/django_sse/push-worker.js``), served here
    so it is on the site's origin whatever ``STATIC_URL`` is; its scope is
    this URL's folder, so it never sees the site's pages."""
    config = {
        "renewUrl": reverse("django_sse:push-renew"),
        "key": push_keys.application_server_key(),
    }
    script = f"const SSE_PUSH = {json.dumps(config)};\n{push_keys.worker_source()}"
    return HttpResponse(script, content_type="text/javascript; charset=utf-8")


@never_cache
@require_methods("POST")
@csrf_protect_json
@json_login_required
def push_subscribe(request: HttpRequest) -> HttpResponseBase:
    """Keep this browser's subscription (``PushSubscription.toJSON()``)."""
    if (off := _push_off()) is not None:
        return off
    try:
        item = push_subscriptions.subscribe(
            request.user,
            json_object(request),
            user_agent=request.headers.get("User-Agent", ""),
            session_key=getattr(getattr(request, "session", None), "session_key", None),
        )
    except push_subscriptions.EndpointTaken as exc:
        return json_error(409, str(exc))
    except ValueError as exc:
        return json_error(400, str(exc))
    return JsonResponse({"ok": True, "id": item.pk}, status=201)


@never_cache
@require_methods("POST")
@csrf_protect_json
@json_login_required
def push_unsubscribe(request: HttpRequest) -> HttpResponseBase:
    """Forget one of the user's subscriptions: ``{"endpoint": "..."}``."""
    try:
        endpoint = json_object(request).get("endpoint")
    except ValueError as exc:
        return json_error(400, str(exc))
    if not push_subscriptions.unsubscribe(request.user, endpoint):
        return json_error(404, "No such subscription.")
    return JsonResponse({"ok": True})


@never_cache
@csrf_exempt  # the old subscription's secret is the authority: a service worker has no CSRF token
@require_methods("POST")
def push_renew(request: HttpRequest) -> HttpResponseBase:
    """``pushsubscriptionchange``: ``{"old": {"endpoint", "auth"}, "new": {...}}``."""
    if (off := _push_off()) is not None:
        return off
    try:
        body = json_object(request)
        item = push_subscriptions.renew(body.get("old"), body.get("new"))
    except PermissionError as exc:
        return json_error(403, str(exc))
    except ValueError as exc:
        return json_error(400, str(exc))
    return JsonResponse({"ok": True, "id": item.pk})
