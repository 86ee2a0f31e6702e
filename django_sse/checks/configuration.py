"""The checks of what a project configures: every setting of every table,
the database and broker, the URLs, CORS against CSRF."""

from __future__ import annotations

import importlib.util
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections
from django.utils.module_loading import import_string

from django_sse.conf import conf, tables

ROUTER = "django_sse.routers.Router"


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


PGBOUNCER_PORT = "6432"


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
