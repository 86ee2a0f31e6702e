"""Events of topics with retention ``none``, carried by the broker alone.

Such events are never replayed, so a row in the log would only cost a write
and a read per event. Brokers that can carry a message to every server
process (``postgres``: the NOTIFY payload, sent in the publishing
transaction; ``redis``: the channels layer, after commit; ``memory``: this
process) take them whole; the ``polling`` broker has no channel but the
database and keeps writing rows for them.

Like a logged event, an unlogged one is delivered when the publishing
transaction commits, never if it rolls back, in commit order per topic.
On the wire it carries ``id: <hub frontier> <topic> ~``: the frontier is
a correct cursor for the client (every logged event up to it was queued to
the stream before), and ``~`` tells the client that this id may repeat
(django-sse.js does not treat it as a replay already seen).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Sequence

from django.db import transaction

MARK = "~"
# A PostgreSQL NOTIFY payload must be shorter than 8000 bytes.
MAX_PAYLOAD_BYTES = 7999
TOO_LARGE = (
    "This event is {size} bytes once encoded; events of a topic with retention "
    "'none' travel in the broker's message, at most {limit} bytes with the "
    "{broker} broker. Publish less (an id to fetch the rest), or give the "
    "topic retention 'history' or 'latest' (DJANGO_SSE_TOPIC_RETENTION)."
)

# Identical NOTIFY payloads in one transaction collapse into one: every
# message carries a number unique to its process, so none is dropped.
_numbers = itertools.count(1)
_process = f"{os.getpid():x}"

# This process's hubs take the memory broker's messages (``hubs.py``
# registers them when the first one starts).
_local_receivers: list[Callable[[str], None]] = []


def receive_locally(receive: Callable[[str], None]) -> None:
    """Hand every message the memory broker delivers in this process to ``receive``."""
    if receive not in _local_receivers:
        _local_receivers.append(receive)


def encode(topic: str, event: str, text: str) -> str:
    return json.dumps(
        [f"{_process}.{next(_numbers)}", topic, event, text],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode(message: str) -> tuple[str, str, str] | None:
    """``(topic, event, data text)``, or None for a message that is not one."""
    try:
        _, topic, event, text = json.loads(message)
    except (ValueError, TypeError):
        return None
    if not all(isinstance(part, str) for part in (topic, event, text)):
        return None
    return topic, event, text


def check_size(message: str, broker: str, limit: int = MAX_PAYLOAD_BYTES) -> None:
    size = len(message.encode())
    if size > limit:
        raise ValueError(TOO_LARGE.format(size=size, limit=limit, broker=broker))


def deliver_locally(messages: Sequence[str]) -> None:
    for receive in list(_local_receivers):
        for message in messages:
            receive(message)


def after_commit(
    alias: str, messages: Sequence[str], send: Callable[[Sequence[str]], None]
) -> None:
    """``send(messages)`` when the transaction on ``alias`` commits (at once
    in autocommit), never if it rolls back."""
    transaction.on_commit(lambda: send(messages), using=alias)
