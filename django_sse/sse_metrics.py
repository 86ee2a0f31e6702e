"""django-sse's own dashboard: open streams in the deployment (admin page)."""

from django_sse.dashboards import dashboard_metric
from django_sse.sampling import deployment_streams


@dashboard_metric("staff.streams", every=2)
def streams() -> dict:
    return deployment_streams()
