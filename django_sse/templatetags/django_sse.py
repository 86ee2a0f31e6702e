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


@register.simple_tag(takes_context=True)
def sse_text(context: Any, topic: str, event: str = "token") -> SafeString:
    """Text that grows as ``event`` events of ``topic`` arrive (token streams)."""
    return widgets.text_html(context, topic, event)


class DashboardNode(template.Node):
    def __init__(self, name: Any, points: Any, nodelist: template.NodeList) -> None:
        self.name, self.points, self.nodelist = name, points, nodelist

    def render(self, context: Any) -> str:
        points = self.points.resolve(context) if self.points is not None else 60
        inner = self.nodelist.render(context)
        return widgets.dashboard_html(
            context, self.name.resolve(context), inner, points=int(points)
        )


@register.tag
def sse_dashboard(parser: Any, token: Any) -> DashboardNode:
    """``{% sse_dashboard "ops" [points=60] %}...{% end_sse_dashboard %}``: markup
    inside with ``data-sse-field``/``data-sse-chart`` updates live."""
    bits = token.split_contents()
    if len(bits) not in (2, 3):
        raise template.TemplateSyntaxError("usage: {% sse_dashboard NAME [points=N] %}")
    points = None
    if len(bits) == 3:
        key, _, value = bits[2].partition("=")
        if key != "points" or not value:
            raise template.TemplateSyntaxError("sse_dashboard takes points=N")
        points = parser.compile_filter(value)
    nodelist = parser.parse(("end_sse_dashboard",))
    parser.delete_first_token()
    return DashboardNode(parser.compile_filter(bits[1]), points, nodelist)


@register.filter
def sse_safe_link(url: str) -> str:
    return widgets.safe_link(url)
