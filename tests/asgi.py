import os

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
# Static files (django-sse.js) from the same server, as runserver would.
application = ASGIStaticFilesHandler(get_asgi_application())

if os.environ.get("DJANGO_SSE_TEST_SHARED_THREAD"):
    from django_sse.asgi import SharedSyncThread

    application = SharedSyncThread(application)
