import time

from django.core.management.base import BaseCommand, CommandError

from django_sse.contrib.notifications import outbox
from django_sse.contrib.notifications.models import PushMessage
from django_sse.contrib.notifications.push import keys as push_keys
from django_sse.contrib.notifications.push import sending as push_sending


class Command(BaseCommand):
    help = (
        "Send the web pushes that are due (DJANGO_SSE_PUSH_SENDER = 'command' leaves all "
        "sending to this command). Several at once never post a message twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="keep running: send, then look again after SECONDS (or sooner when a retry "
            "is due)",
        )

    def handle(self, **options):
        if not push_keys.enabled():
            raise CommandError("Web push is off: set DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY.")
        every = options["loop"]
        if every is not None and every <= 0:
            raise CommandError("--loop needs a positive number of seconds.")
        while True:
            sent = push_sending.send_all()
            if every is None:
                self.stdout.write(f"Took {sent} web push messages.")
                return
            if sent:
                self.stdout.write(f"Took {sent} web push messages.")
            due = outbox.next_due_in(PushMessage)
            time.sleep(every if due is None else min(max(due, 0.5), every))
