from django_sse.models.events import Event, LogState
from django_sse.models.notifications import Notification, NotificationQuerySet, validate_link
from django_sse.models.presence import HubPresence, SamplerLease
from django_sse.models.progress import TaskProgress

__all__ = [
    "Event",
    "HubPresence",
    "SamplerLease",
    "LogState",
    "Notification",
    "NotificationQuerySet",
    "TaskProgress",
    "validate_link",
]
