// {% sse_push_button %}: opt in to web push on this browser. A click asks
// for the notification permission (never on load), registers the service
// worker, subscribes with the site's VAPID key and sends the subscription
// to the server (POST, CSRF). A second click unsubscribes. On load, a
// subscription this browser already has is sent again when it was last
// sent for another user or more than a day ago, so the server keeps it.
const DAY = 24 * 60 * 60 * 1000;

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

class PushButton {
  constructor(root) {
    this.root = root;
    this.button = root.querySelector(".sse-push__button");
    this.status = root.querySelector(".sse-push__status");
    this.labels = JSON.parse(root.dataset.labels);
    this.button.addEventListener("click", () => this.toggle());
    this.start();
  }

  supported() {
    return window.isSecureContext && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  say(text) {
    this.status.textContent = text;
  }

  show(subscribed) {
    this.subscribed = subscribed;
    this.button.hidden = false;
    this.button.disabled = false;
    this.button.setAttribute("aria-pressed", String(subscribed));
    this.button.textContent = subscribed ? this.labels.off : this.labels.on;
  }

  // The worker's scope is not this page's, so serviceWorker.ready never
  // settles here: wait for this registration's worker to be active.
  async registration() {
    const { worker, scope } = this.root.dataset;
    const registration = await navigator.serviceWorker.register(worker, { scope });
    const pending = registration.installing || registration.waiting;
    if (!registration.active && pending) {
      await new Promise((resolve) => {
        pending.addEventListener("statechange", () => {
          if (pending.state === "activated" || pending.state === "redundant") resolve();
        });
      });
    }
    return registration;
  }

  async start() {
    if (!this.supported()) return this.say(this.labels.unsupported);
    if (Notification.permission === "denied") return this.say(this.labels.blocked);
    const registration = await navigator.serviceWorker.getRegistration(this.root.dataset.scope);
    const subscription = registration && (await registration.pushManager.getSubscription());
    this.show(Boolean(subscription));
    if (subscription && Notification.permission === "granted") await this.resend(subscription);
  }

  async resend(subscription) {
    const mark = `sse-push:${subscription.endpoint}`;
    let sent = {};
    try {
      sent = JSON.parse(localStorage.getItem(mark)) || {};
    } catch (error) {
      sent = {};
    }
    if (sent.user === this.root.dataset.user && Date.now() - sent.at < DAY) return;
    try {
      await this.post(this.root.dataset.subscribeUrl, subscription.toJSON());
      localStorage.setItem(mark, JSON.stringify({ user: this.root.dataset.user, at: Date.now() }));
    } catch (error) {
      this.say(error.message);
    }
  }

  async post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": this.root.dataset.csrf, "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
    return answer;
  }

  async toggle() {
    this.button.disabled = true;
    try {
      if (this.subscribed) await this.unsubscribe();
      else await this.subscribe();
    } catch (error) {
      this.say(`${this.labels.failed} ${error.message}`);
      this.button.disabled = false;
    }
  }

  async subscribe() {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      this.button.disabled = false;
      return this.say(permission === "denied" ? this.labels.blocked : this.labels.notAllowed);
    }
    const registration = await this.registration();
    const subscription =
      (await registration.pushManager.getSubscription()) ||
      (await this.withTimeout(
        registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(this.root.dataset.key),
        }),
      ));
    await this.post(this.root.dataset.subscribeUrl, subscription.toJSON());
    localStorage.setItem(
      `sse-push:${subscription.endpoint}`,
      JSON.stringify({ user: this.root.dataset.user, at: Date.now() }),
    );
    this.show(true);
    this.say(this.labels.subscribed);
  }

  // A browser whose push service cannot be reached (a network that blocks
  // it) may never settle subscribe(): give up and say so.
  withTimeout(promise) {
    const wait = Number(this.root.dataset.timeout || 30000);
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(this.labels.noService)), wait);
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  }

  async unsubscribe() {
    const registration = await navigator.serviceWorker.getRegistration(this.root.dataset.scope);
    const subscription = registration && (await registration.pushManager.getSubscription());
    if (subscription) {
      await this.post(this.root.dataset.unsubscribeUrl, { endpoint: subscription.endpoint }).catch(() => null);
      localStorage.removeItem(`sse-push:${subscription.endpoint}`);
      await subscription.unsubscribe();
    }
    this.show(false);
    this.say(this.labels.unsubscribed);
  }
}

for (const root of document.querySelectorAll('[data-sse-widget="push"]')) {
  if (!root.sseWidget) root.sseWidget = new PushButton(root);
}
