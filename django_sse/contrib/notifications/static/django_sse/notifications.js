// The notification bell of {% sse_notifications %}. Loaded after
// django-sse.js. All text from the server goes in with textContent.
import sse, { safeLink } from "./django-sse.js";

class Bell {
  constructor(root) {
    this.root = root;
    this.topic = root.dataset.sseTopic;
    this.api = root.dataset.api;
    this.csrf = root.dataset.csrf;
    this.button = root.querySelector(".sse-bell__button");
    this.badge = root.querySelector(".sse-bell__count");
    this.panel = root.querySelector(".sse-bell__panel");
    this.list = root.querySelector(".sse-bell__list");
    this.toasts = root.querySelector(".sse-bell__toasts");
    this.button.addEventListener("click", () => this.toggle());
    root.addEventListener("keydown", (e) => e.key === "Escape" && this.toggle(false));
    root.querySelector("[data-action=read-all]").addEventListener("click", () =>
      this.post("read-all/"),
    );
    this.list.addEventListener("click", (e) => this.onListClick(e));
    sse.subscribe(this.topic, "notification", (item) => this.added(item));
    sse.subscribe(this.topic, "notification-updated", (change) => this.updated(change));
    sse.subscribe(this.topic, "unread-count", ({ unread_count }) => this.setCount(unread_count));
    sse.subscribe(this.topic, "reset", () => this.reload());
    sse.addEventListener("status", (e) => (root.dataset.status = e.detail.status));
    root.dataset.status = sse.status;
  }

  toggle(open = this.panel.hidden) {
    this.panel.hidden = !open;
    this.button.setAttribute("aria-expanded", String(open));
    if (open) {
      // Open towards the side with room: a bell at the left edge opens rightwards.
      const room = this.root.getBoundingClientRect().right;
      this.panel.classList.toggle("sse-bell__panel--left", room < this.panel.offsetWidth);
    }
  }

  setCount(count) {
    this.badge.textContent = count > 99 ? "99+" : String(count);
    this.badge.dataset.count = String(count);
    this.badge.hidden = count === 0;
    this.button.setAttribute("aria-label", `Notifications, ${count} unread`);
  }

  render(item) {
    const li = document.createElement("li");
    li.className = `sse-bell__item sse-level-${item.level}`;
    li.dataset.id = item.id;
    li.dataset.read = String(item.read);
    const link = safeLink(item.url);
    const title = document.createElement(link ? "a" : "span");
    title.className = "sse-bell__title";
    title.textContent = item.title;
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
      ["toggle-read", item.read ? "Mark unread" : "Mark read"],
      ["dismiss", "Dismiss"],
    ]) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.action = action;
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
  }

  updated({ ids, state, items }) {
    for (const id of ids) {
      const li = this.list.querySelector(`[data-id="${CSS.escape(String(id))}"]`);
      if (!li) continue;
      if (state === "dismissed") li.remove();
      else if (state === "changed") {
        const item = items.find((i) => i.id === id);
        if (item) li.replaceWith(this.render(item));
      } else {
        li.dataset.read = String(state === "read");
        li.querySelector("[data-action=toggle-read]").textContent =
          state === "read" ? "Mark unread" : "Mark read";
      }
    }
  }

  toast(item) {
    const toast = document.createElement("div");
    toast.className = `sse-toast sse-level-${item.level}`;
    toast.setAttribute("role", "status");
    toast.textContent = item.title;
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
    } else if (target.dataset.action === "dismiss") {
      this.post(`${id}/dismiss/`);
    } else {
      this.post(`${id}/${li.dataset.read === "true" ? "unread" : "read"}/`);
    }
  }

  async post(path, keepalive = false) {
    const response = await fetch(this.api + path, {
      method: "POST",
      headers: { "X-CSRFToken": this.csrf },
      credentials: "same-origin",
      keepalive,
    });
    // The stream brings the new state to every tab, this one included.
    if (!response.ok) console.warn("django-sse: notification update failed", response.status);
  }

  async reload() {
    const response = await fetch(this.api, { credentials: "same-origin" });
    if (!response.ok) return;
    const { items, unread_count } = await response.json();
    this.list.replaceChildren(...items.map((item) => this.render(item)));
    this.setCount(unread_count);
  }
}

for (const root of document.querySelectorAll('[data-sse-widget="notifications"]')) {
  if (!root.sseWidget) root.sseWidget = new Bell(root);
}
