"""``{% load django_sse %}``: the client, text streams, and the link filter
every widget template uses. The contrib apps have tag libraries of their
own (``sse_notifications``, ``sse_progress``, ``sse_dashboards``)."""

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
def sse_text(context: Any, topic: str, event: str = "token") -> SafeString:
    """Text that grows as ``event`` events of ``topic`` arrive (token streams)."""
    return widgets.text_html(context, topic, event)


@register.simple_tag(takes_context=True)
def sse_presence(context: Any, topic: str) -> SafeString:
    """Who views ``topic``, live ("3 people are viewing this", and the
    signed-in ones' names); the page counts as one of them."""
    return widgets.presence_html(context, topic)


@register.filter
def sse_safe_link(url: str) -> str:
    """``url`` if it is a local path or an http(s) URL, else ``""``."""
    return widgets.safe_link(url)
