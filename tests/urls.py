from django.urls import include, path

urlpatterns = [
    path("sse/", include("django_sse.urls")),
]
