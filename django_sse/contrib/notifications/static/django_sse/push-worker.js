// django-sse's web push service worker. Served by the view at
// /sse/notifications/push/worker.js, which puts SSE_PUSH (the renew URL
// and the application server key) before this text. Its scope is that
// folder: it handles push events only and never sees the site's pages.

// Only this site's own pages are opened from a notification.
function sameOriginUrl(url) {
  try {
    const target = new URL(url || "/", self.location.origin);
    if (target.origin === self.location.origin) return target.href;
  } catch (error) {
    // not an address: fall through to the home page
  }
  return new URL("/", self.location.origin).href;
}

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let message = {};
  if (event.data) {
    try {
      message = event.data.json();
    } catch (error) {
      message = { body: event.data.text() };
    }
  }
  const options = {
    body: message.body || "",
    data: { url: sameOriginUrl(message.url), id: message.id },
  };
  if (message.tag) {
    options.tag = message.tag; // an updated notification replaces its earlier push
    options.renotify = true;
  }
  event.waitUntil(self.registration.showNotification(message.title || "New notification", options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || sameOriginUrl("/");
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of windows) {
        if (client.url === url && "focus" in client) return client.focus();
      }
      return self.clients.openWindow(url);
    })(),
  );
});

// The push service replaced the subscription: tell the server, proving the
// old one with its secret (a service worker has no session or CSRF token).
// Without the old subscription, the page sends the new one on the next visit.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(
    (async () => {
      const old = event.oldSubscription ? event.oldSubscription.toJSON() : null;
      let fresh = event.newSubscription;
      if (!fresh) {
        fresh = await self.registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: SSE_PUSH.key,
        });
      }
      if (!old || !old.keys) return;
      await fetch(SSE_PUSH.renewUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "omit",
        body: JSON.stringify({
          old: { endpoint: old.endpoint, auth: old.keys.auth },
          new: fresh.toJSON(),
        }),
      });
    })(),
  );
});
