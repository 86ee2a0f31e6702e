"""The dashboards app's settings (listed in the settings reference)."""

from django_sse.conf import Setting, boolean, register_settings

conf = register_settings(
    "sse_dashboards",
    [
        Setting(
            "DJANGO_SSE_SAMPLERS_IN_SERVER",
            True,
            "bool",
            boolean,
            "sse_dashboards.E001",
            "run dashboard samplers in the server processes (else in `manage.py sse_sampler`)",
        ),
    ],
)
