"""The notifications app's models: notifications, announcements, and
each user's preferences and mutes, web push subscriptions and chat
webhooks."""

from django_sse.contrib.notifications.models.announcement import (
    Announcement,
    AnnouncementDismissal,
)
from django_sse.contrib.notifications.models.chat import ChatMessage, ChatWebhook
from django_sse.contrib.notifications.models.notification import (
    UNREAD_CAP,
    Notification,
    NotificationQuerySet,
    publish_changes,
    unread_counts,
    validate_link,
)
from django_sse.contrib.notifications.models.preference import (
    EmailSettings,
    Mute,
    NotificationPreference,
    QuietHours,
    Watch,
)
from django_sse.contrib.notifications.models.push import PushMessage, PushSubscription, UsersOnline

__all__ = [
    "UNREAD_CAP",
    "Announcement",
    "AnnouncementDismissal",
    "ChatMessage",
    "ChatWebhook",
    "EmailSettings",
    "Mute",
    "Notification",
    "NotificationPreference",
    "NotificationQuerySet",
    "PushMessage",
    "PushSubscription",
    "QuietHours",
    "UsersOnline",
    "Watch",
    "publish_changes",
    "unread_counts",
    "validate_link",
]
