import importlib.util

from django.apps import AppConfig


class DjangoSSEConfig(AppConfig):
    """The engine: event log, brokers, hub, streams. Features are the
    contrib apps, which plug in through ``django_sse.hooks``."""

    name = "django_sse"
    verbose_name = "Server-Sent Events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_sse import checks, hooks, topics  # noqa: F401  (checks, built-in topic rules)
        from django_sse.presence import presence_loop
        from django_sse.revocation import connect_receivers
        from django_sse.viewers import viewers_loop

        hooks.register_hub_task("presence", presence_loop)
        hooks.register_hub_task("viewers", viewers_loop)
        connect_receivers()
        if importlib.util.find_spec("prometheus_client") is not None:
            from django_sse import metrics

            hooks.register_hub_task("metrics", metrics.run)
