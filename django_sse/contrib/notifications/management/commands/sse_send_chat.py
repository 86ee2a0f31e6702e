from django.core.management.base import BaseCommand

from django_sse.contrib.notifications.chat import sending


class Command(BaseCommand):
    help = (
        "Post the Slack and Teams messages that are due (server processes send them on "
        "their own; this is for a worker or cron). Several at once never post one twice."
    )

    def handle(self, *args, **options):
        taken = sending.send_all()
        self.stdout.write(f"Took {taken} chat message{'s' * (taken != 1)} from the outbox.")
