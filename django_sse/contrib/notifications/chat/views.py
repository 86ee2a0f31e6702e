"""A user's own chat webhooks: listed, added and removed (JSON, CSRF)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.cache import never_cache

from django_sse.contrib.notifications.chat import sending
from django_sse.contrib.notifications.models import ChatWebhook
from django_sse.contrib.notifications.views import json_login_required, json_object, user_pk
from django_sse.http import csrf_protect_json, json_error, require_methods


def _listed(webhook: ChatWebhook) -> dict[str, object]:
    # The address is a secret (whoever has it posts to the channel): only its host.
    return {"id": webhook.pk, "service": webhook.service, "host": webhook.host}


@never_cache
@require_methods("GET", "POST")
@csrf_protect_json
@json_login_required
def chat_webhooks(request: HttpRequest) -> HttpResponseBase:
    """GET: the user's webhooks. POST ``{"service": "slack", "url": "https://hooks..."}``
    adds one (201)."""
    if request.method == "POST":
        try:
            body = json_object(request)
            webhook = sending.add_webhook(request.user, body.get("service"), body.get("url"))
        except ValueError as exc:
            return json_error(400, str(exc))
        return JsonResponse(_listed(webhook), status=201)
    mine = ChatWebhook.objects.filter(user_id=user_pk(request)).order_by("pk")
    return JsonResponse({"webhooks": [_listed(w) for w in mine]})


@never_cache
@require_methods("POST")
@csrf_protect_json
@json_login_required
def chat_webhook_delete(request: HttpRequest, pk: int) -> HttpResponseBase:
    deleted, _ = ChatWebhook.objects.filter(user_id=user_pk(request), pk=pk).delete()
    if not deleted:
        return json_error(404, "No such webhook.")
    return JsonResponse({"ok": True})
