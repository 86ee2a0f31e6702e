"""Addresses the app posts to (push services, chat webhooks): only those
on a list the project controls, so a user's input never points the server
at another host (no redirect is followed either)."""

from __future__ import annotations

from urllib.parse import urlsplit


def valid(url: str) -> bool:
    """An address with a host and no user or password in it."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises for a bad port)
    except ValueError:
        return False
    return bool(parts.hostname) and not (parts.username or parts.password)


def on_list(url: str, services: list[str] | tuple[str, ...]) -> bool:
    """Whether ``url`` is a valid address of one of ``services``
    (``scheme://host``, ``*.`` matching subdomains; the scheme's port only,
    unless one is named, or ``:*``)."""
    if not valid(url):
        return False
    parts = urlsplit(url)
    port, host = parts.port, parts.hostname or ""
    for service in services:
        scheme, _, allowed = service.partition("://")
        allowed_host, _, allowed_port = allowed.partition(":")
        if scheme != parts.scheme or not _port_allowed(port, allowed_port, scheme):
            continue
        if host == allowed_host or (
            allowed_host.startswith("*.") and host.endswith(allowed_host[1:])
        ):
            return True
    return False


def _port_allowed(port: int | None, allowed: str, scheme: str) -> bool:
    """A service names its port (``host:8443``), or any (``host:*``, for a
    local test service); without one, only the scheme's own port."""
    if allowed == "*":
        return True
    if allowed:
        return str(port) == allowed
    return port in (None, 443 if scheme == "https" else 80)
