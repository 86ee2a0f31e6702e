"""Live dashboards: latest-value topics, samplers, values and charts.

INSTALLED_APPS = [..., "django_sse", "django_sse.contrib.dashboards"]

from django_sse.contrib import dashboards
dashboards.publish("ops", {"orders_today": 1284})

@dashboards.dashboard_metric("ops", every=5)   # in an app's sse_metrics.py
def ops(): return {"orders_today": Order.objects.count()}

{% load sse_dashboards %}{% sse_dashboard "ops" %}...{% end_sse_dashboard %}
"""

from __future__ import annotations

from django_sse.lazy import lazy_attributes

_SOURCES = {"metrics": ["EVENT", "dashboard_metric", "publish", "topic"]}
__all__ = _SOURCES["metrics"]
__getattr__ = lazy_attributes(__name__, _SOURCES)
