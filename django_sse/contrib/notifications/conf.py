"""The notifications app's settings (listed in the settings reference)."""

from django_sse.conf import Setting, hook, register_settings

conf = register_settings(
    "sse_notifications",
    [
        Setting(
            "DJANGO_SSE_NOTIFICATION_LANGUAGE",
            None,
            "str, callable or None",
            hook,
            "sse_notifications.E001",
            "takes a user, returns the language code their typed notifications are "
            "rendered in (None: `LANGUAGE_CODE`)",
        ),
    ],
)
