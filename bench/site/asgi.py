import gc
import os

from django.core.asgi import get_asgi_application

if os.environ.get("BENCH_GC_THRESHOLD"):  # run.py --gc-threshold, for every server alike
    gc.set_threshold(int(os.environ["BENCH_GC_THRESHOLD"]))

if os.environ.get("BENCH_TRACEMALLOC"):
    from bench.site import memtrace

    memtrace.install(os.environ["BENCH_TRACEMALLOC"])

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.site.settings")
plain = get_asgi_application()
application = plain
if os.environ.get("BENCH_KIND") == "sse":
    # The optional wrapper (docs/deployment.md); "sse-plain" is the default path.
    from django_sse.asgi import SharedSyncThread

    application = SharedSyncThread(plain)
