"""The task centre's admin, its housekeeping command and {% sse_jobs %}."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import timezone

from django_sse.contrib.progress import Progress
from django_sse.contrib.progress.models import TaskProgress
from tests.users import User, grant

pytestmark = pytest.mark.django_db(transaction=True)
XSS = "<script>window.pwned=1</script>"


@pytest.fixture
def owner(transactional_db):
    return User.objects.create_user("owner")


def admin_client(**flags) -> tuple[Client, object]:
    user = User.objects.create_user("boss", is_staff=True, **flags)
    client = Client()
    client.force_login(user)
    return client, user


def test_the_changelist_filters_by_state_backend_and_owner(owner):
    other = User.objects.create_user("other")
    Progress.create(owner=owner, label="Tasks job", backend="tasks")
    Progress.create(owner=other, label="Celery job", backend="celery").succeed()
    client, _ = admin_client(is_superuser=True)
    url = "/admin/sse_progress/taskprogress/"
    page = client.get(url).content.decode()
    assert "Tasks job" in page and "Celery job" in page
    assert "By backend" in page and "By owner" in page
    only_celery = client.get(url, {"backend": "celery"}).content.decode()
    assert "Celery job" in only_celery and "Tasks job" not in only_celery
    mine = client.get(url, {"owner__id__exact": owner.pk}).content.decode()
    assert "Tasks job" in mine and "Celery job" not in mine
    done = client.get(url, {"status": "succeeded"}).content.decode()
    assert "Celery job" in done and "Tasks job" not in done


def test_a_jobs_page_carries_its_live_bar(owner):
    job = Progress.start(owner=owner, label=XSS)
    client, _ = admin_client(is_superuser=True)
    page = client.get(f"/admin/sse_progress/taskprogress/{job.id}/change/").content.decode()
    assert f'data-sse-topic="progress:{job.id}"' in page
    assert "/static/django_sse/progress.js" in page
    assert XSS not in page and "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    job.succeed()


def test_the_cancel_action_needs_the_change_permission(owner):
    running = Progress.start(owner=owner, label="Running")
    pending = Progress.create(owner=owner, label="Pending")
    ids = [str(running.id), str(pending.id)]
    viewer, user = admin_client()
    grant(user, "sse_progress.view_taskprogress")
    url = "/admin/sse_progress/taskprogress/"
    assert "cancel_jobs" not in viewer.get(url).content.decode()
    viewer.post(url, {"action": "cancel_jobs", "_selected_action": ids})
    assert not TaskProgress.objects.get(pk=running.id).cancel_requested
    grant(user, "sse_progress.change_taskprogress")
    answer = viewer.post(url, {"action": "cancel_jobs", "_selected_action": ids}, follow=True)
    assert "Asked 2 jobs to stop." in answer.content.decode()
    assert TaskProgress.objects.get(pk=running.id).cancel_requested
    assert TaskProgress.objects.get(pk=pending.id).status == "cancelled"
    running.mark_cancelled()


def test_prune_deletes_old_finished_jobs_and_keeps_the_rest(owner):
    old = Progress.start(owner=owner, label="Old")
    old.succeed()
    group, members = Progress.create_group(owner=owner, label="Old group", size=2, backend="rq")
    for member in members:
        member.begin()
        member.fail("x")
    recent = Progress.start(owner=owner, label="Recent")
    recent.succeed()
    running = Progress.start(owner=owner, label="Running")
    long_ago = timezone.now() - timedelta(days=31)
    TaskProgress.objects.filter(label__startswith="Old").update(finished_at=long_ago)
    out = StringIO()
    call_command("sse_jobs", "prune", stdout=out)
    assert (
        out.getvalue() == "Deleted 4 finished jobs older than 30 days; 1 not finished were kept.\n"
    )
    assert sorted(TaskProgress.objects.values_list("label", flat=True)) == ["Recent", "Running"]
    call_command("sse_jobs", "prune", "--older-than", "0s", stdout=StringIO())
    assert list(TaskProgress.objects.values_list("label", flat=True)) == ["Running"]
    with pytest.raises(CommandError, match="is not like 90s"):
        call_command("sse_jobs", "prune", "--older-than", "soon")
    running.succeed()


def test_the_lost_command_marks_silent_jobs(owner):
    job = Progress.start(owner=owner)
    TaskProgress.objects.filter(pk=job.id).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    out = StringIO()
    call_command("sse_jobs", "lost", stdout=out)
    assert out.getvalue() == "Marked 1 jobs lost.\n"
    assert TaskProgress.objects.get(pk=job.id).status == "lost"


def render_jobs(user, markup="{% load sse_progress %}{% sse_jobs limit=1 %}") -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template(markup).render(Context({"request": request}))


def test_the_job_list_shows_only_the_users_own_jobs_escaped(owner):
    from django.contrib.auth.models import AnonymousUser

    other = User.objects.create_user("other")
    Progress.create(owner=other, label="Theirs")
    for label in ("Done 1", "Done 2"):
        Progress.start(owner=owner, label=label).succeed()
    running = Progress.start(owner=owner, label=XSS)
    html = render_jobs(owner)
    assert "Theirs" not in html and "Done 1" not in html  # limit=1 finished job
    assert html.index("&lt;script&gt;") < html.index("Done 2")  # newest first
    assert XSS not in html
    assert f'data-sse-topic="jobs:{owner.pk}"' in html
    assert 'class="sse-jobs__empty" hidden' in html
    assert render_jobs(AnonymousUser()) == ""
    empty = render_jobs(User.objects.create_user("new"), "{% load sse_progress %}{% sse_jobs %}")
    assert '<p class="sse-jobs__empty">No jobs yet.</p>' in empty
    running.succeed()


def test_the_admin_shows_a_jobs_percent_rounded(owner):
    job = Progress.start(owner=owner, label="Rounded")
    TaskProgress.objects.filter(pk=job.id).update(percent=60.499999999999865)
    client, _ = admin_client(is_superuser=True)
    listed = client.get("/admin/sse_progress/taskprogress/").content.decode()
    shown = client.get(f"/admin/sse_progress/taskprogress/{job.id}/change/").content.decode()
    assert "60%" in listed and "60.4999" not in listed
    # The change page's own field; its live bar's value attribute keeps every digit.
    assert '<div class="readonly">60%</div>' in shown
    job.succeed()


@pytest.mark.parametrize(
    ("language", "waiting", "done"), [("en", "Waiting", "Done"), ("fr", "En attente", "Terminé")]
)
def test_a_bar_says_the_same_words_rendered_and_live_in_the_pages_language(
    owner, language, waiting, done
):
    import html
    import json
    import re

    from django.utils import translation

    job = Progress.create(owner=owner, label="Words")
    request = RequestFactory().get("/")
    request.user = owner
    with translation.override(language):
        page = Template("{% load sse_progress %}{% sse_progress job_id %}").render(
            Context({"request": request, "job_id": job.id})
        )
    words = json.loads(html.unescape(re.search(r'data-i18n="([^"]*)"', page).group(1)))
    state = re.search(r'<span class="sse-progress__state">([^<]*)</span>', page).group(1)
    assert state == words["pending"] == waiting  # what progress.js shows for the same state
    assert words["succeeded"] == done and "{time}" in words["elapsed"]
    job.succeed()
