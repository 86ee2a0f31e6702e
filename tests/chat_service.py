"""A local Slack and Microsoft Teams for the tests: no real workspace can
be reached from here, so this one takes incoming-webhook posts and checks
them as the services document them.

- Slack (``/services/<team>/<bot>/<secret>``): a JSON object with a
  non-empty ``text``; ``blocks``, if any, a list of at most 50 blocks,
  each a ``section`` whose ``text`` is ``mrkdwn`` or ``plain_text`` of at
  most 3,000 characters. Answers ``200 ok``; a bad payload ``400
  invalid_payload``; an unknown hook ``404 no_service``.
- Teams (``/workflows/<id>``, a workflow's "When a Teams webhook request
  is received"): ``{"type": "message", "attachments": [...]}``, each
  attachment ``application/vnd.microsoft.card.adaptive`` whose
  ``content`` is an ``AdaptiveCard`` with a ``version`` and a ``body`` of
  typed elements; an ``Action.OpenUrl`` needs an absolute http(s) ``url``.
  Answers ``202``; a bad payload ``400``.

``answers[path]`` lists statuses to give instead (500, 429, 410, 302...),
first one first. ``received`` is every accepted post: (path, payload).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ADAPTIVE = "application/vnd.microsoft.card.adaptive"


def slack_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"]:
        return "text is required"
    blocks = body.get("blocks", [])
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "blocks must be a list of at most 50"
    for block in blocks:
        text = block.get("text") if isinstance(block, dict) else None
        if block.get("type") != "section" or not isinstance(text, dict):
            return "a section block with text"
        if text.get("type") not in ("mrkdwn", "plain_text") or len(text.get("text", "")) > 3000:
            return "section text is mrkdwn or plain_text, at most 3000 characters"
    return None


def teams_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or body.get("type") != "message":
        return 'type must be "message"'
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return "attachments are required"
    for attachment in attachments:
        card = attachment.get("content") if isinstance(attachment, dict) else None
        if attachment.get("contentType") != ADAPTIVE or not isinstance(card, dict):
            return "an adaptive card attachment"
        if card.get("type") != "AdaptiveCard" or not isinstance(card.get("version"), str):
            return "content is an AdaptiveCard with a version"
        elements = card.get("body")
        if not isinstance(elements, list) or not all("type" in e for e in elements):
            return "the card's body is a list of typed elements"
        for action in card.get("actions", []):
            url = action.get("url", "")
            if action.get("type") == "Action.OpenUrl" and not url.startswith(
                ("https://", "http://")
            ):
                return "Action.OpenUrl needs an absolute url"
    return None


class ChatService:
    def __init__(self) -> None:
        self.received: list[tuple[str, Any]] = []
        self.refused: list[tuple[str, str]] = []
        self.answers: dict[str, list[int]] = {}
        self.hooks: set[str] = set()

    def slack_hook(self, name: str = "T1/B1/secret") -> str:
        self.hooks.add(f"/services/{name}")
        return f"{self.origin}/services/{name}"

    def teams_hook(self, name: str = "a1b2") -> str:
        self.hooks.add(f"/workflows/{name}")
        return f"{self.origin}/workflows/{name}"

    def take(self, path: str, headers: Any, raw: bytes) -> tuple[int, str, dict[str, str]]:
        """What the service answers a post: (status, text, headers)."""
        queued = self.answers.get(path)
        if queued:
            status = queued.pop(0)
            if status in (301, 302, 307, 308):
                return status, "", {"Location": f"{self.origin}/elsewhere"}
            return status, "try later" if status >= 429 else "gone", {}
        if path not in self.hooks:
            return 404, "no_service", {}
        try:
            if not headers.get("Content-Type", "").startswith("application/json"):
                raise ValueError("Content-Type must be application/json")
            body = json.loads(raw)
        except ValueError as exc:
            self.refused.append((path, str(exc)))
            return 400, "invalid_payload", {}
        slack = path.startswith("/services/")
        problem = slack_problem(body) if slack else teams_problem(body)
        if problem:
            self.refused.append((path, problem))
            return 400, "invalid_payload", {}
        self.received.append((path, body))
        return (200, "ok", {}) if slack else (202, "", {})

    def start(self) -> ChatService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def answer(self, status: int, text: str = "", **headers: str) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(text.encode())))
                self.end_headers()
                self.wfile.write(text.encode())

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, text, headers = service.take(self.path, self.headers, raw)
                self.answer(status, text, **headers)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
