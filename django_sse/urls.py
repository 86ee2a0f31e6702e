"""``path("sse/", include("django_sse.urls"))``: the engine's endpoints,
then those of every installed app that declares ``sse_urls`` on its
``AppConfig`` (the contrib apps do), then a JSON 404 for anything else."""

from django.apps import apps
from django.urls import include, path, re_path

from django_sse import operations, views

app_name = "django_sse"

urlpatterns = [
    path("stream/", views.stream, name="stream"),
    path("stats/", views.stats, name="stats"),
    path("deployment/", views.deployment, name="deployment"),
    path("token/", views.token, name="token"),
    path("metrics/", operations.metrics, name="metrics"),
    path("health/live/", operations.live, name="live"),
    path("health/ready/", operations.ready, name="ready"),
]
for config in apps.get_app_configs():
    contributed = getattr(config, "sse_urls", None)
    if contributed is not None:
        prefix, module = contributed
        urlpatterns.append(path(prefix, include(module)))
urlpatterns.append(re_path(r"", views.not_found))
