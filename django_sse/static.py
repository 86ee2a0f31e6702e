"""WhiteNoise for ASGI projects, without a thread for what it does not serve.

WhiteNoise's middleware is sync-only: under ASGI, Django calls it through a
thread for every request, and every stream's connect waits its turn there
(check ``django_sse.W006``; ``bench/sync_middleware.py`` measures the cost).
This subclass is async-capable: a request for anything but a static file
goes straight on, on the event loop; a static file is looked up and served
exactly as WhiteNoise does (in a thread, as before). Under WSGI it is
WhiteNoise's own middleware.

    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "django_sse.static.WhiteNoiseMiddleware",
        ...
    ]

Every ``WHITENOISE_*`` setting applies unchanged.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from whitenoise.middleware import (  # type: ignore[import-untyped]
    WhiteNoiseMiddleware as SyncWhiteNoiseMiddleware,
)

from django_sse.internals import whitenoise_file, whitenoise_serve


class WhiteNoiseMiddleware(SyncWhiteNoiseMiddleware):  # type: ignore[misc]
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any = None, **kwargs: Any) -> None:
        super().__init__(get_response, **kwargs)
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        return super().__call__(request)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        # Only a path WhiteNoise could serve goes to a thread.
        static_file = await whitenoise_file(self, request.path_info)
        if static_file is None:
            return await self._next(request)
        response: HttpResponseBase = await whitenoise_serve(self, static_file, request)
        return response

    async def _next(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = await self.get_response(request)
        return response
