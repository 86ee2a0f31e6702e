import asyncio
import contextlib

from django.core.management.base import BaseCommand, CommandError

from django_sse.catchup import Cursor
from django_sse.hubs import get_hub, stop_hub
from django_sse.protocol import Parser
from django_sse.streams import event_stream
from django_sse.topics import InvalidTopic, parse_topics


class Command(BaseCommand):
    help = (
        "Print the live event stream of topics, exactly as a browser would receive it "
        "(reads the event log through the same hub as the server)."
    )

    def add_arguments(self, parser):
        parser.add_argument("topics", nargs="+")
        parser.add_argument("--after", default=None, help="Replay events after this id first.")
        parser.add_argument("--count", type=int, default=None, help="Exit after N events.")

    def handle(self, topics, after, count, **options):
        try:
            names = parse_topics(topics, max_topics=1000)
        except InvalidTopic as exc:
            raise CommandError(str(exc)) from exc
        cursor = Cursor.parse(after)
        if cursor.problem:
            raise CommandError(f"--after must be an event id, not {after!r}")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self._tail(names, cursor, count))

    async def _tail(self, topics, cursor, count):
        hub = await get_hub()
        seen = 0
        parser = Parser()
        try:
            async for chunk in event_stream(hub, topics, cursor):
                text = chunk.decode()
                self.stdout.write(text, ending="")
                self.stdout.flush()
                seen += sum(e.type != "sse-cursor" for e in parser.feed(chunk))
                if count is not None and seen >= count:
                    return
        finally:
            await stop_hub()
