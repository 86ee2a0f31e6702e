from django.apps import AppConfig


class DjangoSSEConfig(AppConfig):
    """The engine: event log, brokers, hub, streams. Features are the
    contrib apps, which plug in through ``django_sse.hooks``."""

    name = "django_sse"
    verbose_name = "Server-Sent Events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_sse import checks, hooks, topics  # noqa: F401  (checks, built-in topic rules)
        from django_sse.presence import presence_loop

        hooks.register_hub_task("presence", presence_loop)
        _revoke_group_topics_on_removal()


def _revoke_group_topics_on_removal() -> None:
    """A user removed from a group loses that group's open streams at once."""
    from django.apps import apps

    if not apps.is_installed("django.contrib.auth"):
        return
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed

    from django_sse.eventlog import revoke
    from django_sse.topics import group_topic

    through = getattr(get_user_model(), "groups", None)
    if through is None:
        return

    def removed(sender, instance, action, reverse, pk_set, **kwargs):  # type: ignore[no-untyped-def]
        if action != "post_remove" or not pk_set:
            return
        if reverse:  # group.user_set.remove(users...)
            users, names = list(pk_set), [instance.name]
        else:  # user.groups.remove(groups...)
            users = [instance.pk]
            names = list(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
        for user in users:
            for name in names:
                revoke(user, group_topic(name))

    m2m_changed.connect(removed, sender=through.through, weak=False, dispatch_uid="django_sse")
