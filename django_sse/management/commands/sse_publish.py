import json

from django.core.management.base import BaseCommand, CommandError

from django_sse.eventlog import publish
from django_sse.topics import InvalidTopic


class Command(BaseCommand):
    help = "Publish one event to a topic (from any process: it reaches every open stream)."

    def add_arguments(self, parser):
        parser.add_argument("topic")
        parser.add_argument("--event", default=None, help="Event name (default: message).")
        parser.add_argument("--data", default="null", help="JSON payload (default: null).")
        parser.add_argument(
            "--text", action="store_true", help="Send --data as plain text, not JSON."
        )

    def handle(self, topic, event, data, text, **options):
        if not text:
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                raise CommandError(
                    f"--data is not valid JSON ({exc}); use --text for text."
                ) from exc
        try:
            event_id = publish(topic, data, event=event)
        except (InvalidTopic, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(event_id))
