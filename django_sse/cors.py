"""CORS for stream endpoints: only the origins in ``DJANGO_SSE_CORS_ORIGINS``.

The allowed origin is echoed (never ``*``), so credentials (cookies) can be
allowed; ``Vary: Origin`` keeps caches honest. Preflight requests (OPTIONS)
get the headers an EventSource or fetch() needs.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from django_sse.conf import conf


def allowed_origin(request: HttpRequest) -> str | None:
    origin = request.headers.get("Origin")
    if origin and origin in conf.DJANGO_SSE_CORS_ORIGINS:
        return origin
    return None


def add_cors_headers(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    origin = allowed_origin(request)
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Credentials"] = "true"
    if conf.DJANGO_SSE_CORS_ORIGINS:
        response["Vary"] = "Origin" if "Vary" not in response else f"{response['Vary']}, Origin"
    return response


STREAM_HEADERS = "Last-Event-ID, Cache-Control, Accept"


def preflight(
    request: HttpRequest, methods: str = "GET, OPTIONS", headers: str = STREAM_HEADERS
) -> HttpResponseBase:
    response = HttpResponse(status=204)
    if allowed_origin(request):
        response["Access-Control-Allow-Methods"] = methods
        response["Access-Control-Allow-Headers"] = headers
        response["Access-Control-Max-Age"] = "600"
    return add_cors_headers(request, response)
