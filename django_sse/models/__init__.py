from django_sse.models.events import Event, LogState
from django_sse.models.notifications import Notification, NotificationQuerySet, validate_link
from django_sse.models.progress import TaskProgress

__all__ = [
    "Event",
    "LogState",
    "Notification",
    "NotificationQuerySet",
    "TaskProgress",
    "validate_link",
]
