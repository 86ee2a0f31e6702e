from django.apps import AppConfig


class ProgressConfig(AppConfig):
    """Job progress: ``Progress``, the bar, cancel, the Tasks framework.

    Its URLs are included by ``django_sse.urls`` under ``progress/``."""

    name = "django_sse.contrib.progress"
    label = "sse_progress"
    verbose_name = "Task progress"
    default_auto_field = "django.db.models.BigAutoField"
    sse_urls = ("progress/", "django_sse.contrib.progress.urls")

    def ready(self) -> None:
        from django_sse import hooks
        from django_sse.contrib.progress import conf  # noqa: F401  (its settings are checked)
        from django_sse.contrib.progress.lost import lost_jobs_task
        from django_sse.contrib.progress.rules import can_watch, can_watch_jobs

        hooks.register_topic_rule("progress", can_watch)
        # jobs:<user pk>: a job the user started, announced to their pages.
        hooks.register_topic_rule("jobs", can_watch_jobs)
        hooks.register_hub_task("lost-jobs", lost_jobs_task)
        # A page opened mid-job gets the job's current state at once.
        hooks.register_retention("progress:*", "latest")
