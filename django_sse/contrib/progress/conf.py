"""The progress app's settings (listed in the settings reference)."""

from django_sse.conf import Setting, positive_int, positive_number, register_settings

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
        Setting(
            "DJANGO_SSE_PROGRESS_LOST_AFTER",
            60.0,
            "float",
            positive_number,
            "sse_progress.E002",
            "seconds without a heartbeat after which a running job is marked lost "
            "(its worker beats four times within it)",
        ),
        Setting(
            "DJANGO_SSE_PROGRESS_RETENTION",
            30.0,
            "float",
            positive_number,
            "sse_progress.E003",
            "days a finished job is kept; `manage.py sse_jobs prune` deletes older ones",
        ),
        Setting(
            "DJANGO_SSE_JOBS_LIMIT",
            10,
            "int",
            positive_int,
            "sse_progress.E004",
            "how many of the user's recent jobs `{% sse_jobs %}` shows (running ones always)",
        ),
    ],
)
