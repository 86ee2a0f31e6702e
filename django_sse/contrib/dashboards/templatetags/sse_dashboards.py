"""``{% load sse_dashboards %}``: live values and charts of a dashboard."""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from django import template
from django.contrib.auth.models import AnonymousUser
from django.templatetags.static import static
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString, mark_safe

from django_sse import logqueries
from django_sse.contrib.dashboards import metrics
from django_sse.topics import can_subscribe
from django_sse.widgets import csp_nonce, nonce_attr, once, script_html

register = template.Library()


def _user(context: Any) -> Any:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return user if user is not None else AnonymousUser()


def dashboard_html(context: Any, name: str, inner: str, points: int = 60) -> SafeString:
    """Wrap ``inner`` markup in a live dashboard. The last ``points``
    snapshots are rendered into the page, so values and charts show at once,
    for a user the topic's rule admits (the same rule as the stream's); for
    anyone else, none."""
    topic = metrics.topic(name)
    history = []
    if async_to_sync(can_subscribe)(_user(context), topic):
        rows = logqueries.recent(topic, points, event=metrics.EVENT)
        history = [json.loads(row.data) for row in rows]
    head = mark_safe("")
    if "data-sse-chart" in inner and once(context.get("request"), "uplot"):
        head = format_html(
            '<link rel="stylesheet" href="{}"><script src="{}"{}></script>',
            static("django_sse/vendor/uplot/uPlot.min.css"),
            static("django_sse/vendor/uplot/uPlot.iife.min.js"),
            nonce_attr(csp_nonce(context)),
        )
    html = format_html(
        '<div class="sse-dashboard" data-sse-widget="dashboard" data-sse-topic="{}">{}{}</div>',
        topic,
        mark_safe(inner),
        mark_safe(
            json_script(history).replace("<script ", '<script class="sse-dashboard-history" ', 1)
        ),
    )
    return mark_safe(head + html + script_html(context, "dashboard"))


class DashboardNode(template.Node):
    def __init__(self, name: Any, points: Any, nodelist: template.NodeList) -> None:
        self.name, self.points, self.nodelist = name, points, nodelist

    def render(self, context: Any) -> str:
        points = self.points.resolve(context) if self.points is not None else 60
        inner = self.nodelist.render(context)
        return dashboard_html(context, self.name.resolve(context), inner, points=int(points))


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
