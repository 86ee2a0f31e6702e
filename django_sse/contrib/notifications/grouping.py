"""Collapsing: many notifications of one kind about one thing become one
unread item per recipient ("Alice and 2 others commented on Post 7"),
updated in place while it is unread.

    notify(followers, "{actors} commented on " + post.title,
           actor=comment.author, collapse=("comment", post), url=post.url)

The key is any string, or a tuple of strings and model instances. While a
recipient has an unread notification with the key (and, with
``collapse_window``, one created within it), a new one updates it instead
of adding a row: the newest text, body, level and link, the actors (the
three most recent by name, and how many in all) and ``count``. Read or
dismissed, the next one starts a new item.
"""

from __future__ import annotations

from typing import Any

from django.db import models

ACTORS_KEPT = 3
PLACEHOLDER = "{actors}"


def collapse_key(value: Any) -> str:
    """``"comment"``, or ``("comment", post)`` -> ``"comment|blog.post.7"``."""
    parts = value if isinstance(value, tuple | list) else (value,)
    words = []
    for part in parts:
        if isinstance(part, models.Model):
            words.append(f"{part._meta.label_lower}.{part.pk}")
        elif isinstance(part, str | int) and not isinstance(part, bool):
            words.append(str(part))
        else:
            raise TypeError(f"collapse= takes strings, numbers and model instances, not {part!r}")
    key = "|".join(words)
    if not key or len(key) > 200:
        raise ValueError("collapse= makes a key of 1 to 200 characters")
    return key


def actors_text(names: list[str], total: int) -> str:
    """ "Alice", "Alice and Bob", "Alice and 2 others" (newest first)."""
    if not names:
        return "Someone" if total <= 1 else f"{total} people"
    if total == 1:
        return names[0]
    if total == 2 and len(names) >= 2:
        return f"{names[0]} and {names[1]}"
    others = total - 1
    return f"{names[0]} and {others} other{'s' if others > 1 else ''}"


def render_title(template: str, names: list[str], total: int) -> str:
    return template.replace(PLACEHOLDER, actors_text(names, total))[:200]


def add_actor(data: dict[str, Any], name: str) -> None:
    """Record a new actor in a collapsed notification's ``data``."""
    names = [n for n in data.get("actors", []) if n != name]
    if name:
        known = name in data.get("actors", []) or name in data.get("_seen", [])
        data["actors"] = [name, *names][:ACTORS_KEPT]
        if not known:
            data["actor_count"] = data.get("actor_count", 0) + 1
            data["_seen"] = [*data.get("_seen", []), name][-1000:]
    else:
        data["actor_count"] = data.get("actor_count", 0) + 1
