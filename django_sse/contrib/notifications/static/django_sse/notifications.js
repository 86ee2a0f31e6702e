// The notification bell of {% sse_notifications %}. Loaded after
// django-sse.js. All text from the server goes in with textContent.
//
// Keyboard: the button opens the panel and moves focus into it; Tab stays
// inside while it is open; Escape (or a click outside) closes it and focus
// returns to the button. New items are announced by a live region that
// exists from page load. Attention when the tab is in the background, each
// set on the tag: the unread count in the title (on by default) and on the
// favicon (on), desktop notifications (off; asked for only when the user
// presses the panel's button, never on load) and a short sound (off).
import sse, { safeLink } from "./django-sse.js";
import { Attention } from "./attention.js";

// English, unless the page's language is another: the tag renders the
// labels in it (data-i18n).
let LABELS = {
  info: "Info",
  success: "Success",
  warning: "Warning",
  error: "Error",
  markRead: "Mark read",
  markUnread: "Mark unread",
  dismiss: "Dismiss",
  archive: "Archive",
  snooze: "Snooze 1 h",
  watch: "Watch",
  watching: "Watching",
  mute: "Mute",
  muted: "Muted for a day",
  unread: "Notifications, {count} unread",
};
const FOCUSABLE = "a[href], button:not([disabled]):not([hidden]), [tabindex]:not([tabindex='-1'])";

// The level in words for screen readers: it is not told by colour alone.
function levelLabel(level) {
  const label = document.createElement("span");
  label.className = "sse-visually-hidden";
  label.textContent = `${LABELS[level] ?? level}: `;
  return label;
}

class Bell {
  constructor(root) {
    this.root = root;
    LABELS = { ...LABELS, ...JSON.parse(root.dataset.i18n || "{}") };
    this.topic = root.dataset.sseTopic;
    this.api = root.dataset.api;
    this.csrf = root.dataset.csrf;
    this.button = root.querySelector(".sse-bell__button");
    this.badge = root.querySelector(".sse-bell__count");
    this.panel = root.querySelector(".sse-bell__panel");
    this.list = root.querySelector(".sse-bell__list");
    this.toasts = root.querySelector(".sse-bell__toasts");
    this.attention = new Attention(root);
    this.button.addEventListener("click", () => this.toggle());
    root.addEventListener("keydown", (e) => this.onKey(e));
    document.addEventListener("click", (e) => {
      if (!this.panel.hidden && !root.contains(e.target)) this.toggle(false, false);
    });
    root.querySelector("[data-action=read-all]").addEventListener("click", () =>
      this.post("read-all/"),
    );
    this.list.addEventListener("click", (e) => this.onListClick(e));
    sse.subscribe(this.topic, "notification", (item) => this.added(item));
    sse.subscribe(this.topic, "notification-updated", (change) => this.updated(change));
    sse.subscribe(this.topic, "unread-count", ({ unread_count, badge }) =>
      this.setCount(unread_count, badge),
    );
    sse.subscribe(this.topic, "reset", () => this.reload());
    sse.addEventListener("status", (e) => (root.dataset.status = e.detail.status));
    root.dataset.status = sse.status;
  }

  toggle(open = this.panel.hidden, returnFocus = true) {
    if (open === !this.panel.hidden) return;
    this.panel.hidden = !open;
    this.button.setAttribute("aria-expanded", String(open));
    if (open) {
      // Open towards the side with room: a bell at the left edge opens rightwards.
      const room = this.root.getBoundingClientRect().right;
      this.panel.classList.toggle("sse-bell__panel--left", room < this.panel.offsetWidth);
      this.focusables()[0]?.focus();
      // Seen now (still unread): an "unseen" badge drops to 0 in every tab.
      if (Number(this.badge.dataset.count) > 0) this.post("seen/");
    } else if (returnFocus) {
      this.button.focus();
    }
  }

  focusables() {
    return [...this.panel.querySelectorAll(FOCUSABLE)].filter((el) => el.offsetParent !== null);
  }

  onKey(event) {
    if (this.panel.hidden) return;
    if (event.key === "Escape") {
      event.preventDefault();
      this.toggle(false);
    } else if (event.key === "Tab") {
      // Keep focus in the open panel: from the last control to the first, and back.
      const items = this.focusables();
      if (!items.length) return;
      const [first, last] = [items[0], items[items.length - 1]];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    }
  }

  // The badge shows `badge` (unread, or unseen: DJANGO_SSE_NOTIFICATION_BADGE);
  // the button's label says how many are unread.
  setCount(count, badge = count) {
    this.badge.textContent = badge > 99 ? "99+" : String(badge);
    this.badge.dataset.count = String(badge);
    this.badge.hidden = badge === 0;
    this.button.setAttribute("aria-label", LABELS.unread.replace("{count}", count));
    this.attention.count(badge);
  }

  render(item) {
    const li = document.createElement("li");
    li.className = `sse-bell__item sse-level-${item.level}`;
    li.dataset.id = item.id;
    li.dataset.read = String(item.read);
    const link = safeLink(item.url);
    const title = document.createElement(link ? "a" : "span");
    title.className = "sse-bell__title";
    title.append(levelLabel(item.level), item.title);
    if (link) {
      title.href = link;
      title.dataset.action = "open";
    }
    li.append(title);
    if (item.body) {
      const body = document.createElement("p");
      body.className = "sse-bell__body";
      body.textContent = item.body;
      li.append(body);
    }
    const actions = document.createElement("div");
    actions.className = "sse-bell__actions";
    for (const [action, label] of [
      ["toggle-read", item.read ? LABELS.markUnread : LABELS.markRead],
      ["archive", LABELS.archive],
      ["snooze", LABELS.snooze],
      ...(item.has_target ? [["watch", LABELS.watch]] : []),
      ...(item.has_actor || item.has_target ? [["mute", LABELS.mute]] : []),
      ["dismiss", LABELS.dismiss],
    ]) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.action = action;
      if (action === "mute") button.dataset.what = item.has_actor ? "actor" : "target";
      button.textContent = label;
      actions.append(button);
    }
    li.append(actions);
    return li;
  }

  added(item) {
    this.list.querySelector(`[data-id="${CSS.escape(String(item.id))}"]`)?.remove();
    this.list.prepend(this.render(item));
    this.list.querySelector(".sse-bell__empty")?.remove();
    this.toast(item);
    this.attention.arrived(item);
  }

  updated({ ids, state, items }) {
    for (const id of ids) {
      const li = this.list.querySelector(`[data-id="${CSS.escape(String(id))}"]`);
      if (!li) continue;
      if (["dismissed", "archived", "snoozed"].includes(state)) li.remove();
      else if (state === "seen") continue;
      else if (state === "changed") {
        const item = items.find((i) => i.id === id);
        if (item) li.replaceWith(this.render(item));
      } else {
        li.dataset.read = String(state === "read");
        li.querySelector("[data-action=toggle-read]").textContent =
          state === "read" ? LABELS.markUnread : LABELS.markRead;
      }
    }
  }

  toast(item) {
    const toast = document.createElement("div");
    toast.className = `sse-toast sse-level-${item.level}`;
    toast.append(levelLabel(item.level), item.title);
    this.toasts.append(toast);
    setTimeout(() => toast.remove(), 6000);
  }

  onListClick(event) {
    const target = event.target.closest("[data-action]");
    const li = event.target.closest("[data-id]");
    if (!target || !li) return;
    const id = li.dataset.id;
    if (target.dataset.action === "open") {
      if (li.dataset.read !== "true") this.post(`${id}/read/`, true);
    } else if (["dismiss", "archive", "snooze"].includes(target.dataset.action)) {
      this.post(`${id}/${target.dataset.action}/`);
    } else if (target.dataset.action === "watch" || target.dataset.action === "mute") {
      // Follow what it is about, or mute who (or what) it is from: the
      // button says it is done.
      const mute = target.dataset.action === "mute";
      const body = mute ? { what: target.dataset.what, hours: 24 } : { watch: true };
      this.post(`${id}/${target.dataset.action}/`, false, body).then((ok) => {
        if (!ok) return;
        target.textContent = mute ? LABELS.muted : LABELS.watching;
        target.disabled = true;
      });
    } else {
      this.post(`${id}/${li.dataset.read === "true" ? "unread" : "read"}/`);
    }
  }

  async post(path, keepalive = false, body = undefined) {
    const headers = { "X-CSRFToken": this.csrf };
    if (body) headers["Content-Type"] = "application/json";
    const response = await fetch(this.api + path, {
      method: "POST",
      headers,
      credentials: "same-origin",
      keepalive,
      body: body ? JSON.stringify(body) : undefined,
    });
    // The stream brings the new state to every tab, this one included.
    if (!response.ok) console.warn("django-sse: notification update failed", response.status);
    return response.ok;
  }

  async reload() {
    const response = await fetch(this.api, { credentials: "same-origin" });
    if (!response.ok) return;
    const { items, unread_count, badge } = await response.json();
    this.list.replaceChildren(...items.map((item) => this.render(item)));
    this.setCount(unread_count, badge);
  }
}

for (const root of document.querySelectorAll('[data-sse-widget="notifications"]')) {
  if (!root.sseWidget) root.sseWidget = new Bell(root);
}
