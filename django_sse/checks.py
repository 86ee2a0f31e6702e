"""System checks: settings and environment, with stable ids."""

from __future__ import annotations

import importlib.util
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import connections
from django.utils.module_loading import import_string

from django_sse.brokers import BROKERS
from django_sse.conf import conf
from django_sse.topics import RETENTIONS


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    alias = conf.DJANGO_SSE_DATABASE
    if alias not in settings.DATABASES:
        return [
            Error(
                f"DJANGO_SSE_DATABASE is {alias!r}, which is not in DATABASES.",
                hint="Use one of: " + ", ".join(settings.DATABASES),
                id="django_sse.E001",
            )
        ]
    broker = conf.DJANGO_SSE_BROKER
    if broker != "auto" and broker not in BROKERS:
        try:
            import_string(broker)
        except ImportError:
            errors.append(
                Error(
                    f"DJANGO_SSE_BROKER {broker!r} is neither a known broker nor importable.",
                    hint="Use auto, postgres, polling, memory or a dotted path to a Broker.",
                    id="django_sse.E002",
                )
            )
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
    for name in (
        "DJANGO_SSE_HEARTBEAT",
        "DJANGO_SSE_POLL_INTERVAL",
        "DJANGO_SSE_GAP_TIMEOUT",
        "DJANGO_SSE_CLIENT_BUFFER",
        "DJANGO_SSE_MAX_TOPICS",
        "DJANGO_SSE_RETRY_MS",
        "DJANGO_SSE_PROGRESS_INTERVAL",
    ):
        value = getattr(conf, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            errors.append(
                Error(f"{name} must be a positive number, not {value!r}.", id="django_sse.E005")
            )
    for name in ("DJANGO_SSE_MAX_DURATION", "DJANGO_SSE_IDLE_TIMEOUT"):
        value = getattr(conf, name)
        if value is not None and (not isinstance(value, int | float) or value <= 0):
            errors.append(
                Error(
                    f"{name} must be None or a positive number, not {value!r}.",
                    id="django_sse.E005",
                )
            )
    retention = conf.DJANGO_SSE_TOPIC_RETENTION
    if not isinstance(retention, dict) or any(v not in RETENTIONS for v in retention.values()):
        errors.append(
            Error(
                "DJANGO_SSE_TOPIC_RETENTION must map topic patterns to "
                "'history', 'latest' or 'none'.",
                hint=f"Got {retention!r}.",
                id="django_sse.E006",
            )
        )
    hook = conf.DJANGO_SSE_AUTHORIZE
    if isinstance(hook, str):
        try:
            import_string(hook)
        except ImportError:
            errors.append(
                Error(f"DJANGO_SSE_AUTHORIZE {hook!r} cannot be imported.", id="django_sse.E007")
            )
    return errors


@register(Tags.compatibility)
def check_asgi(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    if settings.DEBUG and "daphne" not in settings.INSTALLED_APPS:
        return [
            Warning(
                "runserver serves WSGI here, and SSE streams need ASGI: they will answer 501.",
                hint="Put 'daphne' first in INSTALLED_APPS, or run uvicorn/daphne directly.",
                id="django_sse.W001",
            )
        ]
    return []
