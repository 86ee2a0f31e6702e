from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from django_sse.contrib.progress.conf import conf
from django_sse.contrib.progress.lost import mark_lost
from django_sse.contrib.progress.models import TaskProgress
from django_sse.management.commands.sse_prune import parse_age


class Command(BaseCommand):
    help = (
        "Jobs housekeeping. 'prune' deletes finished jobs older than "
        "DJANGO_SSE_PROGRESS_RETENTION days (or --older-than); 'lost' marks "
        "running jobs whose worker stopped reporting as lost (every server "
        "process already does this a few times a minute)."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        prune = commands.add_parser("prune", help="delete old finished jobs")
        prune.add_argument("--older-than", help="e.g. 30d, 12h (default: the retention setting)")
        prune.add_argument("--batch-size", type=int, default=1000)
        commands.add_parser("lost", help="mark jobs whose worker went silent as lost")

    def handle(self, action, **options):
        if action == "lost":
            lost = mark_lost()
            self.stdout.write(f"Marked {len(lost)} jobs lost.")
            return
        older_than = options["older_than"]
        age = (
            parse_age(older_than)
            if older_than
            else timedelta(days=conf.DJANGO_SSE_PROGRESS_RETENTION)
        )
        cutoff = timezone.now() - age
        # A group's members go with their group (on_delete=CASCADE).
        old = TaskProgress.objects.filter(
            status__in=TaskProgress.FINAL, finished_at__lt=cutoff, group__isnull=True
        )
        deleted = 0
        while ids := list(old.values_list("pk", flat=True)[: options["batch_size"]]):
            deleted += (
                TaskProgress.objects.filter(pk__in=ids).delete()[1].get(TaskProgress._meta.label, 0)
            )
        running = TaskProgress.objects.exclude(status__in=TaskProgress.FINAL).count()
        self.stdout.write(
            f"Deleted {deleted} finished jobs older than {older_than or f'{age.days} days'}; "
            f"{running} not finished were kept."
        )
