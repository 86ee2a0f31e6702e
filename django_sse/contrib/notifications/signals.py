"""Signals sent after notifications change (from any code path: notify(),
the API, the admin, querysets)."""

from django.dispatch import Signal

notification_created = Signal()  # sender=Notification, notifications=[...]
notification_read = Signal()  # sender=Notification, user_id=..., ids=[...]
