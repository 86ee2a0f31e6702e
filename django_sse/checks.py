"""System checks: every setting of every table, then the environment.

One check id per rule, never reused (``docs/reference/checks.md`` lists
them; a test keeps the list and the code in agreement).
"""

from __future__ import annotations

import importlib.util
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
    "django_sse.W001": "runserver serves WSGI here: streams need ASGI",
    "django_sse.W002": "nothing in the project serves the widgets' JavaScript and CSS under ASGI",
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


WHITENOISE = "whitenoise.middleware.WhiteNoiseMiddleware"


@register(Tags.staticfiles)
def check_static_files(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """uvicorn, daphne and granian serve no static files: without WhiteNoise
    (or a web server in front), every widget's JS and CSS answers 404 and the
    widgets stay dead. ``runserver`` (with daphne, in DEBUG) serves them."""
    if WHITENOISE in settings.MIDDLEWARE:
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
