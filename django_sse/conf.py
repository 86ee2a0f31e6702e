"""Typed settings with defaults.

Every value is read from ``django.conf.settings`` on each access, so
``override_settings`` works in tests. The README documents each one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


class Settings:
    @property
    def DJANGO_SSE_BROKER(self) -> str:
        """``auto``, ``postgres``, ``polling``, ``memory`` or a dotted path."""
        return getattr(settings, "DJANGO_SSE_BROKER", "auto")

    @property
    def DJANGO_SSE_DATABASE(self) -> str:
        """Database alias that holds the event log."""
        return getattr(settings, "DJANGO_SSE_DATABASE", "default")

    @property
    def DJANGO_SSE_CHANNEL_LAYER(self) -> str:
        """The channels layer alias of the ``redis`` broker."""
        return getattr(settings, "DJANGO_SSE_CHANNEL_LAYER", "default")

    @property
    def DJANGO_SSE_HEARTBEAT(self) -> float:
        return getattr(settings, "DJANGO_SSE_HEARTBEAT", 15.0)

    @property
    def DJANGO_SSE_RETRY_MS(self) -> int:
        return getattr(settings, "DJANGO_SSE_RETRY_MS", 2000)

    @property
    def DJANGO_SSE_POLL_INTERVAL(self) -> float:
        return getattr(settings, "DJANGO_SSE_POLL_INTERVAL", 0.5)

    @property
    def DJANGO_SSE_MAX_DURATION(self) -> float | None:
        return getattr(settings, "DJANGO_SSE_MAX_DURATION", None)

    @property
    def DJANGO_SSE_IDLE_TIMEOUT(self) -> float | None:
        """End a stream that delivered no event for this long (it reconnects)."""
        return getattr(settings, "DJANGO_SSE_IDLE_TIMEOUT", None)

    @property
    def DJANGO_SSE_MAX_TOPICS(self) -> int:
        return getattr(settings, "DJANGO_SSE_MAX_TOPICS", 50)

    @property
    def DJANGO_SSE_CLIENT_BUFFER(self) -> int:
        return getattr(settings, "DJANGO_SSE_CLIENT_BUFFER", 1000)

    @property
    def DJANGO_SSE_GAP_TIMEOUT(self) -> float:
        return getattr(settings, "DJANGO_SSE_GAP_TIMEOUT", 2.0)

    @property
    def DJANGO_SSE_TOPIC_RETENTION(self) -> dict[str, str]:
        return getattr(settings, "DJANGO_SSE_TOPIC_RETENTION", {})

    @property
    def DJANGO_SSE_PROGRESS_INTERVAL(self) -> float:
        return getattr(settings, "DJANGO_SSE_PROGRESS_INTERVAL", 0.1)

    @property
    def DJANGO_SSE_PRESENCE_INTERVAL(self) -> float:
        return getattr(settings, "DJANGO_SSE_PRESENCE_INTERVAL", 5.0)

    @property
    def DJANGO_SSE_SAMPLERS_IN_SERVER(self) -> bool:
        return getattr(settings, "DJANGO_SSE_SAMPLERS_IN_SERVER", True)

    @property
    def DJANGO_SSE_MAX_STREAMS(self) -> int:
        """Open streams per server process; more get 503."""
        return getattr(settings, "DJANGO_SSE_MAX_STREAMS", 10_000)

    @property
    def DJANGO_SSE_MAX_STREAMS_PER_USER(self) -> int:
        """Open streams per signed-in user per server process; more get 429."""
        return getattr(settings, "DJANGO_SSE_MAX_STREAMS_PER_USER", 20)

    @property
    def DJANGO_SSE_TOKEN_MAX_AGE(self) -> float:
        return getattr(settings, "DJANGO_SSE_TOKEN_MAX_AGE", 60.0)

    @property
    def DJANGO_SSE_CORS_ORIGINS(self) -> list[str]:
        return getattr(settings, "DJANGO_SSE_CORS_ORIGINS", [])

    @property
    def DJANGO_SSE_AUTHORIZE(self) -> Any:
        return getattr(settings, "DJANGO_SSE_AUTHORIZE", None)


conf = Settings()
