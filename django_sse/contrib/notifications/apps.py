from django.contrib.auth.signals import user_logged_out
from django.utils.module_loading import autodiscover_modules

from django_sse import hooks


class NotificationsConfig(hooks.FeatureConfig):
    """Notifications: models, ``notify()``, bell, API and admin.

    Its URLs are included by ``django_sse.urls`` under ``notifications/``."""

    name = "django_sse.contrib.notifications"
    label = "sse_notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"
    sse_urls = ("notifications/", "django_sse.contrib.notifications.urls")

    def ready(self) -> None:
        from django_sse.contrib.notifications import (
            conf,  # noqa: F401  (its settings are checked)
            outbox,
        )
        from django_sse.contrib.notifications.announcements import LOOK_EVERY, publish_due
        from django_sse.contrib.notifications.chat import sending as chat_sending
        from django_sse.contrib.notifications.delivery import SNOOZE_LOOK_EVERY, wake_snoozed
        from django_sse.contrib.notifications.push import online as push_online
        from django_sse.contrib.notifications.push import sending as push_sending
        from django_sse.contrib.notifications.push import subscriptions as push_subscriptions

        # Announcements start and end on open pages, on time.
        hooks.register_periodic_query(
            "announcements",
            publish_due,
            LOOK_EVERY,
            event="sse.announcements.failed",
            message="could not publish announcements",
        )
        # Snoozed notifications come back at their time.
        hooks.register_periodic_query(
            "snoozed",
            wake_snoozed,
            SNOOZE_LOOK_EVERY,
            event="sse.notifications.snooze_failed",
            message="could not bring back snoozed notifications",
        )
        # Web push: which users have a page open ("offline" policy), and
        # messages left behind by a process that stopped before sending.
        hooks.register_hub_task("push-users-online", push_online.users_online_loop)
        hooks.register_periodic_query(
            "push",
            push_sending.wake_if_overdue,
            outbox.IDLE,
            event="sse.push.failed",
            message="could not look for web pushes to send",
        )
        hooks.register_periodic_query(
            "chat",
            chat_sending.wake_if_overdue,
            outbox.IDLE,
            event="sse.chat.failed",
            message="could not look for chat messages to send",
        )
        user_logged_out.connect(
            push_subscriptions.forget_on_sign_out, dispatch_uid="sse-push-sign-out"
        )
        # Notification types live in each app's sse_notification_types.py.
        autodiscover_modules("sse_notification_types")
