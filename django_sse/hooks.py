"""What other apps plug into the engine: the only way features reach it.

The core never imports a feature. A feature (the contrib apps, or your own
app) registers, usually in its ``AppConfig.ready()``:

- a **topic rule** for a family of topics (``register_topic_rule``): every
  topic ``<prefix>:...`` becomes private, and ``await rule(user, topic)``
  must return True for a user to subscribe to it;
- a **hub task** (``register_hub_task``): a coroutine started beside the
  reader in every server process once the hub is ready (dashboard
  samplers, presence) and cancelled when the hub stops; a query to run
  every few seconds is ``register_periodic_query`` (lost jobs,
  announcements);
- **presence** for topics (``register_presence``): who views them
  (``viewers``);
- a **retention** default for a family (``register_retention``): e.g.
  ``"progress:*"`` keeps only its latest value; the project's
  ``DJANGO_SSE_TOPIC_RETENTION`` still wins;
- **URLs** under ``django_sse.urls``: an ``AppConfig`` with
  ``sse_urls = ("prefix/", "app.urls")`` is included there, so a project
  still includes one URLconf.

A stream that should end after certain events (a job's final state) asks
for it when it subscribes: ``views.subscribe_response(request, topics,
end_after={"complete", "failed"})``. It goes through the same subscribe
path as every stream: limits, revocation, timeouts and heartbeats apply.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from django_sse.hub import Hub

TopicRule = Callable[[Any, str], Awaitable[bool]]
HubTask = Callable[["Hub"], Coroutine[Any, Any, None]]

_topic_rules: dict[str, TopicRule] = {}
_personal: set[str] = set()
_hub_tasks: dict[str, HubTask] = {}
_retention: dict[str, str] = {}
_presence: dict[str, Callable[[Any], dict[str, Any]]] = {}


def describe_user(user: Any) -> dict[str, Any]:
    """How a viewer is shown in presence events, unless a project says."""
    pk = user.pk if isinstance(user.pk, int) else str(user.pk)
    return {"id": pk, "name": user.get_full_name() or user.get_username()}


def register_topic_rule(prefix: str, rule: TopicRule, *, personal: bool = True) -> None:
    """Make every topic ``<prefix>:...`` private to the users ``rule`` admits.

    ``rule`` is ``async (user, topic) -> bool``; the project's
    ``DJANGO_SSE_AUTHORIZE`` hook is asked after it. Registering a prefix
    again replaces its rule.

    ``personal`` (the default) says a topic names someone (a user, a group,
    a job): presence, ``/sse/stats/`` and the admin count such topics per
    family (``user:*``), never one by one. ``personal=False`` keeps them
    by name (``dashboard:ops``: samplers run while it is watched).
    """
    if not prefix or ":" in prefix or prefix != prefix.lower():
        raise ValueError(f"A topic rule prefix is lower-case and has no ':' ({prefix!r})")
    _topic_rules[prefix] = rule
    if personal:
        _personal.add(prefix)
    else:
        _personal.discard(prefix)


def topic_rule(prefix: str) -> TopicRule | None:
    return _topic_rules.get(prefix)


def private_prefixes() -> frozenset[str]:
    return frozenset(_topic_rules)


def personal_prefixes() -> frozenset[str]:
    return frozenset(_personal)


def register_hub_task(name: str, task: HubTask) -> None:
    """Run ``await task(hub)`` in every server process while its hub runs.

    A task that fails is logged and not restarted; keep the loop inside the
    task. Registering a name again replaces the task.
    """
    _hub_tasks[name] = task


def hub_tasks() -> dict[str, HubTask]:
    return dict(_hub_tasks)


def register_periodic_query(
    name: str,
    query: Callable[[], Any],
    every: float | Callable[[], float],
    *,
    event: str,
    message: str,
) -> None:
    """Run the sync ``query()`` (ORM work) in one of the hub's database
    threads every ``every`` seconds (a number, or a callable read each
    round so settings overrides apply), in every server process. A round
    that fails is logged as ``event`` (with the traceback) and the next
    round runs: the task itself never stops.
    """

    async def periodic(hub: Hub) -> None:
        await hub.run_periodically(name, query, every, event=event, message=message)

    register_hub_task(name, periodic)


def register_retention(pattern: str, policy: str) -> None:
    """Default retention of topics matching ``pattern`` (``fnmatch``, e.g.
    ``"progress:*"``): ``"history"``, ``"latest"`` or ``"none"``."""
    if policy not in ("history", "latest", "none"):
        raise ValueError(f"Retention is 'history', 'latest' or 'none', not {policy!r}")
    _retention[pattern] = policy


def retention_defaults() -> dict[str, str]:
    return dict(_retention)


def register_presence(
    pattern: str, describe: Callable[[Any], dict[str, Any]] | None = None
) -> None:
    """Track who views the topics matching ``pattern`` (``fnmatch``, e.g.
    ``"doc:*"``): ``viewers.viewers_of(topic)``, ``presence`` events on
    ``presence:<topic>``, ``{% sse_presence %}``. ``describe(user)`` is a
    signed-in viewer as others see them (a JSON object; by default its pk
    and full name, else username); the last one registered is used."""
    if not pattern or pattern.startswith("presence:"):
        raise ValueError(f"register_presence() takes a topic pattern, not {pattern!r}")
    _presence[pattern] = describe or describe_user
    has_presence.cache_clear()


def presence_patterns() -> tuple[str, ...]:
    return tuple(_presence)


@functools.lru_cache(maxsize=4096)
def has_presence(topic: str) -> bool:
    """Whether ``topic`` matches a pattern of ``register_presence`` (asked
    for every open topic once a second: remembered per topic)."""
    return not topic.startswith("presence:") and any(
        fnmatch.fnmatchcase(topic, pattern) for pattern in _presence
    )


def presence_describer() -> Callable[[Any], dict[str, Any]]:
    return next(reversed(_presence.values()), describe_user)


class FeatureConfig(AppConfig):
    """The ``AppConfig`` base of a contrib app: it refuses to start, saying
    what to do, when the core app is not installed (its models, URLs and
    hub are what a feature builds on), before its models import the core's.

    Subclass it as ``hooks.FeatureConfig``: a second ``AppConfig`` class
    named in an apps module would leave Django without a default one."""

    def import_models(self) -> None:
        from django.apps import apps
        from django.core.exceptions import ImproperlyConfigured

        if not apps.is_installed("django_sse"):
            raise ImproperlyConfigured(
                f'{self.name} needs django-sse\'s core app: add "django_sse" to '
                f'INSTALLED_APPS (before "{self.name}").'
            )
        super().import_models()
