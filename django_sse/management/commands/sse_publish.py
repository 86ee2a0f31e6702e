import json

from django.core.management.base import BaseCommand, CommandError

from django_sse.eventlog import publish
from django_sse.topics import InvalidTopic


class Command(BaseCommand):
    help = (
        "Publish one event to a topic, from any process: it reaches every open stream. "
        "--data is JSON (sent as the JSON you give, strings included); with --text it is "
        "sent as plain text."
    )

    def add_arguments(self, parser):
        parser.add_argument("topic")
        parser.add_argument("--event", default=None, help="Event name (default: message).")
        parser.add_argument(
            "--data", default=None, help="JSON payload (default: null; with --text, empty)."
        )
        parser.add_argument(
            "--text", action="store_true", help="Send --data as plain text, not JSON."
        )

    def handle(self, topic, event, data, text, **options):
        if text:
            payload = data or ""
        else:
            try:
                # The JSON as given, re-encoded compactly: '"a string"' stays a
                # JSON string on the wire, it does not become bare text.
                value = json.loads("null" if data is None else data)
                payload = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
            except json.JSONDecodeError as exc:
                raise CommandError(
                    f"--data is not valid JSON ({exc}); use --text for text."
                ) from exc
        try:
            event_id = publish(topic, payload, event=event)
        except (InvalidTopic, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Published event {event_id} to {topic!r} ({event or 'message'}).")
