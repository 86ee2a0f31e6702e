"""A local web push service (RFC 8030) for the tests: no browser vendor's
push service can be reached from here, so this one stands in for it.

It takes what a real one takes and checks what a real one checks:

- ``POST /push/<id>`` for a subscription it made (``subscribe()``: a
  P-256 key pair and an authentication secret, as a browser makes them);
  unknown ids get 404, as a real service answers for an expired one;
- the VAPID ``Authorization: vapid t=<JWT>, k=<key>`` header (RFC 8292):
  ``k`` must be the application server key the subscription was made
  with, the JWT must be ES256, signed by that key, with ``aud`` this
  service's origin, ``exp`` in the next 24 hours and a ``sub`` contact;
- ``Content-Encoding: aes128gcm`` and ``TTL``; the body is decrypted with
  the subscription's private key and secret (RFC 8291), so what the tests
  read is what the browser would have read.

A failed check answers 400, 401 or 403 and is recorded in ``refused``.
``answers[id]`` lists statuses to give instead (429, 410, ...), first one
first, for the failure tests.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

# A key for the tests only (the server processes the tests start use it too).
TEST_VAPID_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFlTjOfYCwHasVWVn
b+zwUWSaErsNr1cZH4chEGaTWXqhRANCAARQ4Ekw/vSBYK56jaxwszkoD0HhXO+V
qFIV6PiW9h/0jtbjuTxC+3srIGDxyELdN1pCnfBYhiaG9LMn3GlQuxi7
-----END PRIVATE KEY-----
"""
TEST_VAPID_SUBJECT = "mailto:push-tests@example.test"
# What a test overrides to send web push here (and tests/settings.py sets
# in a server process started with DJANGO_SSE_TEST_PUSH=1).
PUSH_SETTINGS = {
    "DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY": TEST_VAPID_KEY,
    "DJANGO_SSE_PUSH_VAPID_SUBJECT": TEST_VAPID_SUBJECT,
    "DJANGO_SSE_PUSH_SERVICES": ["http://127.0.0.1:*"],  # its port is a free one
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscription:
    id: str
    endpoint: str
    server_key: str  # the application server key it was made with
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    def as_json(self) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives in a browser."""
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)},
        }


@dataclass
class Delivery:
    subscription: str
    message: dict[str, Any]
    headers: dict[str, str]
    claims: dict[str, Any]


@dataclass
class PushService:
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    delivered: list[Delivery] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    answers: dict[str, list[int]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def start(self) -> PushService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                status, reason = service.receive(
                    self.path, dict(self.headers), self.rfile.read(length)
                )
                self.send_response(status)
                if status == 201:
                    self.send_header("Location", f"{service.origin}/message/{time.monotonic_ns()}")
                self.send_header("Content-Length", str(len(reason)))
                self.end_headers()
                self.wfile.write(reason.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def subscribe(self, server_key: str) -> Subscription:
        """A new subscription, as a browser's ``pushManager.subscribe()``
        with ``applicationServerKey=server_key`` would get one."""
        sub_id = f"s{next(self._ids)}"
        item = Subscription(
            sub_id,
            f"{self.origin}/push/{sub_id}",
            server_key,
            ec.generate_private_key(ec.SECP256R1()),
            os.urandom(16),
        )
        self.subscriptions[sub_id] = item
        return item

    def messages(self, sub: Subscription | None = None) -> list[dict[str, Any]]:
        return [d.message for d in self.delivered if sub is None or d.subscription == sub.id]

    def wait(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.delivered) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages()

    # -- the checks -------------------------------------------------------

    def receive(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        headers = {k.lower(): v for k, v in headers.items()}
        sub = self.subscriptions.get(path.removeprefix("/push/"))
        if sub is None:
            return 404, "no such subscription"
        if self.answers.get(sub.id):
            return self.answers[sub.id].pop(0), "scripted"
        try:
            claims = self.check_vapid(headers.get("authorization", ""), sub)
            if headers.get("content-encoding") != "aes128gcm":
                raise Refused(400, f"content-encoding {headers.get('content-encoding')!r}")
            if not headers.get("ttl", "").isdigit():
                raise Refused(400, "no TTL")
            plain = http_ece.decrypt(
                body, private_key=sub.private_key, auth_secret=sub.auth, version="aes128gcm"
            )
        except Refused as exc:
            self.refused.append((exc.status, exc.reason))
            return exc.status, exc.reason
        except Exception as exc:  # a body that does not decrypt
            self.refused.append((400, f"decryption failed: {exc!r}"))
            return 400, "decryption failed"
        self.delivered.append(Delivery(sub.id, json.loads(plain), headers, claims))
        return 201, ""

    def check_vapid(self, header: str, sub: Subscription) -> dict[str, Any]:
        scheme, _, params = header.partition(" ")
        if scheme.lower() != "vapid":
            raise Refused(401, f"authorization scheme {scheme!r}")
        parts = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
        if parts.get("k") != sub.server_key:
            raise Refused(403, "k is not the key the subscription was made with")
        try:
            head, claims_part, signature = parts["t"].split(".")
            if json.loads(unb64url(head)).get("alg") != "ES256":
                raise Refused(401, "not ES256")
            raw = unb64url(signature)
            public = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), unb64url(parts["k"])
            )
            public.verify(
                encode_dss_signature(
                    int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
                ),
                f"{head}.{claims_part}".encode(),
                ec.ECDSA(hashes.SHA256()),
            )
        except (KeyError, ValueError, InvalidSignature) as exc:
            raise Refused(401, f"bad VAPID token: {exc!r}") from None
        claims: dict[str, Any] = json.loads(unb64url(claims_part))
        if claims.get("aud") != self.origin:
            raise Refused(401, f"aud {claims.get('aud')!r} is not {self.origin}")
        if not time.time() < claims.get("exp", 0) <= time.time() + 24 * 3600:
            raise Refused(401, "exp is not within 24 hours")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
            raise Refused(401, "no sub contact")
        return claims


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason
