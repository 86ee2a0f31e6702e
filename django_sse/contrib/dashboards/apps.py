from django.utils.module_loading import autodiscover_modules

from django_sse import hooks


class DashboardsConfig(hooks.FeatureConfig):
    """Live dashboards: ``dashboard:*`` topics keep their latest value;
    samplers run while a dashboard is watched."""

    name = "django_sse.contrib.dashboards"
    label = "sse_dashboards"
    verbose_name = "Live dashboards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_sse.contrib.dashboards import conf  # noqa: F401  (its settings are checked)
        from django_sse.contrib.dashboards.metrics import can_watch
        from django_sse.contrib.dashboards.sampling import samplers_task

        # Not personal: presence keeps dashboard topics by name for samplers.
        hooks.register_topic_rule("dashboard", can_watch, personal=False)
        # A page that opens later gets the current snapshot at once.
        hooks.register_retention("dashboard:*", "latest")
        hooks.register_hub_task("samplers", samplers_task)
        # Samplers (@dashboard_metric) live in each app's sse_metrics.py.
        autodiscover_modules("sse_metrics")
