"""The checks of how a project is served: ASGI, static files, middleware
that buffers or needs a thread, the heartbeat against the proxy in front."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.utils.module_loading import import_string

from django_sse.conf import conf

WHITENOISE = "django_sse.static.WhiteNoiseMiddleware"  # async-capable (W006)


SYNC_WHITENOISE = "whitenoise.middleware.WhiteNoiseMiddleware"


STATIC_SERVERS = {WHITENOISE, SYNC_WHITENOISE}


@register(Tags.staticfiles)
def check_static_files(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """uvicorn, daphne and granian serve no static files: without WhiteNoise
    (or a web server in front), every widget's JS and CSS answers 404 and the
    widgets stay dead. ``runserver`` (with daphne, in DEBUG) serves them."""
    if STATIC_SERVERS & set(settings.MIDDLEWARE):
        return []
    runserver_serves = (
        settings.DEBUG
        and "daphne" in settings.INSTALLED_APPS
        and "django.contrib.staticfiles" in settings.INSTALLED_APPS
    )
    if runserver_serves:
        return []
    return [
        Warning(
            "Nothing in this project serves static files under an ASGI server (uvicorn, "
            "daphne, granian), so django-sse's widgets would load no JavaScript or CSS.",
            hint=f"pip install whitenoise and add '{WHITENOISE}' to MIDDLEWARE right after "
            "SecurityMiddleware. If your web server serves STATIC_ROOT, add "
            "'django_sse.W002' to SILENCED_SYSTEM_CHECKS.",
            id="django_sse.W002",
        )
    ]


@register(Tags.compatibility)
def check_asgi(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG and "daphne" not in settings.INSTALLED_APPS:
        return [
            Warning(
                "runserver serves WSGI here, and SSE streams need ASGI: they will answer 501.",
                hint="Put 'daphne' first in INSTALLED_APPS, or run uvicorn/daphne directly.",
                id="django_sse.W001",
            )
        ]
    return []


# Compressors and minifiers buffer what they transform. django-sse removes
# Accept-Encoding from every stream's request, which turns off Django's
# GZipMiddleware and every compressor that honours the header; others may
# still hold events back.
COMPRESSING = re.compile(r"gzip|brotli|zstd|compress|minif", re.IGNORECASE)


SAFE_COMPRESSORS = {"django.middleware.gzip.GZipMiddleware"}


HEARTBEAT_MARGIN = 5.0


@register(Tags.compatibility)
def check_buffering_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    suspects = [
        name
        for name in settings.MIDDLEWARE
        if COMPRESSING.search(name.rpartition(".")[2]) and name not in SAFE_COMPRESSORS
    ]
    return [
        Warning(
            f"{name} may compress or rewrite responses, and a compressor holds events "
            "in its buffer until it fills, so streams would arrive late or in bursts.",
            hint="django-sse removes Accept-Encoding from stream requests, which turns "
            "off middleware that honours it (Django's GZipMiddleware does). If this one "
            "does not, skip it for /sse/ (or silence django_sse.W003 once you have "
            "checked that events arrive at once).",
            id="django_sse.W003",
        )
        for name in suspects
    ]


@register(Tags.compatibility)
def check_heartbeat(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    heartbeat, idle = conf.DJANGO_SSE_HEARTBEAT, conf.DJANGO_SSE_PROXY_IDLE_TIMEOUT
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (heartbeat, idle)):
        return []  # reported by check_settings
    if heartbeat + HEARTBEAT_MARGIN <= idle:
        return []
    return [
        Warning(
            f"DJANGO_SSE_HEARTBEAT is {heartbeat:g} s and the proxy in front closes idle "
            f"connections after {idle:g} s (DJANGO_SSE_PROXY_IDLE_TIMEOUT): quiet streams "
            "would be cut and reconnect over and over.",
            hint=f"Keep the heartbeat at least {HEARTBEAT_MARGIN:g} s shorter than every "
            "idle timeout on the way (nginx proxy_read_timeout 60 s, AWS ALB 60 s, "
            "Heroku 55 s by default), or raise DJANGO_SSE_PROXY_IDLE_TIMEOUT to your "
            "proxy's setting.",
            id="django_sse.W004",
        )
    ]


@register(Tags.compatibility)
def check_sync_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Under ASGI, Django calls a sync-only middleware through a thread for
    every request, each stream's connect included: streams open 10-20 %
    slower (``bench/sync_middleware.py``). No thread is held while a stream
    is open."""
    sync_only = []
    for name in settings.MIDDLEWARE:
        try:
            middleware = import_string(name)
        except ImportError:
            continue  # Django's own checks report it
        if not getattr(middleware, "async_capable", False):
            sync_only.append(name)
    if not sync_only:
        return []
    hint = (
        "Make it async-capable (django.utils.decorators.sync_and_async_middleware), or "
        "silence django_sse.W006 if slower reconnect bursts are acceptable."
    )
    if SYNC_WHITENOISE in sync_only:
        hint = f"For WhiteNoise, use '{WHITENOISE}' (the same, async-capable). " + hint
    return [
        Warning(
            "Sync-only middleware: " + ", ".join(sync_only) + ". Under ASGI, Django "
            "calls it through a thread for every request, so every stream's connect "
            "waits for a thread: streams open 10-20 % slower when many connect at once.",
            hint=hint,
            id="django_sse.W006",
        )
    ]


@register(Tags.staticfiles, deploy=True)
def check_static_collected(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``check --deploy``: with DEBUG off, WhiteNoise (and a web server)
    serve STATIC_ROOT only; before ``collectstatic`` the widgets' JS 404s."""
    from pathlib import Path

    if settings.DEBUG:
        return []
    root = getattr(settings, "STATIC_ROOT", None)
    if root and (Path(root) / "django_sse" / "django-sse.js").is_file():
        return []
    where = f"STATIC_ROOT ({root})" if root else "STATIC_ROOT, which is not set"
    return [
        Warning(
            f"django-sse's widgets' JavaScript is not in {where}: with DEBUG off every "
            "widget would load none of its JavaScript or CSS.",
            hint="Set STATIC_ROOT and run `python manage.py collectstatic` when you deploy.",
            id="django_sse.W008",
        )
    ]
