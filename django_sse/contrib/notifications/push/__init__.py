"""Web push: notifications that reach a browser with no page of the site open.

- A browser subscribes through ``{% sse_push_button %}`` (the service worker
  ``push-worker.js`` and ``push.js``); ``subscriptions.subscribe()`` keeps
  the subscription if its push service is one of ``DJANGO_SSE_PUSH_SERVICES``
  (nothing else is ever posted to).
- ``notify()`` calls ``sending.queue()`` in its transaction: one ``PushMessage`` per
  notification and subscription, for the recipients whose preferences have
  the push channel on and, with the "offline" policy, who have no page
  open (``online``: ``UsersOnline``, written by every server process's hub).
- ``sending.send_due()`` posts them outside any request: a background thread of the
  process that called ``notify()`` (woken at commit), every server
  process's hub when messages are overdue, or ``manage.py sse_send_push``.
  Each message is encrypted for its browser (RFC 8291, aes128gcm) and
  signed with the VAPID key (RFC 8292, ``keys``) by pywebpush. A subscription the
  push service says is gone (404, 410) is deleted; a refusal for a while
  (429, 5xx, no answer) is tried again later, up to ``MAX_ATTEMPTS``.
"""
