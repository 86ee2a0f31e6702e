from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class NotificationsConfig(AppConfig):
    """Notifications: models, ``notify()``, bell, API and admin.

    Its URLs are included by ``django_sse.urls`` under ``notifications/``."""

    name = "django_sse.contrib.notifications"
    label = "sse_notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"
    sse_urls = ("notifications/", "django_sse.contrib.notifications.urls")

    def ready(self) -> None:
        from django_sse import hooks
        from django_sse.contrib.notifications import conf  # noqa: F401  (its settings are checked)
        from django_sse.contrib.notifications.announcements import LOOK_EVERY, publish_due

        # Announcements start and end on open pages, on time.
        hooks.register_periodic_query(
            "announcements",
            publish_due,
            LOOK_EVERY,
            event="sse.announcements.failed",
            message="could not publish announcements",
        )
        # Notification types live in each app's sse_notification_types.py.
        autodiscover_modules("sse_notification_types")
