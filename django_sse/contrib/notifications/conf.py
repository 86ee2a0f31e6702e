"""The notifications app's settings (listed in the settings reference)."""

from typing import Any

from django_sse.conf import Setting, hook, register_settings


def _site_url(value: Any) -> str | None:
    if value is None:
        return None
    if (
        isinstance(value, str)
        and value.startswith(("https://", "http://"))
        and not value.endswith("/")
    ):
        return None
    return "must be None or the site's address, such as 'https://example.com' (no trailing /)"


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
        Setting(
            "DJANGO_SSE_SITE_URL",
            None,
            "str or None",
            _site_url,
            "sse_notifications.E002",
            "the site's address for links in emails (`manage.py sse_send_emails` needs it)",
        ),
    ],
)
