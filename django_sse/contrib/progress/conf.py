"""The progress app's settings (listed in the settings reference)."""

from django_sse.conf import Setting, positive_number, register_settings

conf = register_settings(
    "sse_progress",
    [
        Setting(
            "DJANGO_SSE_PROGRESS_INTERVAL",
            0.1,
            "float",
            positive_number,
            "sse_progress.E001",
            "at most one progress write and event per job per this many seconds",
        ),
    ],
)
