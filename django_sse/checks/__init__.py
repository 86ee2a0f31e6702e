"""System checks: every setting of every table, then the environment
(``configuration``: settings, database, broker, URLs, CORS; ``serving``:
ASGI, static files, middleware, proxies). Importing this package
registers them all.

One check id per rule, never reused (``docs/reference/checks.md`` lists
them; a test keeps the list and the code in agreement).
"""

from __future__ import annotations

from django_sse.checks import configuration, serving  # noqa: F401  (importing registers them)

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
