import asyncio
import json
import logging

from asgiref.sync import sync_to_async
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from django_sse import max_id, publish, recent, stream_response, stream_to
from django_sse.contrib.notifications import hq, notify
from django_sse.contrib.progress import enqueue
from django_sse.contrib.progress.models import TaskProgress
from example_project import limits
from example_project.jobs import generate_report
from example_project.story import words

logger = logging.getLogger(__name__)
FEED_TOPIC = "demo-feed"


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "example/home.html")


def feed(request: HttpRequest) -> HttpResponse:
    cursor = max_id()  # before the history: what follows it comes live
    rows = recent(FEED_TOPIC, 20, event="post")
    history = [{"id": row.id, **json.loads(row.data)} for row in reversed(rows)]
    return render(
        request, "example/feed.html", {"topic": FEED_TOPIC, "history": history, "cursor": cursor}
    )


@require_POST
def feed_publish(request: HttpRequest) -> HttpResponse:
    if refused := limits.too_many(request, "feed"):
        return refused
    text = request.POST.get("text", "").strip()
    if not text or len(text) > 500:
        return JsonResponse({"error": "text must be 1-500 characters"}, status=400)
    author = request.user.get_username() if request.user.is_authenticated else "anonymous"
    event_id = publish(FEED_TOPIC, {"text": text, "author": author}, event="post")
    return JsonResponse({"id": event_id}, status=201)


def notifications(request: HttpRequest) -> HttpResponse:
    """Staff may notify anyone; everyone else, themselves."""
    names: list[str] = []
    if request.user.is_staff:
        users = get_user_model().objects.order_by("username")
        names = list(users.values_list("username", flat=True))
    elif request.user.is_authenticated:
        names = [request.user.get_username()]
    return render(request, "example/notifications.html", {"usernames": names})


class SendForm(forms.Form):
    to = forms.CharField(max_length=150)
    title = forms.CharField(max_length=200)
    level = forms.CharField(max_length=10, required=False)


@require_POST
@login_required
def notifications_send(request: HttpRequest) -> HttpResponse:
    if refused := limits.too_many(request, "notify"):
        return refused
    form = SendForm(request.POST)
    if not form.is_valid():  # refuses a NUL, as every CharField does
        return JsonResponse({"error": form.errors.get_json_data(), "status": 400}, status=400)
    recipient = get_user_model().objects.filter(username=form.cleaned_data["to"]).first()
    if recipient is None:
        return JsonResponse({"error": "no such user", "status": 400}, status=400)
    if recipient != request.user and not request.user.is_staff:
        return JsonResponse(
            {"error": "Only staff may notify other users.", "status": 403}, status=403
        )
    try:
        notify(
            recipient,
            form.cleaned_data["title"],
            level=form.cleaned_data["level"] or "info",
            actor=request.user,
            body=f"Sent by {request.user.get_username()} from the demo page.",
        )
    except ValidationError as exc:
        return JsonResponse({"error": exc.messages}, status=400)
    return redirect("notifications")


@require_POST
@login_required
def notifications_comments(request: HttpRequest) -> HttpResponse:
    """Three demo users comment on the visitor's post: one collapsed item."""
    if refused := limits.too_many(request, "notify"):
        return refused
    for author in get_user_model().objects.exclude(pk=request.user.pk).order_by("username")[:3]:
        notify(
            request.user,
            "comment",  # a registered type: the user's preferences apply
            actor=author,
            collapse=("demo-comment", request.user),
            url="/notifications/",
        )
    return redirect("notifications")


@require_POST
@login_required
def notifications_hq(request: HttpRequest) -> HttpResponse:
    """django-notifications' call, as a project switching keeps it."""
    if refused := limits.too_many(request, "notify"):
        return refused
    others = get_user_model().objects.exclude(pk=request.user.pk).order_by("username")
    actor = others.first() or request.user
    hq.notify.send(actor, recipient=request.user, verb="mentioned you", level="success")
    return redirect("notifications")


@require_POST
@login_required
def notifications_later(request: HttpRequest) -> HttpResponse:
    """A notification in a few seconds from the jobs worker (to try web push)."""
    if refused := limits.too_many(request, "notify"):
        return refused
    from example_project.jobs import notify_later

    notify_later.enqueue(user_id=request.user.pk)
    return redirect("notifications")


def jobs(request: HttpRequest, job_id: str | None = None) -> HttpResponse:
    return render(request, "example/jobs.html", {"job_id": job_id})


@require_POST
@login_required
def jobs_start(request: HttpRequest) -> HttpResponse:
    """Enqueue the report for the jobs worker: a few at once, per user and in all."""
    running = TaskProgress.objects.exclude(status__in=TaskProgress.FINAL)
    if running.filter(owner=request.user).count() >= limits.JOBS_PER_USER:
        return limits.refuse(f"At most {limits.JOBS_PER_USER} of your jobs at once.", 20)
    if running.count() >= limits.JOBS_IN_ALL:
        return limits.refuse("The demo runs enough jobs right now; try again shortly.", 20)
    fail = request.POST.get("kind") == "fail"
    label = "Failing report" if fail else "Report"
    record = enqueue(generate_report, fail, owner=request.user, label=label)
    return redirect("job", job_id=record.pk)


def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "example/dashboard.html")


def story(request: HttpRequest) -> HttpResponse:
    return render(request, "example/story.html")


async def story_stream(request: HttpRequest) -> HttpResponse:
    """POST: this request's own answer, streamed word by word (CSRF-checked)."""
    if request.method != "POST":
        return JsonResponse({"error": "POST a prompt"}, status=405)
    if refused := await sync_to_async(limits.too_many)(request, "story"):
        return refused
    prompt = request.POST.get("prompt", "")[:200]
    return await stream_response(request, words(prompt))


_broadcasts: set[asyncio.Task] = set()


@require_POST
async def story_broadcast(request: HttpRequest) -> HttpResponse:
    """One producer, many spectators: every open story page shows it. One
    broadcast at a time, so two never interleave on the page."""
    if _broadcasts:
        return JsonResponse({"error": "A broadcast is already running.", "status": 409}, status=409)
    task = asyncio.get_running_loop().create_task(stream_to("story", words()))
    _broadcasts.add(task)
    task.add_done_callback(_finished)
    return JsonResponse({"started": True}, status=202)


def _finished(task: asyncio.Task) -> None:
    """A fire-and-forget task must have its outcome read: a broadcast cut
    short (the server stopping) is one line in the log, not a traceback."""
    _broadcasts.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.warning("The story broadcast stopped: %s", task.exception())
