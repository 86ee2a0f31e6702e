"""``{% load django_sse %}``: thin wrappers over ``django_sse.widgets``."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from django_sse import widgets

register = template.Library()


@register.simple_tag(takes_context=True)
def sse_script(context: Any) -> SafeString:
    """The shared client (one EventSource per page). Widget tags include it."""
    return widgets.script_html(context)


@register.simple_tag(takes_context=True)
def sse_notifications(context: Any, limit: int = 10) -> SafeString:
    """A live notification bell for the signed-in user."""
    return widgets.notifications_html(context, limit=limit)


@register.simple_tag(takes_context=True)
def sse_progress(context: Any, task_id: Any) -> SafeString:
    """A live progress bar for a job (``TaskProgress`` id); owner and staff only."""
    return widgets.progress_html(context, task_id)


@register.filter
def sse_safe_link(url: str) -> str:
    return widgets.safe_link(url)
