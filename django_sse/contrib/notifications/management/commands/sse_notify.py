from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from django_sse.contrib.notifications.delivery import notify


class Command(BaseCommand):
    help = "Send a notification to a user (by username); their open pages show it at once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("title")
        parser.add_argument("--body", default="")
        parser.add_argument(
            "--level", default="info", choices=["info", "success", "warning", "error"]
        )
        parser.add_argument("--url", default="")

    def handle(self, username, title, body, level, url, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        try:
            [notification] = notify(user, title, body=body, level=level, url=url)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Sent notification {notification.pk} to {username!r}.")
