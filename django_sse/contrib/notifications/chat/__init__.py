"""Slack and Microsoft Teams: notifications posted to incoming webhooks.

A user adds their own webhook in the preferences (and picks, per type,
the "Slack or Teams" channel); staff give a team (a ``Group``) one in the
admin, which gets what is sent to that group. ``notify()`` queues a
``ChatMessage`` in its transaction (``sending.queue``); this process's sender
thread posts it after commit, and every hub wakes its sender for messages
left behind (the outbox: ``outbox``). Only addresses of
``DJANGO_SSE_CHAT_SERVICES`` are ever posted to, and no redirect is
followed.

The payloads are the services' documented ones: Slack's ``text`` with
``blocks`` (one ``mrkdwn`` section: the title in bold, the body, a link),
and Teams' ``message`` with an Adaptive Card attachment (title, body, an
"Open" action).
"""
