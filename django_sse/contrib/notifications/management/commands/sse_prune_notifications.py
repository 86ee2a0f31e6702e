from django.core.management.base import BaseCommand
from django.utils import timezone

from django_sse.contrib.notifications.models import Notification
from django_sse.management.commands.sse_prune import parse_age


class Command(BaseCommand):
    help = "Delete notifications that were read (or dismissed) longer ago than an age."

    def add_arguments(self, parser):
        parser.add_argument("--read-older-than", required=True, help="e.g. 30d")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, read_older_than, batch_size, **options):
        cutoff = timezone.now() - parse_age(read_older_than)
        old = Notification.objects.filter(read_at__lt=cutoff) | Notification.objects.filter(
            deleted=True, created_at__lt=cutoff
        )
        deleted = 0
        while ids := list(old.values_list("id", flat=True)[:batch_size]):
            Notification.objects.filter(id__in=ids).delete()
            deleted += len(ids)
        self.stdout.write(f"Deleted {deleted} notifications.")
