"""Settings from one declarative table: defaults, validation, docs.

Each ``Setting`` names its default, the rule a value must follow, the
system check id that reports a bad value, and the line the settings
reference prints (``docs/reference/settings.md`` is generated from these
tables and a test keeps them in agreement). A value is read from
``django.conf.settings`` once and kept while Django's settings object
stays the same one (``Settings``), so ``override_settings`` works: reading
an unset setting through Django raises and catches an ``AttributeError``
each time, about 2 µs, and a stream's connect reads a dozen
(bench/RESULTS.md, run 29).

Contrib apps declare their own tables with the same classes and register
them with ``register_settings`` so the checks and the docs cover them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from django_sse.internals import settings_object

Validator = Callable[[Any], str | None]  # the problem with a value, or None


def positive_number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return "must be a positive number"
    return None


def positive_int(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return "must be a positive integer"
    return None


def optional_positive_number(value: Any) -> str | None:
    if value is None or positive_number(value) is None:
        return None
    return "must be None or a positive number"


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be True or False"


def non_empty_str(value: Any) -> str | None:
    return None if isinstance(value, str) and value else "must be a non-empty string"


def _optional_secret(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and len(value) >= 16):
        return None
    return "must be None or a string of at least 16 characters"


def _fraction(value: Any) -> str | None:
    if positive_number(value) is None and value <= 1:
        return None
    return "must be a number above 0 and at most 1"


def one_of(*choices: str) -> Validator:
    def check(value: Any) -> str | None:
        if value in choices:
            return None
        return "must be one of " + ", ".join(repr(c) for c in choices)

    return check


def _origins(value: Any) -> str | None:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        return "must be a list of origins such as 'https://app.example.com'"
    for origin in value:
        scheme, sep, rest = origin.partition("://")
        if not sep or scheme not in ("http", "https") or not rest or "/" in rest:
            return f"has {origin!r}, which is not an origin (scheme://host[:port], no path)"
    return None


def _retention(value: Any) -> str | None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and v in ("history", "latest", "none") for k, v in value.items()
    ):
        return "must map topic patterns to 'history', 'latest' or 'none'"
    return None


def hook(value: Any) -> str | None:
    if value is None or callable(value):
        return None
    if not isinstance(value, str):
        return "must be None, a callable or a dotted path to one"
    from django.utils.module_loading import import_string

    try:
        import_string(value)
    except ImportError as exc:
        return f"cannot be imported ({exc})"
    return None


@dataclass(frozen=True)
class Setting:
    """One setting: ``name`` in ``django.conf.settings``, its ``default``,
    the ``validate`` rule, the ``check_id`` reporting a bad value, and the
    ``doc`` line of the settings reference (``type`` as the docs show it)."""

    name: str
    default: Any
    type: str
    validate: Validator
    check_id: str
    doc: str

    def value(self) -> Any:
        return getattr(settings, self.name, self.default)


class Settings:
    """Attribute access to a table of settings: ``conf.DJANGO_SSE_HEARTBEAT``.

    Values are kept once read, for as long as Django's settings object is
    the same one: ``override_settings`` (and so pytest-django's ``settings``
    fixture, and ``modify_settings``) puts a new one in place when it
    starts and the old one back when it ends, and either empties what was
    kept."""

    def __init__(self, table: Iterable[Setting]) -> None:
        self.table = {s.name: s for s in table}
        self.values: dict[str, Any] = {}
        self.source: object = None  # the settings object ``values`` came from

    def __getattr__(self, name: str) -> Any:
        state = self.__dict__
        source = settings_object()
        if state["source"] is not source:
            state["values"], state["source"] = {}, source
        values = state["values"]
        try:
            return values[name]
        except KeyError:
            pass
        try:
            setting = state["table"][name]
        except KeyError:
            raise AttributeError(name) from None
        value = values[name] = setting.value()
        return value


CORE = (
    Setting(
        "DJANGO_SSE_BROKER", "auto", "str", non_empty_str, "django_sse.E002",
        "`auto`, `postgres`, `polling`, `memory`, `redis` or a dotted path to a `Broker` subclass",
    ),
    Setting(
        "DJANGO_SSE_DATABASE", "default", "str", non_empty_str, "django_sse.E001",
        "database alias of every django-sse table (route it with `django_sse.routers.Router`)",
    ),
    Setting(
        "DJANGO_SSE_HEARTBEAT", 15.0, "float", positive_number, "django_sse.E010",
        "seconds of silence before a comment heartbeat",
    ),
    Setting(
        "DJANGO_SSE_RETRY_MS", 2000, "int", positive_int, "django_sse.E011",
        "the `retry:` hint sent first on every stream (milliseconds)",
    ),
    Setting(
        "DJANGO_SSE_POLL_INTERVAL", 0.5, "float", positive_number, "django_sse.E012",
        "seconds between polls (polling broker)",
    ),
    Setting(
        "DJANGO_SSE_MAX_DURATION", None, "float or None", optional_positive_number,
        "django_sse.E013", "end streams after this many seconds (clients resume)",
    ),
    Setting(
        "DJANGO_SSE_IDLE_TIMEOUT", None, "float or None", optional_positive_number,
        "django_sse.E014", "end a stream that delivered no event for this long (clients resume)",
    ),
    Setting(
        "DJANGO_SSE_MAX_TOPICS", 50, "int", positive_int, "django_sse.E015",
        "topics per connection (more: 400)",
    ),
    Setting(
        "DJANGO_SSE_CLIENT_BUFFER", 1000, "int", positive_int, "django_sse.E016",
        "events a client may fall behind before it is cut (it resumes from the log)",
    ),
    Setting(
        "DJANGO_SSE_CLIENT_BUFFER_BYTES", 256 * 1024, "int", positive_int, "django_sse.E025",
        "bytes of events a client may fall behind before it is cut (it resumes from the log)",
    ),
    Setting(
        "DJANGO_SSE_MAX_EVENT_BYTES", 64 * 1024, "int", positive_int, "django_sse.E033",
        "the largest event data `publish()` accepts (UTF-8 bytes); a larger one is a ValueError",
    ),
    Setting(
        "DJANGO_SSE_SEND_TIMEOUT", 30.0, "float", positive_number, "django_sse.E026",
        "a stream whose client takes in nothing for this long is cut (servers with "
        "backpressure: uvicorn, granian, hypercorn)",
    ),
    Setting(
        "DJANGO_SSE_GAP_TIMEOUT", 5.0, "float", positive_number, "django_sse.E017",
        "how long delivery waits for a transaction that published and has not committed; "
        "then what is committed goes out, and if it commits, its topics' streams get a "
        "`reset` (reason `late-event`)",
    ),
    Setting(
        "DJANGO_SSE_TOPIC_RETENTION", {}, "dict", _retention, "django_sse.E006",
        '`{"pattern:*": "history" | "latest" | "none"}`, first match wins over built-ins',
    ),
    Setting(
        "DJANGO_SSE_AUTHORIZE", None, "str, callable or None", hook, "django_sse.E007",
        "`(user, topic) -> bool`, sync or async, asked after the topic rules; raising denies",
    ),
    Setting(
        "DJANGO_SSE_MAX_STREAMS", 10_000, "int", positive_int, "django_sse.E018",
        "open streams per server process (more: 503)",
    ),
    Setting(
        "DJANGO_SSE_MAX_STREAMS_PER_USER", 20, "int", positive_int, "django_sse.E019",
        "open streams per signed-in user per server process (more: 429)",
    ),
    Setting(
        "DJANGO_SSE_TOKEN_MAX_AGE", 60.0, "float", positive_number, "django_sse.E020",
        "lifetime in seconds of stream tokens from `POST /sse/token/`",
    ),
    Setting(
        "DJANGO_SSE_CORS_ORIGINS", [], "list", _origins, "django_sse.E021",
        "origins allowed to open streams cross-origin",
    ),
    Setting(
        "DJANGO_SSE_CHANNEL_LAYER", "default", "str", non_empty_str, "django_sse.E022",
        "channels layer alias of the `redis` broker",
    ),
    Setting(
        "DJANGO_SSE_REAUTHORIZE", 900.0, "float or None", optional_positive_number,
        "django_sse.E024",
        "signed-in streams end after this many seconds and reconnect, so access is checked "
        "again (None: never)",
    ),
    Setting(
        "DJANGO_SSE_PRESENCE_INTERVAL", 5.0, "float", positive_number, "django_sse.E023",
        "how often each server process records its open streams per topic",
    ),
    Setting(
        "DJANGO_SSE_METRICS_TOKEN", None, "str or None", _optional_secret, "django_sse.E027",
        "bearer token a Prometheus scraper sends to `/sse/metrics/` (None: staff sessions only)",
    ),
    Setting(
        "DJANGO_SSE_METRICS_INTERVAL", 5.0, "float", positive_number, "django_sse.E028",
        "how often each server process copies its counts into the Prometheus metrics",
    ),
    Setting(
        "DJANGO_SSE_READY_MAX_OUTAGE", 30.0, "float", positive_number, "django_sse.E029",
        "`/sse/health/ready/` fails once the broker's listener has been away this many seconds",
    ),
    Setting(
        "DJANGO_SSE_READY_MAX_QUEUE_USAGE", 0.5, "float", _fraction, "django_sse.E030",
        "`/sse/health/ready/` fails while PostgreSQL's NOTIFY queue is fuller than this (0-1)",
    ),
    Setting(
        "DJANGO_SSE_PROXY_IDLE_TIMEOUT", 55.0, "float", positive_number, "django_sse.E031",
        "the shortest idle timeout of a proxy in front (check W004 keeps the heartbeat below it)",
    ),
    Setting(
        "DJANGO_SSE_STREAM_BATCH_INTERVAL", 0.1, "float", positive_number, "django_sse.E032",
        "`stream_to()` writes the chunks of this many seconds as one row (the first at once)",
    ),
)  # fmt: skip

_tables: dict[str, tuple[Setting, ...]] = {"django_sse": CORE}


def register_settings(app_label: str, table: Iterable[Setting]) -> Settings:
    """Declare an app's settings: checked at ``manage.py check`` and listed
    in the settings reference. Returns the app's ``conf`` object."""
    table = tuple(table)
    _tables[app_label] = table
    return Settings(table)


def tables() -> dict[str, tuple[Setting, ...]]:
    """Every registered table, by app label (core first)."""
    return dict(_tables)


conf = Settings(CORE)
