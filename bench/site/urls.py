from django.urls import include, path

from bench.site import settings, views

if settings.KIND == "sse":
    urlpatterns = [path("sse/", include("django_sse.urls"))]
elif settings.KIND == "eventstream":
    import django_eventstream

    urlpatterns = [
        path("events/", include(django_eventstream.urls), {"channels": ["bench"]}),
        path("events-any/", include(django_eventstream.urls)),  # ?channel=...
    ]
else:
    urlpatterns = [path("events/", views.events), path("publish/", views.publish)]
