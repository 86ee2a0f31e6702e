import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

from django_sse.asgi import SharedSyncThread  # noqa: E402 (after settings are set)

# SharedSyncThread is optional: stream connects skip Django's thread per request.
application = SharedSyncThread(get_asgi_application())
