"""The example project's ASGI entry point, as a project should write it:
Django's own handler, nothing else. Serve it with any ASGI server:

    uvicorn example_project.asgi:application
    daphne example_project.asgi:application
    gunicorn -k uvicorn_worker.UvicornWorker -w 2 example_project.asgi:application
    hypercorn example_project.asgi:application
    granian --interface asgi example_project.asgi:application

Static files come from ``django_sse.static.WhiteNoiseMiddleware`` in
``MIDDLEWARE``. ``django_sse.asgi.SharedSyncThread`` is an optional
wrapper that opens streams faster (docs/deployment.md); set
``DJANGO_SSE_SHARED_THREAD=1`` to try it here.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

application = get_asgi_application()

if os.environ.get("DJANGO_SSE_SHARED_THREAD"):
    from django_sse.asgi import SharedSyncThread

    application = SharedSyncThread(application)
