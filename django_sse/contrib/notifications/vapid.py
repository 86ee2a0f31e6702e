"""VAPID keys (RFC 8292): read the private key from settings, derive the
public key browsers subscribe with, make new keys. Needs the ``[push]``
extra (py-vapid and cryptography come with pywebpush)."""

from __future__ import annotations

import base64
from typing import Any


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load(value: str) -> Any:
    """A ``py_vapid.Vapid`` from a PEM key or a base64url one (raw or DER);
    ValueError says what is wrong."""
    from py_vapid import Vapid

    try:
        if value.lstrip().startswith("-----BEGIN"):
            return Vapid.from_pem(value.strip().encode())
        return Vapid.from_string(value.strip())
    except Exception as exc:  # the library raises several kinds for a bad key
        raise ValueError(f"is not a P-256 private key ({type(exc).__name__})") from None


def key_problem(value: str) -> str | None:
    """What is wrong with a configured private key, or None."""
    try:
        import py_vapid  # noqa: F401
        import pywebpush  # noqa: F401
    except ImportError:
        return "is set but pywebpush is not installed (pip install 'django-sse-hub[push]')"
    try:
        load(value)
    except ValueError as exc:
        return str(exc)
    return None


def public_key(vapid: Any) -> str:
    """The application server key browsers subscribe with (base64url of the
    uncompressed P-256 point)."""
    from cryptography.hazmat.primitives import serialization

    return b64url(
        vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def generate() -> tuple[str, str]:
    """A new (private key PEM, public key base64url) pair."""
    from py_vapid import Vapid

    vapid = Vapid()
    vapid.generate_keys()
    return vapid.private_pem().decode(), public_key(vapid)
