"""Open streams end when access ends.

Receivers of Django's signals revoke (``eventlog.revoke``) what a user may
no longer read, in every server process, when the change commits:

- removed from a group (``remove``, ``clear``, either side of the relation),
  the group deleted, or renamed: that group's (old) topic;
- deactivated, password changed, logged out: all the user's streams.

A revoked client reconnects and is authorized again: refused, or (another
session still signed in) resumed from its cursor with nothing lost.
Changes these signals cannot see (a queryset ``update()``, raw SQL, a
permission your ``DJANGO_SSE_AUTHORIZE`` hook reads) are caught by
``DJANGO_SSE_REAUTHORIZE``: signed-in streams reconnect at that interval.

A receiver never breaks the operation that sent its signal: it writes in a
savepoint, and an error is logged, not raised.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps

from django_sse.eventlog import atomic, revoke
from django_sse.logs import log_event
from django_sse.topics import group_topic


def _never_raises(receiver: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(receiver)
    def safe(*args: Any, **kwargs: Any) -> None:
        try:
            with atomic():  # a savepoint: a failure leaves the caller's transaction usable
                receiver(*args, **kwargs)
        except Exception:
            log_event(
                "sse.revoke.failed",
                "Could not revoke streams; they end at the next reauthorization",
                level=logging.ERROR,
                exc_info=True,
                interval=None,
                key=f"revoke:{receiver.__name__}",
                receiver=receiver.__name__,
            )

    return safe


def _revoke_groups(users: Iterable[Any], groups: Iterable[Any]) -> None:
    groups = list(groups)
    for user in users:
        for group in groups:
            revoke(user, group_topic(group))


@_never_raises
def memberships_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    from django.contrib.auth.models import Group

    if action == "post_remove" and pk_set:
        if reverse:  # group.user_set.remove(users...)
            _revoke_groups(pk_set, [instance])
        else:  # user.groups.remove(groups...)
            _revoke_groups([instance.pk], Group.objects.filter(pk__in=pk_set))
    elif action == "pre_clear":  # who is in it now (post_clear does not say)
        if reverse:  # group.user_set.clear()
            _revoke_groups(instance.user_set.values_list("pk", flat=True), [instance])
        else:  # user.groups.clear()
            _revoke_groups([instance.pk], instance.groups.all())


@_never_raises
def group_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    # The memberships go with the group, without an m2m signal.
    _revoke_groups(instance.user_set.values_list("pk", flat=True), [instance])


@_never_raises
def group_renaming(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Before a group is saved: the members of a group whose name changes
    lose its old topic (a later group that takes the old name is not
    theirs)."""
    if instance.pk is None or kwargs.get("raw"):
        return
    before = sender.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
    if before is None:
        return
    old = sender(pk=instance.pk, name=before)
    if group_topic(old) != group_topic(instance):  # a topic by name, not by pk
        _revoke_groups(instance.user_set.values_list("pk", flat=True), [old])


@_never_raises
def user_saving(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """Before a user is saved: will this save withdraw their access?"""
    instance._django_sse_revoke = False
    if instance.pk is None or kwargs.get("raw"):
        return
    fields = {f.name for f in sender._meta.concrete_fields} & {"password", "is_active"}
    if update_fields is not None:
        fields &= set(update_fields)  # e.g. only last_login, on every sign-in: no query
    if not fields:
        return
    before = sender._default_manager.filter(pk=instance.pk).values(*fields).first()
    if before is None:
        return
    deactivated = before.get("is_active", False) and not instance.is_active
    changed = "password" in before and before["password"] != instance.password
    instance._django_sse_revoke = deactivated or changed


@_never_raises
def user_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    if getattr(instance, "_django_sse_revoke", False):
        instance._django_sse_revoke = False
        revoke(instance)


@_never_raises
def logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and user.pk is not None:
        revoke(user)


def connect_receivers() -> None:
    """Called once, from ``DjangoSSEConfig.ready``."""
    if not apps.is_installed("django.contrib.auth"):
        return
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.auth.signals import user_logged_out
    from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save

    user_model = get_user_model()
    uid = "django_sse"
    pre_save.connect(user_saving, sender=user_model, weak=False, dispatch_uid=uid)
    post_save.connect(user_saved, sender=user_model, weak=False, dispatch_uid=uid)
    user_logged_out.connect(logged_out, weak=False, dispatch_uid=uid)
    groups = getattr(user_model, "groups", None)
    if groups is None:  # a custom user model without PermissionsMixin
        return
    m2m_changed.connect(memberships_changed, sender=groups.through, weak=False, dispatch_uid=uid)
    pre_delete.connect(group_deleted, sender=Group, weak=False, dispatch_uid=uid)
    pre_save.connect(group_renaming, sender=Group, weak=False, dispatch_uid=uid)
