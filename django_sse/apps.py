from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class DjangoSSEConfig(AppConfig):
    name = "django_sse"
    verbose_name = "Server-Sent Events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_sse import checks, dashboards, progress  # noqa: F401  (checks, topic rules)

        # Dashboard samplers live in each app's sse_metrics.py.
        autodiscover_modules("sse_metrics")
