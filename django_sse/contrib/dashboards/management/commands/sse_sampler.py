import asyncio
import contextlib

from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand

from django_sse.contrib.dashboards import metrics
from django_sse.contrib.dashboards.sampling import run_samplers
from django_sse.presence import watched_topics


class Command(BaseCommand):
    help = (
        "Run the dashboard samplers (@dashboard_metric) in this process, each only while "
        "its dashboard is watched in any server process. Use with "
        "DJANGO_SSE_SAMPLERS_IN_SERVER = False."
    )

    def handle(self, **options):
        if not metrics.samplers:
            self.stderr.write("No sampler registered (see @dashboard_metric in sse_metrics.py).")
            return
        for sampler in metrics.samplers:
            self.stdout.write(f"{sampler.name}: every {sampler.every:g}s")

        async def query(fn, *args):
            return await sync_to_async(fn, thread_sensitive=True)(*args)

        async def watched():
            return await query(watched_topics)

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_samplers(query, watched))
