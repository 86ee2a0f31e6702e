"""The engine's endpoints, and ``subscribe_response``: the one way any
endpoint (the contrib apps' included) opens a stream."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from django_sse import logqueries
from django_sse.asgi import stream_view
from django_sse.catchup import Cursor
from django_sse.conf import conf
from django_sse.cors import add_cors_headers, preflight
from django_sse.counters import count_connect
from django_sse.http import (
    NEEDS_ASGI,
    csrf_protect_json,
    json_body,
    json_error,
    require_methods,
    sse_response,
)
from django_sse.hub import UNAVAILABLE
from django_sse.hubs import running_hub, start_hub
from django_sse.internals import outside_request_thread
from django_sse.logs import log_event, topic_families, user_hash
from django_sse.presence import PERMISSION
from django_sse.streams import event_stream
from django_sse.tokens import InvalidToken, auth_digest, make_token, read_token
from django_sse.topics import InvalidTopic, can_subscribe, is_private, parse_topics

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

User: TypeAlias = "AbstractBaseUser | AnonymousUser"  # the project's user model, or anonymous

MAX_TOKEN_BODY = 10_000


@dataclass(frozen=True)
class Refused:
    """A stream refused: the JSON answer, and for the counters and the log
    line, what kind (``None``: by its status) and whose stream it was."""

    response: HttpResponseBase
    outcome: str | None = None
    user_key: str | None = None


async def request_user(request: HttpRequest) -> User:
    """The session's user (AnonymousUser without AuthenticationMiddleware)."""
    if hasattr(request, "auser"):
        return await request.auser()
    return AnonymousUser()


async def _token_user(request: HttpRequest, topics: list[str]) -> User | Refused:
    """The user a ``?token=`` stands for, or why not."""
    from django.contrib.auth import get_user_model

    try:
        token = read_token(request.GET["token"], conf.DJANGO_SSE_TOKEN_MAX_AGE)
    except InvalidToken as exc:
        return Refused(json_error(401, str(exc)))
    if not set(topics) <= set(token.topics):
        return Refused(json_error(403, "The stream token does not cover these topics."))
    manager = get_user_model()._default_manager
    user = await manager.filter(pk=token.user_pk, is_active=True).afirst()
    if user is None:
        return Refused(json_error(401, "The stream token is not valid."))
    if auth_digest(user) != token.auth or await sync_to_async(logqueries.revoked_since)(
        token.user_pk, token.position
    ):
        return Refused(
            json_error(
                401,
                "The stream token is from before a sign-out or a password change; sign in again.",
            )
        )
    return user


async def _authorize(request: HttpRequest, topics: list[str]) -> User | Refused:
    """The user, if they may subscribe to every topic; else why not."""
    if "token" in request.GET:
        user = await _token_user(request, topics)
        if isinstance(user, Refused):
            return user
    else:
        user = await request_user(request)
    for topic in topics:
        if not await can_subscribe(user, topic):
            if not user.is_authenticated and is_private(topic):
                return Refused(json_error(401, f"Sign in to subscribe to {topic!r}."))
            return Refused(json_error(403, f"You may not subscribe to {topic!r}."))
    return user


async def subscribe_response(
    request: HttpRequest, topics: list[str], *, end_after: Iterable[str] = ()
) -> HttpResponseBase:
    """Authorize ``topics`` for the request's user and return their stream.

    The building block of every stream endpoint: the user comes from the
    session or a signed ``?token=``; per-process and per-user limits,
    revocation, heartbeats, idle and lifetime limits apply. With
    ``end_after``, the stream ends right after sending an event of one of
    those names (a job's final state), in replay or live. With ``?poll=1``
    it ends once it has sent events (or after ``streams.POLL_WAIT``): the
    long-polling of clients behind a proxy that holds streams back.
    """
    answer = await _subscribe_response(request, topics, end_after)
    if not isinstance(answer, Refused):
        count_connect(answer.status_code)
        return answer
    status = answer.response.status_code
    _log_refusal(count_connect(status, answer.outcome), status, topics, answer.user_key)
    return answer.response


def _log_refusal(
    outcome: str, status: int, topics: list[str] | None = None, user_key: str | None = None
) -> None:
    """One line per kind of refusal a minute (a crowd reconnecting at once
    would otherwise write one each)."""
    log_event(
        "sse.stream.refused",
        "a stream was refused",
        level=logging.INFO,
        key=f"refused:{outcome}",
        reason=outcome,
        status=status,
        user_hash=user_hash(user_key),
        topics=topic_families(topics or ()),
    )


async def _subscribe_response(
    request: HttpRequest, topics: list[str], end_after: Iterable[str]
) -> HttpResponseBase | Refused:
    if not isinstance(request, ASGIRequest):
        return Refused(json_error(501, NEEDS_ASGI))
    user = await outside_request_thread(_authorize(request, topics))
    if isinstance(user, Refused):
        return user
    hub = running_hub()
    if hub is None or not hub.ready.done():
        hub = await start_hub()
        if not hub.ready.done():
            reason = hub.unavailable or UNAVAILABLE
            return Refused(json_error(503, reason, Retry_After="5"))
    poll = request.GET.get("poll")
    if poll not in (None, "1"):
        return Refused(json_error(400, "poll is 1 (answer once events come, then end) or absent."))
    raw_cursor = request.headers.get("Last-Event-ID")
    if raw_cursor is None:
        # htmx's SSE extension and hand-made URLs pass the cursor this way.
        raw_cursor = request.GET.get("last_event_id")
    # The limits are checked and the stream counted in one step (no await
    # between): concurrent connects cannot all pass a check made before any
    # of them is counted.
    if hub.subscriber_count >= conf.DJANGO_SSE_MAX_STREAMS:
        full = json_error(503, "This server holds all the streams it can.", Retry_After="10")
        return Refused(full, outcome="full")
    user_key = str(user.pk) if user.is_authenticated else None
    if user_key is not None and hub.streams_of(user_key) >= conf.DJANGO_SSE_MAX_STREAMS_PER_USER:
        too_many = json_error(429, "Too many open streams for this user.", Retry_After="10")
        return Refused(too_many, user_key=user_key)
    sub, upto = hub.subscribe_at_frontier(topics, user_key, frozenset(end_after))
    stream = event_stream(
        hub, topics, Cursor.parse(raw_cursor), subscriber=(sub, upto), poll=poll == "1"
    )
    response = sse_response(request, stream)
    hub.release_when_dropped(stream, sub)
    return response


@stream_view
@require_methods("GET", "OPTIONS")
async def stream(request: HttpRequest) -> HttpResponseBase:
    """``GET /sse/stream/?topics=a,b``: the events of those topics."""
    if request.method == "OPTIONS":
        return preflight(request)
    try:
        topics = parse_topics(request.GET.getlist("topics"), conf.DJANGO_SSE_MAX_TOPICS)
    except InvalidTopic as exc:
        _log_refusal(count_connect(400), 400)
        return add_cors_headers(request, json_error(400, str(exc)))
    return add_cors_headers(request, await subscribe_response(request, topics))


def _token_topics(request: HttpRequest) -> list[str] | HttpResponse:
    """The topics a token is asked for: a JSON body ``{"topics": [...]}`` or
    form fields ``topics`` (repeated or comma-separated)."""
    try:
        too_large = int(request.META.get("CONTENT_LENGTH") or 0) > MAX_TOKEN_BODY
    except ValueError:
        too_large = True
    if too_large:
        return json_error(400, "Request body too large.")
    if request.content_type == "application/json":
        try:
            body = json_body(request)
        except ValueError as exc:
            return json_error(400, str(exc))
        names = body.get("topics") if isinstance(body, dict) else None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return json_error(400, 'Send a JSON body {"topics": ["name", ...]}.')
    else:
        names = request.POST.getlist("topics")
        if not names and "topics" in request.GET:
            return json_error(
                400,
                'Send the topics in the POST body (JSON {"topics": [...]} or form field '
                '"topics"), not in the query string.',
            )
    try:
        return parse_topics(names, conf.DJANGO_SSE_MAX_TOPICS)
    except InvalidTopic as exc:
        return json_error(400, str(exc))


@csrf_exempt  # checked in _token, answering JSON
@never_cache
@require_methods("POST", "OPTIONS")
def token(request: HttpRequest) -> HttpResponseBase:
    """``POST /sse/token/`` (signed in, CSRF): a short-lived token for
    ``topics``, for clients that cannot send the session cookie. Answers
    ``{"token": "...", "expires_in": seconds, "topics": [...]}``. A front
    end on an origin of ``DJANGO_SSE_CORS_ORIGINS`` may ask for it with
    credentials (CORS, with its preflight)."""
    if request.method == "OPTIONS":
        return preflight(request, "POST, OPTIONS", "Content-Type, X-CSRFToken, Accept")
    return add_cors_headers(request, _token(request))


@csrf_protect_json
def _token(request: HttpRequest) -> HttpResponseBase:
    if not request.user.is_authenticated:
        return json_error(401, "Sign in first.")
    topics = _token_topics(request)
    if isinstance(topics, HttpResponse):
        return topics
    for topic in topics:
        if not async_to_sync(can_subscribe)(request.user, topic):
            return json_error(403, f"You may not subscribe to {topic!r}.")
    return JsonResponse(
        {
            "token": make_token(request.user, topics, logqueries.max_id()),
            "expires_in": conf.DJANGO_SSE_TOKEN_MAX_AGE,
            "topics": topics,
        }
    )


async def staff_only(request: HttpRequest) -> HttpResponseBase | None:
    user = await request_user(request)
    if not user.is_authenticated:
        return json_error(401, "Sign in as staff.")
    # A custom user model may have neither (no PermissionsMixin): not staff.
    has_perm = getattr(user, "ahas_perm", None)
    if not (getattr(user, "is_staff", False) and has_perm and await has_perm(PERMISSION)):
        return json_error(403, f"Staff with the {PERMISSION!r} permission only.")
    return None


@csrf_exempt  # a 404 for every method, in JSON: it changes nothing
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
    """Any other path under ``/sse/``: a JSON 404, like every error here."""
    return json_error(404, f"No endpoint at {request.path!r}.")
