"""The notifications app's settings (listed in the settings reference)."""

from typing import Any

from django.conf import settings

from django_sse.conf import Setting, hook, one_of, positive_int, register_settings


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


def _vapid_key(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return "must be None or a VAPID private key (PEM, or base64url as web-push prints it)"
    from django_sse.contrib.notifications import vapid

    return vapid.key_problem(value)


def _vapid_subject(value: Any) -> str | None:
    key = getattr(settings, "DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY", None)
    if value is None and key and _vapid_key(key) is None:  # a bad key is E003's
        return "must be set with DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY ('mailto:you@example.com')"
    if value is None or (
        isinstance(value, str) and value.startswith(("mailto:", "https://")) and len(value) > 8
    ):
        return None
    return "must be None or a 'mailto:' or 'https://' address push services can reach you at"


def _services(what: str, example: str) -> Any:
    problem = f"must be a list of {what} addresses such as {example} (scheme and host, no path)"

    def check(value: Any) -> str | None:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return problem
        for item in value:
            scheme, sep, host = item.partition("://")
            if not sep or scheme not in ("http", "https") or not host or "/" in host:
                return f"has {item!r}: it {problem.removeprefix('must be a list of')}"
        return None

    return check


# Where browsers' push subscriptions may point (nothing else is ever posted
# to): Chrome, Firefox, Safari and Edge's push services.
PUSH_SERVICES = [
    "https://fcm.googleapis.com",
    "https://updates.push.services.mozilla.com",
    "https://*.push.apple.com",
    "https://*.notify.windows.com",
]

# Where chat webhooks may point: Slack's incoming webhooks, and Teams'
# (workflows, and the connectors that remain).
CHAT_SERVICES = [
    "https://hooks.slack.com",
    "https://*.webhook.office.com",
    "https://*.logic.azure.com",
    "https://*.api.powerplatform.com",
]

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
        Setting(
            "DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY",
            None,
            "str or None",
            _vapid_key,
            "sse_notifications.E003",
            "the VAPID private key that signs web pushes (`manage.py sse_push_keys` makes "
            "one); None: no web push",
        ),
        Setting(
            "DJANGO_SSE_PUSH_VAPID_SUBJECT",
            None,
            "str or None",
            _vapid_subject,
            "sse_notifications.E004",
            "how push services reach you ('mailto:ops@example.com'); needed with a key",
        ),
        Setting(
            "DJANGO_SSE_PUSH_POLICY",
            "offline",
            "str",
            one_of("offline", "always"),
            "sse_notifications.E005",
            "'offline': push a notification only to users with no page open; 'always'",
        ),
        Setting(
            "DJANGO_SSE_PUSH_SERVICES",
            PUSH_SERVICES,
            "list of str",
            _services("push service", "'https://fcm.googleapis.com' or 'https://*.push.apple.com'"),
            "sse_notifications.E006",
            "the push services subscriptions may point at ('*.' matches subdomains; the "
            "scheme's port only, unless one is named, or ':*'); nothing else is ever posted "
            "to, and no redirect is followed",
        ),
        Setting(
            "DJANGO_SSE_PUSH_SENDER",
            "thread",
            "str",
            one_of("thread", "command"),
            "sse_notifications.E007",
            "'thread': a background thread of the process that called `notify()` sends; "
            "'command': only `manage.py sse_send_push` does",
        ),
        Setting(
            "DJANGO_SSE_PUSH_TTL",
            86400,
            "int",
            positive_int,
            "sse_notifications.E008",
            "seconds a push service keeps a message for a browser that is offline",
        ),
        Setting(
            "DJANGO_SSE_NOTIFICATION_BADGE",
            "unread",
            "str",
            one_of("unread", "unseen"),
            "sse_notifications.E010",
            "what the bell counts: 'unread', or 'unseen' (unread and not yet shown in an "
            "opened panel, as Knock's and Novu's feeds count)",
        ),
        Setting(
            "DJANGO_SSE_CHAT_SERVICES",
            CHAT_SERVICES,
            "list of str",
            _services("chat webhook", "'https://hooks.slack.com' or 'https://*.logic.azure.com'"),
            "sse_notifications.E009",
            "where Slack and Teams webhooks may point ('*.' matches subdomains, as "
            "`DJANGO_SSE_PUSH_SERVICES`); nothing else is ever posted to",
        ),
    ],
)
