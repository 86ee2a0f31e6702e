from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from django_sse.contrib.notifications import emails


class Command(BaseCommand):
    help = (
        "Send the notification emails that are due: each unread one past its type's "
        "delay to users who take them one by one, and daily or weekly digests. "
        "Run it every minute or so; several at once never send an email twice."
    )

    def handle(self, **options):
        now = timezone.now()
        try:
            each = emails.send_each(now)
            digests = emails.send_digests(now)
        except emails.NotConfigured as exc:
            raise CommandError(str(exc)) from None
        if options["verbosity"]:
            self.stdout.write(f"Sent {each} notification emails and {digests} digests.")
