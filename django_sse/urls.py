"""``path("sse/", include("django_sse.urls"))``: the engine's endpoints,
then those of every installed app that declares ``sse_urls`` on its
``AppConfig`` (the contrib apps do), then a JSON 404 for anything else.

``urlpatterns`` is made when Django's resolver first asks for it, once the
apps are ready: importing this module (a project's ``urls.py`` does,
through ``include()``) touches neither the views nor the models."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver

app_name = "django_sse"


def _patterns() -> list[URLPattern | URLResolver]:
    from django.apps import apps
    from django.urls import include, path, re_path

    from django_sse import operations, views

    patterns: list[URLPattern | URLResolver] = [
        path("stream/", views.stream, name="stream"),
        path("stats/", operations.stats, name="stats"),
        path("deployment/", operations.deployment, name="deployment"),
        path("token/", views.token, name="token"),
        path("metrics/", operations.metrics, name="metrics"),
        path("health/live/", operations.live, name="live"),
        path("health/ready/", operations.ready, name="ready"),
    ]
    for config in apps.get_app_configs():
        contributed = getattr(config, "sse_urls", None)
        if contributed is not None:
            prefix, module = contributed
            patterns.append(path(prefix, include(module)))
    patterns.append(re_path(r"", views.not_found))
    return patterns


def __getattr__(name: str) -> Any:
    if name == "urlpatterns":
        globals()["urlpatterns"] = patterns = _patterns()
        return patterns
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
