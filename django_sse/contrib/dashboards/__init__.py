"""Live dashboards: latest-value topics, samplers, values and charts.

INSTALLED_APPS = [..., "django_sse", "django_sse.contrib.dashboards"]

from django_sse.contrib import dashboards
dashboards.publish("ops", {"orders_today": 1284})

@dashboards.dashboard_metric("ops", every=5)   # in an app's sse_metrics.py
def ops(): return {"orders_today": Order.objects.count()}

{% load sse_dashboards %}{% sse_dashboard "ops" %}...{% end_sse_dashboard %}
"""

from __future__ import annotations

from typing import Any

__all__ = ["EVENT", "dashboard_metric", "publish", "topic"]


def __getattr__(name: str) -> Any:
    # Lazy, so importing the package does not need the app registry.
    if name in __all__:
        from django_sse.contrib.dashboards import metrics

        return getattr(metrics, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
