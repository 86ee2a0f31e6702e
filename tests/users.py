"""The user model under test: Django's ``User``, or with ``SSE_UUID_USERS=1``
a custom one whose pk is a UUID (``tests.uuid_users``). Tests import
``User`` from here so every auth path runs under both."""

from django.contrib.auth import get_user_model

User = get_user_model()


def grant(user, *perms: str):
    """Give ``user`` Django permissions ("app_label.codename"); returns the
    user fetched again (Django caches a user's permissions)."""
    from django.contrib.auth.models import Permission

    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)


def language_of(user) -> str | None:
    """The tests' DJANGO_SSE_NOTIFICATION_LANGUAGE: users named "...-fr" read French."""
    return "fr" if user.get_username().endswith("-fr") else None
