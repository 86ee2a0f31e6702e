"""Web push end to end against the local push service (tests/push_service.py),
which checks the VAPID signature and decrypts every message as a browser
would: subscriptions, the outbox, senders, failures, policy and security."""

import json
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from django_sse.contrib.notifications import notify, outbox, vapid
from django_sse.contrib.notifications.models import (
    Notification,
    NotificationPreference,
    PushMessage,
    PushSubscription,
    UsersOnline,
)
from django_sse.contrib.notifications.push import online as push_online
from django_sse.contrib.notifications.push import sending as push_sending
from django_sse.contrib.notifications.push import subscriptions as push_subscriptions
from django_sse.contrib.notifications.types import _types, register_type
from tests.push_service import PUSH_SETTINGS
from tests.servers import ROOT, server_env
from tests.users import User

pytestmark = pytest.mark.django_db(transaction=True)
KEY = vapid.public_key(vapid.load(PUSH_SETTINGS["DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY"]))


@pytest.fixture
def settings_push(settings):
    for name, value in PUSH_SETTINGS.items():
        setattr(settings, name, value)
    settings.DJANGO_SSE_PUSH_POLICY = "always"
    settings.DJANGO_SSE_PUSH_SENDER = "command"  # the tests send when they choose
    return settings


@pytest.fixture
def kinds():
    saved = dict(_types)
    register_type("comment", "Comments", title="{actor} commented", channels=("inapp", "push"))
    register_type("tip", "Tips", title="A tip", channels=("inapp",))
    yield
    _types.clear()
    _types.update(saved)


def signed_in(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/widgets-page/")  # sets the CSRF cookie
    return client


def post(client: Client, url: str, body) -> tuple[int, dict]:
    response = client.post(
        url,
        json.dumps(body),
        content_type="application/json",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )
    return response.status_code, response.json()


def subscribed(push_service, user):
    sub = push_service.subscribe(KEY)
    push_subscriptions.subscribe(user, sub.as_json())
    return sub


def test_a_browser_subscribes_and_gets_a_notification_encrypted_and_signed(
    settings_push, push_service
):
    ann = User.objects.create_user("ann")
    sub = push_service.subscribe(KEY)
    status, answer = post(signed_in(ann), "/sse/notifications/push/subscriptions/", sub.as_json())
    assert status == 201, answer
    settings_push.DJANGO_SSE_PUSH_SENDER = "thread"  # sent at commit, by a background thread
    started = time.monotonic()
    notify(ann, "Build finished", body="All 48 tests passed", url="/builds/7/", level="success")
    (message,) = push_service.wait(1)
    assert time.monotonic() - started < 5
    item = Notification.objects.get()
    assert message == {
        "id": item.pk,
        "title": "Build finished",
        "body": "All 48 tests passed",
        "level": "success",
        "url": "/builds/7/",
        "tag": f"sse-{item.pk}",
    }
    (delivery,) = push_service.delivered
    assert delivery.claims["sub"] == PUSH_SETTINGS["DJANGO_SSE_PUSH_VAPID_SUBJECT"]
    assert delivery.headers["ttl"] == "86400"
    assert delivery.headers["topic"].startswith("n")
    assert push_service.refused == []
    deadline = time.monotonic() + 5
    while PushMessage.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not PushMessage.objects.exists()
    assert PushSubscription.objects.get().last_sent_at is not None


def test_every_browser_of_the_recipient_and_nobody_else(settings_push, push_service):
    ann, bob = User.objects.create_user("ann"), User.objects.create_user("bob")
    phone, laptop, bobs = (
        subscribed(push_service, ann),
        subscribed(push_service, ann),
        subscribed(push_service, bob),
    )
    notify(ann, "For ann")
    assert push_sending.send_all() == 2
    assert push_service.messages(phone)[0]["title"] == "For ann"
    assert push_service.messages(laptop)[0]["title"] == "For ann"
    assert push_service.messages(bobs) == []


def test_a_message_the_push_service_cannot_verify_is_refused(settings_push, push_service):
    """The local service is no rubber stamp: a subscription made with another
    application server key (k mismatch) is refused, and the message dropped."""
    ann = User.objects.create_user("ann")
    sub = push_service.subscribe(vapid.generate()[1])  # another site's key
    push_subscriptions.subscribe(ann, sub.as_json())
    notify(ann, "Hello")
    push_sending.send_all()
    assert push_service.delivered == []
    assert push_service.refused == [(403, "k is not the key the subscription was made with")]
    assert not PushMessage.objects.exists()  # 403 is final: dropped and logged
    assert PushSubscription.objects.exists()


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_pruned(settings_push, push_service, status):
    ann = User.objects.create_user("ann")
    gone, kept = subscribed(push_service, ann), subscribed(push_service, ann)
    push_service.answers[gone.id] = [status]
    notify(ann, "Hello")
    push_sending.send_all()
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [kept.endpoint]
    assert len(push_service.messages(kept)) == 1
    assert not PushMessage.objects.exists()


def test_a_busy_push_service_gets_the_message_again_later(settings_push, push_service, monkeypatch):
    monkeypatch.setattr(outbox, "RETRY_AFTER", timedelta(0))
    ann = User.objects.create_user("ann")
    sub = subscribed(push_service, ann)
    push_service.answers[sub.id] = [429, 503]
    notify(ann, "Hello")
    assert push_sending.send_due() == 1  # 429
    message = PushMessage.objects.get()
    assert (message.attempts, message.last_error) == (1, "429 from the push service")
    assert push_sending.send_due() == 1  # 503
    assert push_sending.send_due() == 1  # taken
    assert [m["title"] for m in push_service.messages()] == ["Hello"]
    assert not PushMessage.objects.exists()


def test_after_the_last_attempt_a_message_is_dropped(settings_push, push_service, monkeypatch):
    monkeypatch.setattr(outbox, "RETRY_AFTER", timedelta(0))
    ann = User.objects.create_user("ann")
    sub = subscribed(push_service, ann)
    push_service.answers[sub.id] = [500] * outbox.MAX_ATTEMPTS
    notify(ann, "Hello")
    for _ in range(outbox.MAX_ATTEMPTS):
        assert push_sending.send_due() == 1
    assert push_sending.send_due() == 0
    assert not PushMessage.objects.exists()
    assert push_service.delivered == []


def test_a_message_another_sender_holds_is_not_taken_twice(settings_push, push_service):
    ann = User.objects.create_user("ann")
    subscribed(push_service, ann)
    notify(ann, "Hello")
    PushMessage.objects.update(next_attempt_at=timezone.now() + outbox.LEASE, claim="other")
    assert push_sending.send_due() == 0  # leased by a sender still working on it
    PushMessage.objects.update(next_attempt_at=timezone.now())
    assert push_sending.send_due() == 1  # the lease ran out: that sender died


def test_two_sender_processes_post_each_message_once(settings_push, push_service, test_db_url):
    users = [User.objects.create_user(f"u{i}") for i in range(60)]
    subs = [subscribed(push_service, user) for user in users]
    for user in users:
        notify(user, f"for {user.username}")
    env = server_env(test_db_url, DJANGO_SSE_TEST_PUSH="1")
    command = "import django; django.setup(); from django.core.management import call_command; "
    command += "call_command('sse_send_push')"
    senders = [
        subprocess.Popen([sys.executable, "-c", command], env=env, cwd=ROOT, stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [sender.communicate(timeout=60)[0].decode() for sender in senders]
    assert [sender.returncode for sender in senders] == [0, 0], outputs
    assert sorted(m["title"] for m in push_service.messages()) == sorted(
        f"for {u.username}" for u in users
    )
    assert all(len(push_service.messages(sub)) == 1 for sub in subs)
    assert not PushMessage.objects.exists()


def test_preferences_mutes_and_types_decide_who_gets_a_push(settings_push, push_service, kinds):
    ann, bob, cat = (User.objects.create_user(n) for n in ("ann", "bob", "cat"))
    for user in (ann, bob, cat):
        subscribed(push_service, user)
    NotificationPreference.objects.create(user=bob, type="comment", channel="push", enabled=False)
    NotificationPreference.objects.create(user=cat, type="tip", channel="push", enabled=True)
    notify([ann, bob, cat], "comment", context={"actor": "Dan"})
    notify([ann, bob, cat], "tip")
    push_sending.send_all()
    got = sorted(
        (
            PushSubscription.objects.get(endpoint__endswith=d.subscription).user.username,
            d.message["title"],
        )
        for d in push_service.delivered
    )
    assert got == [("ann", "Dan commented"), ("cat", "A tip"), ("cat", "Dan commented")]


def test_offline_policy_skips_users_with_a_page_open(settings_push, push_service):
    settings_push.DJANGO_SSE_PUSH_POLICY = "offline"
    ann, bob = User.objects.create_user("ann"), User.objects.create_user("bob")
    subscribed(push_service, ann)
    subscribed(push_service, bob)
    UsersOnline.objects.create(process="another:1", users=[str(ann.pk)], updated_at=timezone.now())
    notify([ann, bob], "Hello")
    assert PushMessage.objects.get().subscription.user == bob
    # A process that stopped writing its row no longer counts.
    UsersOnline.objects.update(updated_at=timezone.now() - timedelta(minutes=5))
    notify([ann, bob], "Again")
    assert PushMessage.objects.filter(subscription__user=ann).count() == 1
    settings_push.DJANGO_SSE_PUSH_POLICY = "always"
    UsersOnline.objects.update(updated_at=timezone.now())
    notify([ann, bob], "Always")
    assert PushMessage.objects.filter(notification__title="Always").count() == 2


def test_a_server_with_push_records_who_is_online(settings_push, test_db_url):
    import httpx

    from tests.servers import Server

    settings_push.DJANGO_SSE_PUSH_POLICY = "offline"
    ann = User.objects.create_user("ann")
    client = Client()
    client.force_login(ann)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    server = Server(
        "uvicorn", test_db_url, DJANGO_SSE_TEST_PUSH="1", DJANGO_SSE_PRESENCE_INTERVAL="0.2"
    ).start()
    try:
        with httpx.stream(
            "GET", f"{server.url}/sse/notifications/", cookies=cookies, timeout=10
        ) as response:
            assert response.status_code == 200
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if push_online.online_users() == {str(ann.pk)}:
                    break
                time.sleep(0.1)
            assert push_online.online_users() == {str(ann.pk)}
        deadline = time.monotonic() + 10
        while push_online.online_users() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert push_online.online_users() == set()  # the stream closed
    finally:
        server.stop()


def test_queueing_for_many_recipients_is_a_bounded_number_of_queries(settings_push, push_service):
    """The push part of notify(): one query for the subscriptions and one
    insert per 1,000 messages, however many recipients."""

    def queries_for(count: int) -> int:
        users = User.objects.bulk_create([User(username=f"q{count}-{i}") for i in range(count)])
        PushSubscription.objects.bulk_create(
            [
                PushSubscription(
                    user=u,
                    endpoint=f"{push_service.origin}/push/x{count}-{i}",
                    p256dh="x",
                    auth="y",
                )
                for i, u in enumerate(users)
            ]
        )
        with CaptureQueriesContext(connection) as queries:
            notify(User.objects.filter(username__startswith=f"q{count}-"), "Hello")
        assert PushMessage.objects.filter(subscription__user__in=users).count() == count
        return sum("sse_notifications_push" in q["sql"] for q in queries.captured_queries)

    assert queries_for(10) == 2
    assert queries_for(2500) == 4


def test_subscribing_checks_what_it_keeps(settings_push, push_service):
    ann = User.objects.create_user("ann")
    client = signed_in(ann)
    url = "/sse/notifications/push/subscriptions/"
    good = push_service.subscribe(KEY).as_json()
    cases = [
        ({**good, "endpoint": "http://169.254.169.254/latest/meta-data"}, "not on a push service"),
        ({**good, "endpoint": "https://fcm.googleapis.com.evil.test/x"}, "not on a push service"),
        ({**good, "endpoint": "http://user@127.0.0.1/x"}, "not a valid address"),
        ({**good, "endpoint": 7}, "endpoint must be"),
        ({**good, "keys": {"p256dh": "AAAA", "auth": good["keys"]["auth"]}}, "65 bytes"),
        ({**good, "keys": {"p256dh": good["keys"]["p256dh"], "auth": "!!"}}, "base64url"),
        ({"endpoint": good["endpoint"]}, "keys must be"),
        ([], "JSON object"),
    ]
    for body, reason in cases:
        status, answer = post(client, url, body)
        assert status == 400 and reason in answer["error"], (body, answer)
    assert not PushSubscription.objects.exists()
    assert Client().post(url, good, content_type="application/json").status_code == 401
    no_csrf = Client(enforce_csrf_checks=True)
    no_csrf.force_login(ann)
    assert no_csrf.post(url, good, content_type="application/json").status_code == 403
    assert client.get(url).status_code == 405


def test_the_default_services_are_the_browsers_push_services(settings_push):
    del settings_push.DJANGO_SSE_PUSH_SERVICES
    assert push_subscriptions.endpoint_problem("https://fcm.googleapis.com/fcm/send/abc") is None
    assert push_subscriptions.endpoint_problem("https://web.push.apple.com/QGx") is None
    assert (
        push_subscriptions.endpoint_problem("https://updates.push.services.mozilla.com/wpush/v2/x")
        is None
    )
    assert push_subscriptions.endpoint_problem("https://db5p.notify.windows.com/w/?token=x") is None
    assert push_subscriptions.endpoint_problem("http://fcm.googleapis.com/fcm/send/abc") is not None
    assert push_subscriptions.endpoint_problem("https://push.apple.com.evil.test/x") is not None
    assert push_subscriptions.endpoint_problem("https://127.0.0.1/x") is not None


def test_a_service_is_its_scheme_host_and_port(settings_push):
    settings_push.DJANGO_SSE_PUSH_SERVICES = ["https://fcm.googleapis.com", "https://a.test:8443"]
    assert push_subscriptions.endpoint_problem("https://fcm.googleapis.com/x") is None
    assert push_subscriptions.endpoint_problem("https://fcm.googleapis.com:443/x") is None
    assert push_subscriptions.endpoint_problem("https://fcm.googleapis.com:8260/x") is not None
    assert push_subscriptions.endpoint_problem("https://a.test:8443/x") is None
    assert push_subscriptions.endpoint_problem("https://a.test/x") is not None


def test_a_redirect_from_a_push_service_is_not_followed(settings_push, push_service):
    """A 307 from an allowed service would send the encrypted body to an
    address outside DJANGO_SSE_PUSH_SERVICES: it is a failed send."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    reached: list[str] = []

    class Elsewhere(BaseHTTPRequestHandler):
        def do_POST(self):
            reached.append(self.path)
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args):
            pass

    sink = ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)

    class Redirecting(Elsewhere):
        def do_POST(self):
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{sink.server_port}/stolen")
            self.end_headers()

    redirector = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    for server in (sink, redirector):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ann = User.objects.create_user("ann")
        sub = push_service.subscribe(KEY).as_json()
        sub["endpoint"] = f"http://127.0.0.1:{redirector.server_port}/push/x"
        assert post(signed_in(ann), "/sse/notifications/push/subscriptions/", sub)[0] == 201
        notify(ann, "Hello")
        call_command("sse_send_push")
    finally:
        for server in (sink, redirector):
            server.shutdown()
            server.server_close()
    assert reached == []
    assert not PushMessage.objects.exists()  # dropped, not retried


def test_without_a_key_there_is_no_push(settings, push_service):
    ann = User.objects.create_user("ann")
    client = signed_in(ann)
    status, answer = post(
        client, "/sse/notifications/push/subscriptions/", push_service.subscribe(KEY).as_json()
    )
    assert (status, answer["error"]) == (404, "Web push is not set up on this site.")
    notify(ann, "Hello")
    assert not PushMessage.objects.exists()
    with pytest.raises(CommandError, match="Web push is off"):
        call_command("sse_send_push")


def test_a_browser_moves_to_whoever_subscribed_it_last_and_only_its_owner_removes_it(
    settings_push, push_service
):
    ann, bob = User.objects.create_user("ann"), User.objects.create_user("bob")
    sub = push_service.subscribe(KEY)
    assert post(signed_in(ann), "/sse/notifications/push/subscriptions/", sub.as_json())[0] == 201
    bobs = signed_in(bob)
    assert post(bobs, "/sse/notifications/push/subscriptions/", sub.as_json())[0] == 201
    assert PushSubscription.objects.get().user == bob
    url = "/sse/notifications/push/subscriptions/delete/"
    assert post(signed_in(ann), url, {"endpoint": sub.endpoint}) == (
        404,
        {"error": "No such subscription.", "status": 404},
    )
    assert post(bobs, url, {"endpoint": sub.endpoint}) == (200, {"ok": True})
    assert not PushSubscription.objects.exists()


def test_an_endpoint_known_to_another_user_moves_only_with_its_keys(settings_push, push_service):
    ann, mallory = User.objects.create_user("ann"), User.objects.create_user("mallory")
    anns = push_service.subscribe(KEY)
    url = "/sse/notifications/push/subscriptions/"
    assert post(signed_in(ann), url, anns.as_json())[0] == 201
    # Mallory saw Ann's endpoint: with keys of her own, it stays Ann's.
    other = push_service.subscribe(KEY).as_json()
    stolen = {**other, "endpoint": anns.endpoint}
    status, answer = post(signed_in(mallory), url, stolen)
    assert status == 409 and "another subscription" in answer["error"]
    assert PushSubscription.objects.get(endpoint=anns.endpoint).user == ann


def test_signing_out_forgets_the_subscriptions_of_that_session(settings_push, push_service):
    ann = User.objects.create_user("ann")
    client = signed_in(ann)
    here = push_service.subscribe(KEY)
    assert post(client, "/sse/notifications/push/subscriptions/", here.as_json())[0] == 201
    elsewhere = subscribed(push_service, ann)  # another browser, another session
    client.logout()  # user_logged_out, with the session that subscribed
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [elsewhere.endpoint]


def test_pushsubscriptionchange_renews_with_the_old_secret_only(settings_push, push_service):
    ann = User.objects.create_user("ann")
    old = subscribed(push_service, ann)
    new = push_service.subscribe(KEY)
    url = "/sse/notifications/push/renew/"
    anyone = Client(enforce_csrf_checks=True)  # a service worker: no session, no CSRF token
    forged = {"old": {"endpoint": old.endpoint, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}
    assert post_plain(anyone, url, {**forged, "new": new.as_json()}) == (
        403,
        {"error": "No such subscription.", "status": 403},
    )
    proof = {"endpoint": old.endpoint, "auth": old.as_json()["keys"]["auth"]}
    status, answer = post_plain(anyone, url, {"old": proof, "new": new.as_json()})
    assert status == 200, answer
    item = PushSubscription.objects.get()
    assert (item.user, item.endpoint) == (ann, new.endpoint)
    notify(ann, "Still here")
    push_sending.send_all()
    assert [m["title"] for m in push_service.messages(new)] == ["Still here"]
    assert post_plain(anyone, url, {"old": proof, "new": {"endpoint": "x"}})[0] == 400


def post_plain(client: Client, url: str, body) -> tuple[int, dict]:
    response = client.post(url, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def test_long_bodies_are_cut_to_fit_a_push(settings_push, push_service):
    ann = User.objects.create_user("ann")
    subscribed(push_service, ann)
    notify(ann, "Long", body="é" * 5000)
    push_sending.send_all()
    (message,) = push_service.messages()
    assert len(message["body"]) == push_sending.MAX_TEXT and message["body"].endswith("…")


def test_the_service_worker_is_served_with_its_settings(settings_push):
    response = Client().get("/sse/notifications/push/worker.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    first = response.content.decode().splitlines()[0]
    assert first == (
        'const SSE_PUSH = {"renewUrl": "/sse/notifications/push/renew/", "key": "' + KEY + '"};'
    )
    assert 'addEventListener("push"' in response.content.decode()


def test_the_button_renders_only_with_push_and_a_user(settings_push, rf):
    from django.contrib.auth.models import AnonymousUser
    from django.template import Context, Template

    ann = User.objects.create_user("ann")
    template = Template("{% load sse_notifications %}{% sse_push_button %}")
    request = rf.get("/")
    request.user = AnonymousUser()
    assert template.render(Context({"request": request})) == ""
    request.user = ann
    html = template.render(Context({"request": request}))
    assert f'data-key="{KEY}"' in html and 'data-scope="/sse/notifications/push/"' in html
    assert "django_sse/push.js" in html
    with translation.override("fr"):
        html = template.render(Context({"request": request}))
    assert ">Activer les notifications push</button>" in html
    del settings_push.DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY
    assert template.render(Context({"request": request})) == ""


def test_keys_command_makes_a_pair_the_settings_accept(settings, capsys):
    call_command("sse_push_keys")
    out = capsys.readouterr().out
    private = out[out.index("-----BEGIN") : out.index("-----END PRIVATE KEY-----") + 25]
    assert vapid.key_problem(private) is None
    public = out.rsplit(": ", 1)[1].strip()
    assert public == vapid.public_key(vapid.load(private))


def test_the_loop_command_sends_what_comes_due(settings_push, push_service, test_db_url):
    ann = User.objects.create_user("ann")
    subscribed(push_service, ann)
    env = server_env(test_db_url, DJANGO_SSE_TEST_PUSH="1")
    command = "import django; django.setup(); from django.core.management import call_command; "
    command += "call_command('sse_send_push', loop=0.2)"
    sender = subprocess.Popen([sys.executable, "-c", command], env=env, cwd=ROOT)
    try:
        time.sleep(1)
        notify(ann, "While the loop runs")
        assert [m["title"] for m in push_service.wait(1)] == ["While the loop runs"]
    finally:
        sender.terminate()
        sender.wait(10)


def test_the_process_of_a_message_stopped_the_hub_wakes_a_sender(settings_push, push_service):
    settings_push.DJANGO_SSE_PUSH_SENDER = "thread"
    ann = User.objects.create_user("ann")
    subscribed(push_service, ann)
    settings_push.DJANGO_SSE_PUSH_SENDER = "command"
    notify(ann, "Left behind")  # its process "stopped": nothing sent it
    assert PushMessage.objects.count() == 1
    settings_push.DJANGO_SSE_PUSH_SENDER = "thread"
    push_sending.wake_if_overdue()  # what every hub runs every outbox.IDLE seconds
    assert [m["title"] for m in push_service.wait(1)] == ["Left behind"]


def test_the_admin_lists_subscriptions_and_the_outbox_without_keys(
    settings_push, push_service, admin_client
):
    ann = User.objects.create_user("ann")
    sub = subscribed(push_service, ann)
    notify(ann, "Waiting <script>")
    page = admin_client.get("/admin/sse_notifications/pushsubscription/").content.decode()
    assert "ann" in page and "127.0.0.1" in page
    item = PushSubscription.objects.get()
    page = admin_client.get(
        f"/admin/sse_notifications/pushsubscription/{item.pk}/change/"
    ).content.decode()
    assert sub.endpoint in page and item.auth not in page and item.p256dh not in page
    assert admin_client.get("/admin/sse_notifications/pushsubscription/add/").status_code == 403
    page = admin_client.get("/admin/sse_notifications/pushmessage/").content.decode()
    assert "Waiting &lt;script&gt;" in page and "<script>" not in page.split("Waiting")[1][:20]
    admin_client.post(
        "/admin/sse_notifications/pushsubscription/",
        {"action": "delete_selected", "_selected_action": [item.pk], "post": "yes"},
    )
    assert not PushSubscription.objects.exists() and not PushMessage.objects.exists()


def test_a_notification_read_or_dismissed_before_sending_is_not_pushed(settings_push, push_service):
    ann = User.objects.create_user("ann")
    subscribed(push_service, ann)
    notify(ann, "Read in another tab")
    notify(ann, "Dismissed")
    notify(ann, "Still unread")
    Notification.objects.filter(title="Read in another tab").update(read_at=timezone.now())
    Notification.objects.filter(title="Dismissed").update(deleted=True)
    assert push_sending.send_all() == 3
    assert [m["title"] for m in push_service.messages()] == ["Still unread"]
    assert not PushMessage.objects.exists()


def test_nobody_subscribed_costs_one_query(settings_push, django_assert_num_queries):
    settings_push.DJANGO_SSE_PUSH_POLICY = "offline"
    ann = User.objects.create_user("ann")
    item = Notification.objects.create(recipient=ann, title="x")
    with django_assert_num_queries(1):
        assert push_sending.queue([item], None, None) == 0
