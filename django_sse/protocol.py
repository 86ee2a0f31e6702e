"""The text/event-stream format: an encoder and a WHATWG-conformant parser.

The parser follows the HTML standard's "Interpreting an event stream"
section exactly; the tests use it to read what a browser would read, and it
is offered as a small client helper (see ``django_sse.client``).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def encode_data(data: Any) -> str:
    """Turn a payload into the text carried by ``data:`` lines.

    ``str`` is sent as is, ``bytes`` must be UTF-8, anything else is
    serialised to JSON with ``DjangoJSONEncoder`` (dates, UUIDs, decimals).
    """
    if isinstance(data, str):
        return data
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data).decode("utf-8")
    try:
        return json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)
    except TypeError as exc:
        raise TypeError(
            f"Event data must be str, bytes or JSON-serialisable (dicts, lists, numbers, "
            f"dates, UUIDs, decimals): {exc}. Send the fields you need, e.g. "
            f'{{"id": obj.pk}}, not the object.'
        ) from None


def check_field(name: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise ValueError(f"SSE {name} must not contain CR or LF: {value!r}")
    if "\x00" in value:
        # Browsers ignore an id with NUL in it; an event name with NUL is
        # never what the caller meant either.
        raise ValueError(f"SSE {name} must not contain NUL: {value!r}")


def format_event(text: str, *, event: str | None = None, id: str | int | None = None) -> bytes:
    """Encode one event whose data is already text (see ``encode_data``).

    Line breaks in ``text`` (CR, LF or CRLF) become separate ``data:``
    lines, which a parser joins with LF: the data cannot add fields.
    """
    parts = []
    if id is not None:
        id = str(id)
        check_field("id", id)
        parts.append(f"id: {id}\n")
    if event:
        check_field("event", event)
        parts.append(f"event: {event}\n")
    for line in _LINE_BREAK.split(text):
        parts.append(f"data: {line}\n")
    parts.append("\n")
    return "".join(parts).encode("utf-8")


def encode_event(data: Any, *, event: str | None = None, id: str | int | None = None) -> bytes:
    """Encode a payload (str, bytes or JSON-serialisable) as one event."""
    return format_event(encode_data(data), event=event, id=id)


def encode_retry(milliseconds: int) -> bytes:
    """A ``retry:`` line, to open the next frame: it sets the client's
    reconnection delay. It is never a frame of its own, which some clients
    (httpx-sse) would hand to the caller as an event with no data."""
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, int) or milliseconds < 0:
        raise ValueError(f"retry must be a non-negative int, not {milliseconds!r}")
    return f"retry: {milliseconds}\n".encode()


def encode_comment(text: str = "") -> bytes:
    """A comment line; clients ignore it, proxies see traffic (heartbeat)."""
    return "".join(f":{line}\n" for line in _LINE_BREAK.split(text)).encode("utf-8") + b"\n"


@dataclass(frozen=True)
class Event:
    """One dispatched event, as a browser's ``MessageEvent`` would carry it."""

    data: str
    type: str = "message"
    last_event_id: str = ""

    def json(self) -> Any:
        return json.loads(self.data)


class Parser:
    """Incremental event-stream parser: ``feed(bytes)`` returns the events
    completed by that chunk. Partial lines and events wait for more input;
    an event left unfinished when the stream ends is dropped, as the
    standard requires.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._first = True
        self._skip_lf = False
        self._data: list[str] = []
        self._type = ""
        self._id_buffer = ""
        self.last_event_id = ""
        self.retry: int | None = None

    def feed(self, chunk: bytes) -> list[Event]:
        text = self._decoder.decode(chunk)
        if self._first and text:
            self._first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        if self._skip_lf and text:
            self._skip_lf = False
            if text.startswith("\n"):
                text = text[1:]
        self._buffer += text
        events: list[Event] = []
        for line in self._lines():
            event = self._process(line)
            if event is not None:
                events.append(event)
        return events

    def _lines(self) -> Iterator[str]:
        buffer = self._buffer
        start = 0
        while True:
            match = _LINE_BREAK.search(buffer, start)
            if match is None:
                break
            if match.group() == "\r" and match.end() == len(buffer):
                # A CR at the end of the chunk ends the line; an LF that
                # starts the next chunk belongs to it (CRLF split in two).
                self._skip_lf = True
            yield buffer[start : match.start()]
            start = match.end()
        self._buffer = buffer[start:]

    def _process(self, line: str) -> Event | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._type = value
        elif field == "data":
            self._data.append(value)
        elif field == "id":
            if "\x00" not in value:
                self._id_buffer = value
        elif field == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)
        return None

    def _dispatch(self) -> Event | None:
        self.last_event_id = self._id_buffer
        if not self._data:
            self._type = ""
            return None
        event = Event(
            data="\n".join(self._data),
            type=self._type or "message",
            last_event_id=self.last_event_id,
        )
        self._data = []
        self._type = ""
        return event


def parse(stream: bytes) -> list[Event]:
    """Parse a complete stream; a trailing unfinished event is dropped."""
    return Parser().feed(stream)
