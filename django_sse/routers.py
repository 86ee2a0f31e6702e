"""Route every django-sse model to ``DJANGO_SSE_DATABASE``.

    DJANGO_SSE_DATABASE = "events"
    DATABASE_ROUTERS = ["django_sse.routers.Router"]

Reads, writes and migrations of the core's tables and of every installed
contrib app's tables then go to that alias, and ``publish()`` wraps its
writes in a transaction there. An event commits with your data only when
your data is written on the same alias: keep the alias on the database
that holds the rows you publish about (the contrib apps' tables refer to
your users, so with them the alias must reach the user table too).
System check ``django_sse.E008`` says so when the alias is not
``default`` and this router is missing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from django_sse.conf import conf

PACKAGE = "django_sse"


def is_sse_model(model: type[Model] | Model) -> bool:
    return str(model._meta.app_label) in _sse_labels()


def _sse_labels() -> frozenset[str]:
    from django.apps import apps

    return frozenset(c.label for c in apps.get_app_configs() if c.name.startswith(PACKAGE))


def _is_sse_app(app_label: str) -> bool:
    return app_label in _sse_labels()


class Router:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return str(conf.DJANGO_SSE_DATABASE) if is_sse_model(model) else None

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return str(conf.DJANGO_SSE_DATABASE) if is_sse_model(model) else None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if _is_sse_app(app_label):
            return bool(db == conf.DJANGO_SSE_DATABASE)
        return None
