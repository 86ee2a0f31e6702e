from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from django_sse import publish

FEED_TOPIC = "demo-feed"


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "example/home.html")


def feed(request: HttpRequest) -> HttpResponse:
    return render(request, "example/feed.html", {"topic": FEED_TOPIC})


@require_POST
def feed_publish(request: HttpRequest) -> HttpResponse:
    text = request.POST.get("text", "").strip()
    if not text or len(text) > 500:
        return JsonResponse({"error": "text must be 1-500 characters"}, status=400)
    author = request.user.get_username() if request.user.is_authenticated else "anonymous"
    event_id = publish(FEED_TOPIC, {"text": text, "author": author}, event="post")
    return JsonResponse({"id": event_id}, status=201)
