"""Topic names, their retention policy, and who may subscribe to what.

Built-in private families:

- ``user:<pk>``: only that user (notifications and other per-user streams);
- ``group:<name>``: only members of that auth group; a group whose name
  is not a valid topic name (a space, an accent), or starts with ``+``, is
  ``group:+<pk>`` (``group_topic(group)`` gives the right one).

Features register rules for their own families through
``django_sse.hooks.register_topic_rule`` (progress topics check the job's
owner). Every other topic is public unless the ``DJANGO_SSE_AUTHORIZE``
hook says otherwise.

Prefixes of private families and ``_sse.`` are reserved in every letter
case: ``USER:3`` is refused, not treated as a public topic (on databases
whose default collation ignores case, it would match ``user:3``'s rows).
"""

from __future__ import annotations

import fnmatch
import inspect
import logging
import re
from typing import Any, Literal

from asgiref.sync import sync_to_async
from django.utils.module_loading import import_string

from django_sse import hooks
from django_sse.conf import conf
from django_sse.logs import log_event, topic_families

Retention = Literal["history", "latest", "none"]
RETENTIONS: tuple[Retention, ...] = ("history", "latest", "none")

TOPIC_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:@/+\-]{0,199}")

CONTROL_PREFIX = "_sse."


class InvalidTopic(ValueError):
    """A topic name that cannot be used; the message says why."""


def validate_topic(topic: str) -> str:
    """``topic``, if it is a valid topic name; else ``InvalidTopic``: 1-200
    characters from ``A-Z a-z 0-9 _ . : @ / + -``, a private family's
    prefix in lower case, and nothing under the reserved ``_sse.``."""
    if not isinstance(topic, str) or not TOPIC_RE.fullmatch(topic):
        raise InvalidTopic(
            f"Invalid topic {topic!r}: use 1-200 characters from A-Z a-z 0-9 _ . : @ / + -"
        )
    prefix, sep, _ = topic.partition(":")
    if sep and prefix != prefix.lower() and prefix.lower() in hooks.private_prefixes():
        raise InvalidTopic(
            f"Invalid topic {topic!r}: write the {prefix.lower()!r} prefix in lower case"
        )
    if topic[:5].lower() == CONTROL_PREFIX and not topic.startswith(CONTROL_PREFIX):
        raise InvalidTopic(f"Topic {topic!r} is reserved")
    return topic


def parse_topics(values: list[str], max_topics: int) -> list[str]:
    """Topics from ``?topics=a,b`` (repeatable), de-duplicated, in order."""
    topics: dict[str, None] = {}
    for value in values:
        for name in value.split(","):
            name = name.strip()
            if name:
                if name.lower().startswith(CONTROL_PREFIX):
                    raise InvalidTopic(f"Topic {name!r} is reserved")
                topics[validate_topic(name)] = None
            if len(topics) > max_topics:
                raise InvalidTopic(f"Too many topics: at most {max_topics} per stream")
    if not topics:
        raise InvalidTopic("No topic given: use ?topics=name[,name...]")
    return list(topics)


def retention(topic: str) -> Retention:
    for patterns in (conf.DJANGO_SSE_TOPIC_RETENTION, hooks.retention_defaults()):
        for pattern, policy in patterns.items():
            if fnmatch.fnmatchcase(topic, pattern):
                return policy  # type: ignore[return-value]
    return "history"


def user_topic(user_or_pk: Any) -> str:
    """The personal topic of a user (or a pk): ``user:<pk>``, which only
    that user may subscribe to."""
    pk = getattr(user_or_pk, "pk", user_or_pk)
    return f"user:{pk}"


def group_topic(group: Any) -> str:
    """The topic of an auth group (or a group name): ``group:<name>``, or
    ``group:+<pk>`` when the name is not a valid topic name or starts with
    ``+`` (so the two forms never meet)."""
    name = getattr(group, "name", group)
    if not name.startswith("+") and TOPIC_RE.fullmatch(f"group:{name}"):
        return f"group:{name}"
    pk = getattr(group, "pk", None)
    if pk is None:
        raise InvalidTopic(
            f"Group name {name!r} is not a valid topic name: pass the Group, "
            "whose topic is group:+<pk>"
        )
    return f"group:+{pk}"


async def _user_rule(user: Any, topic: str) -> bool:
    return bool(user.is_authenticated) and topic == user_topic(user)


async def _group_rule(user: Any, topic: str) -> bool:
    if not user.is_authenticated:
        return False
    name = topic.partition(":")[2]
    if name.startswith("+"):
        pk = name[1:]
        return pk.isdigit() and bool(await user.groups.filter(pk=int(pk)).aexists())
    return bool(await user.groups.filter(name=name).aexists())


async def _presence_rule(user: Any, topic: str) -> bool:
    """``presence:<topic>``: for whoever may subscribe to ``<topic>``, if it
    has presence (``hooks.register_presence``)."""
    viewed = topic.partition(":")[2]
    return hooks.has_presence(viewed) and await can_subscribe(user, viewed)


hooks.register_topic_rule("user", _user_rule)
hooks.register_topic_rule("group", _group_rule)
hooks.register_topic_rule("presence", _presence_rule, personal=False)
hooks.register_retention("presence:*", "latest")  # a new viewer gets the state at once


def is_private(topic: str) -> bool:
    """Does the topic's family have a rule (so anonymous users get 401)?"""
    prefix, sep, _ = topic.partition(":")
    return bool(sep) and prefix in hooks.private_prefixes()


async def can_subscribe(user: Any, topic: str) -> bool:
    """Built-in rule for the topic's family, then the project's hook.

    A hook that raises denies (and is logged): an error never opens a topic.
    """
    prefix, sep, _ = topic.partition(":")
    rule = hooks.topic_rule(prefix) if sep else None
    if rule is not None and not await rule(user, topic):
        return False
    hook_path = conf.DJANGO_SSE_AUTHORIZE
    if not hook_path:
        return True
    try:
        hook = import_string(hook_path) if isinstance(hook_path, str) else hook_path
        if inspect.iscoroutinefunction(hook):
            allowed = await hook(user, topic)
        else:
            allowed = await sync_to_async(hook)(user, topic)
    except Exception:
        log_event(
            "sse.authorize.failed",
            "DJANGO_SSE_AUTHORIZE raised; denying",
            level=logging.ERROR,
            exc_info=True,
            interval=None,
            key=f"authorize:{topic}",
            topic=topic_families([topic]),
        )
        return False
    return bool(allowed)
