"""System checks: every setting of every table, then the environment.

One check id per rule, never reused (``docs/reference/checks.md`` lists
them; a test keeps the list and the code in agreement).
"""

from __future__ import annotations

import importlib.util
import re
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections
from django.utils.module_loading import import_string

from django_sse.conf import conf, tables

ROUTER = "django_sse.routers.Router"

# Checks that are not about one setting's value: id -> what it reports.
ENVIRONMENT_CHECKS = {
    "django_sse.E003": "DJANGO_SSE_BROKER is 'postgres' but the database is not PostgreSQL",
    "django_sse.E004": "the postgres broker is chosen but psycopg 3 is not installed",
    "django_sse.E005": "DJANGO_SSE_BROKER is neither a known broker nor importable",
    "django_sse.E008": "DJANGO_SSE_DATABASE is not 'default' and the router is not installed",
    "django_sse.E009": "DJANGO_SSE_DATABASE names an alias that is not in DATABASES",
    "django_sse.E040": "django_sse.urls is not included in the project's URLs",
    "django_sse.E041": "the redis broker is chosen but channels or its layer is missing",
    "django_sse.W001": "runserver serves WSGI here: streams need ASGI",
    "django_sse.W002": "nothing in the project serves the widgets' JavaScript and CSS under ASGI",
    "django_sse.W003": "a compressing middleware that may hold events back in its buffer",
    "django_sse.W004": "the heartbeat is not comfortably shorter than the proxy's idle timeout",
    "django_sse.W005": "the LISTEN connection may go through a pooler in transaction mode",
    "django_sse.W006": "sync-only middleware: each stream's connect waits for one shared thread",
    "django_sse.W008": "DEBUG is off and the widgets' JavaScript is not in STATIC_ROOT",
    "django_sse.W007": "a CORS origin CSRF_TRUSTED_ORIGINS does not list: its token POSTs fail",
}


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Each setting of each registered table against its rule."""
    errors: list[CheckMessage] = []
    for table in tables().values():
        for setting in table:
            problem = setting.validate(setting.value())
            if problem:
                errors.append(
                    Error(
                        f"{setting.name} {problem} (got {setting.value()!r}).",
                        hint=f"{setting.name}: {setting.doc}.",
                        id=setting.check_id,
                    )
                )
    return errors


@register(Tags.database)
def check_database(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    alias = conf.DJANGO_SSE_DATABASE
    if not isinstance(alias, str) or not alias:
        return []  # reported by check_settings
    if alias not in settings.DATABASES:
        return [
            Error(
                f"DJANGO_SSE_DATABASE is {alias!r}, which is not in DATABASES.",
                hint="Use one of: " + ", ".join(settings.DATABASES),
                id="django_sse.E009",
            )
        ]
    errors: list[CheckMessage] = []
    if alias != "default" and ROUTER not in settings.DATABASE_ROUTERS:
        errors.append(
            Error(
                f"DJANGO_SSE_DATABASE is {alias!r} but {ROUTER!r} is not in DATABASE_ROUTERS, "
                "so django-sse's tables would be read and written on 'default'.",
                hint=f'DATABASE_ROUTERS = ["{ROUTER}", ...]',
                id="django_sse.E008",
            )
        )
    broker = conf.DJANGO_SSE_BROKER
    if not isinstance(broker, str):
        return errors
    from django_sse.brokers import BROKERS

    if broker != "auto" and broker not in BROKERS:
        try:
            import_string(broker)
        except ImportError:
            errors.append(
                Error(
                    f"DJANGO_SSE_BROKER {broker!r} is neither a known broker nor importable.",
                    hint="Use auto, postgres, polling, memory, redis or a dotted path to a Broker.",
                    id="django_sse.E005",
                )
            )
    if broker == "redis":
        errors += _redis_broker_problems()
    vendor = connections[alias].vendor
    if broker == "postgres" and vendor != "postgresql":
        errors.append(
            Error(
                f"DJANGO_SSE_BROKER is 'postgres' but the {alias!r} database is {vendor}.",
                hint="Use 'auto' (polling on this database) or point it at PostgreSQL.",
                id="django_sse.E003",
            )
        )
    if (
        broker == "postgres" or (broker == "auto" and vendor == "postgresql")
    ) and importlib.util.find_spec("psycopg") is None:
        errors.append(
            Error(
                "The postgres broker needs psycopg 3 for LISTEN/NOTIFY.",
                hint="pip install 'django-sse[postgres]' (psycopg2 alone is not enough).",
                id="django_sse.E004",
            )
        )
    return errors


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
PGBOUNCER_PORT = "6432"


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


@register(Tags.database)
def check_pooler(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """LISTEN holds one server connection for the listener's lifetime; a
    pooler in transaction mode hands that connection to other clients after
    each statement, and notifications stop reaching the listener. What can
    be seen from settings: PgBouncer's port, or the setting Django's docs
    ask for behind a transaction pooler."""
    alias = conf.DJANGO_SSE_DATABASE
    if not isinstance(alias, str) or alias not in settings.DATABASES:
        return []  # reported by check_database
    database = settings.DATABASES[alias]
    if connections[alias].vendor != "postgresql" or conf.DJANGO_SSE_BROKER not in (
        "auto",
        "postgres",
    ):
        return []
    signs = []
    if str(database.get("PORT", "")) == PGBOUNCER_PORT:
        signs.append(f"port {PGBOUNCER_PORT} is PgBouncer's")
    if database.get("DISABLE_SERVER_SIDE_CURSORS"):
        signs.append("DISABLE_SERVER_SIDE_CURSORS is set, as behind a transaction pooler")
    if not signs:
        return []
    return [
        Warning(
            f"The {alias!r} database may be reached through a connection pooler ("
            + "; ".join(signs)
            + "). In transaction mode a pooler cannot hold the LISTEN connection, and "
            "events published by other processes would arrive only at the next poll.",
            hint="Give django-sse an alias that reaches PostgreSQL directly "
            "(DJANGO_SSE_DATABASE with django_sse.routers.Router), use PgBouncer in "
            "session mode, or DJANGO_SSE_BROKER = 'redis'. Silence django_sse.W005 if "
            "the pooler runs in session mode.",
            id="django_sse.W005",
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


@register(Tags.urls)
def check_urls_included(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every widget links to the stream endpoint: without the include,
    each page with one is a 500 (``NoReverseMatch``)."""
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("django_sse:stream")
    except NoReverseMatch:
        return [
            Error(
                "django_sse.urls is not included in the project's URLs: the stream "
                "endpoint, and every page with a django-sse widget, cannot work.",
                hint=f'Add path("sse/", include("django_sse.urls")) to {settings.ROOT_URLCONF}.',
                id="django_sse.E040",
            )
        ]
    return []


def _redis_broker_problems() -> list[CheckMessage]:
    """The redis broker carries wake-ups through a channels layer: without
    channels, or without that layer, nothing is ever woken."""
    alias = conf.DJANGO_SSE_CHANNEL_LAYER
    if importlib.util.find_spec("channels") is None:
        problem = "the channels package is not installed"
        hint = "pip install 'django-sse-hub[redis]' (channels and channels-redis)."
    elif alias not in getattr(settings, "CHANNEL_LAYERS", {}):
        problem = f"CHANNEL_LAYERS has no {alias!r} layer"
        hint = (
            f'CHANNEL_LAYERS = {{"{alias}": {{"BACKEND": '
            '"channels_redis.pubsub.RedisPubSubChannelLayer", '
            '"CONFIG": {"hosts": ["redis://127.0.0.1:6379"]}}}'
        )
    else:
        return []
    return [
        Error(
            f"DJANGO_SSE_BROKER is 'redis' but {problem}: no server process would be woken.",
            hint=hint,
            id="django_sse.E041",
        )
    ]


@register(Tags.security)
def check_cors_origins_trusted(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A front end on a CORS origin asks ``/sse/token/`` by POST, which
    Django's CSRF check refuses from an origin it does not trust."""
    trusted = set(getattr(settings, "CSRF_TRUSTED_ORIGINS", []))
    untrusted = [o for o in conf.DJANGO_SSE_CORS_ORIGINS or [] if o not in trusted]
    if not untrusted:
        return []
    return [
        Warning(
            f"DJANGO_SSE_CORS_ORIGINS lists {', '.join(untrusted)}, which CSRF_TRUSTED_ORIGINS "
            "does not: token requests (POST /sse/token/) from there fail Django's CSRF check.",
            hint=f"CSRF_TRUSTED_ORIGINS += {untrusted!r}",
            id="django_sse.W007",
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
