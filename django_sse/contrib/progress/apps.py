from django_sse import hooks


class ProgressConfig(hooks.FeatureConfig):
    """Job progress: ``Progress``, the bar, cancel, the Tasks framework.

    Its URLs are included by ``django_sse.urls`` under ``progress/``."""

    name = "django_sse.contrib.progress"
    label = "sse_progress"
    verbose_name = "Task progress"
    default_auto_field = "django.db.models.BigAutoField"
    sse_urls = ("progress/", "django_sse.contrib.progress.urls")

    def ready(self) -> None:
        from django_sse.contrib.progress import conf  # noqa: F401  (its settings are checked)
        from django_sse.contrib.progress.background import heartbeat_interval
        from django_sse.contrib.progress.lost import mark_lost
        from django_sse.contrib.progress.rules import can_watch, can_watch_jobs

        hooks.register_topic_rule("progress", can_watch)
        # jobs:<user pk>: a job the user started, announced to their pages.
        hooks.register_topic_rule("jobs", can_watch_jobs)
        hooks.register_periodic_query(
            "lost-jobs",
            mark_lost,
            heartbeat_interval,  # a few looks per DJANGO_SSE_PROGRESS_LOST_AFTER
            event="sse.progress.sweep_failed",
            message="could not look for lost jobs",
        )
        # A page opened mid-job gets the job's current state at once.
        hooks.register_retention("progress:*", "latest")
