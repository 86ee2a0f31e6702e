import json

from django.core.management.base import BaseCommand

from django_sse import logqueries
from django_sse.brokers import broker_path
from django_sse.presence import deployment_streams


class Command(BaseCommand):
    help = (
        "Print django-sse's health as JSON: broker, event log position, PostgreSQL "
        "NOTIFY queue usage, open streams across the deployment. Exit 1 if the NOTIFY "
        "queue is over --max-queue-usage."
    )

    def add_arguments(self, parser):
        parser.add_argument("--max-queue-usage", type=float, default=0.5)

    def handle(self, max_queue_usage, **options):
        usage = logqueries.notification_queue_usage()
        report = {
            "broker": broker_path(),
            "last_event_id": logqueries.max_id(),
            "pruned_through": logqueries.pruned_through(),
            "notify_queue_usage": usage,
            **deployment_streams(),
        }
        self.stdout.write(json.dumps(report, indent=2))
        if usage is not None and usage > max_queue_usage:
            raise SystemExit(1)
