import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from django_sse.conf import conf
from django_sse.models import Event, LogState

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_age(value: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhd])", value.strip())
    if not match:
        raise CommandError(f"Age {value!r} is not like 90s, 15m, 12h or 30d.")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


class Command(BaseCommand):
    help = (
        "Delete events older than an age, in small batches (publishers are never "
        "blocked for long). The newest event of each topic is kept, so 'latest' "
        "topics keep their current value. Clients whose cursor falls in a pruned "
        "range get a 'reset' event."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", required=True, help="e.g. 7d, 12h")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, older_than, batch_size, **options):
        cutoff = timezone.now() - parse_age(older_than)
        alias = conf.DJANGO_SSE_DATABASE
        events = Event.objects.using(alias)
        keep = set(events.values("topic").annotate(last=Max("id")).values_list("last", flat=True))
        deleted = 0
        while True:
            ids = list(
                events.filter(created_at__lt=cutoff)
                .exclude(id__in=keep)
                .order_by("id")
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                break
            with transaction.atomic(using=alias):
                events.filter(id__in=ids).delete()
                state, _ = LogState.objects.using(alias).get_or_create(id=1)
                if ids[-1] > state.pruned_through:
                    state.pruned_through = ids[-1]
                    state.save(update_fields=["pruned_through"])
            deleted += len(ids)
        self.stdout.write(f"Deleted {deleted} events older than {older_than}.")
