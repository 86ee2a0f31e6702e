// django-notifications' live badge, list and callbacks
// ({% register_notify_callbacks %}), fed by the user's stream instead of
// polling. Callbacks get {unread_count, unread_list}, each item with hq's
// names beside django-sse's (verb, description, timestamp, unread). Text
// goes in with textContent.
import sse from "./django-sse.js";

const element = document.getElementById("notify-config");
const config = element ? JSON.parse(element.textContent) : null;

class LiveNotify {
  constructor(config) {
    this.config = config;
    this.count = config.unreadCount;
    this.unread = config.unreadList;
    sse.subscribe(config.topic, "unread-count", ({ unread_count }) => {
      this.count = unread_count;
      this.render();
    });
    sse.subscribe(config.topic, "notification", (item) => this.added(item));
    sse.subscribe(config.topic, "notification-updated", (change) => this.updated(change));
    sse.subscribe(config.topic, "reset", () => this.reload());
    this.render();
  }

  added(item) {
    this.unread = [item, ...this.unread.filter((old) => old.id !== item.id)];
    this.unread = this.unread.filter((n) => !n.read).slice(0, this.config.fetchCount);
    this.render();
    if (this.config.markAsRead && !item.read) this.post(`${item.id}/read/`);
  }

  updated({ ids, state }) {
    // Marked unread, or changed: only the server has the items' new state.
    if (state !== "read" && state !== "dismissed") return this.reload();
    const before = this.unread.length;
    this.unread = this.unread.filter((n) => !ids.includes(n.id));
    const short = this.unread.length < Math.min(this.config.fetchCount, this.count);
    if (this.unread.length < before && short) return this.reload();
    this.render();
  }

  async reload() {
    const url = `${this.config.api}?unread=1&page_size=${this.config.fetchCount}`;
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    const { items, unread_count } = await response.json();
    this.unread = items;
    this.count = unread_count;
    this.render();
  }

  render() {
    for (const badge of document.getElementsByClassName(this.config.badgeClass)) {
      badge.textContent = String(this.count);
    }
    if (this.config.menuClass) {
      for (const list of document.getElementsByClassName(this.config.menuClass)) {
        list.replaceChildren(
          ...this.unread.map((item) => {
            const li = document.createElement("li");
            li.dataset.id = String(item.id);
            li.textContent = item.title;
            return li;
          }),
        );
      }
    }
    const data = { unread_count: this.count, unread_list: this.unread.map(asHq) };
    for (const name of this.config.callbacks) {
      const callback = name.split(".").reduce((scope, key) => scope?.[key], window);
      if (typeof callback === "function") callback(data);
      else console.warn(`django-sse: the notify callback ${name} is not a function`);
    }
  }

  post(path) {
    return fetch(this.config.api + path, {
      method: "POST",
      headers: { "X-CSRFToken": this.config.csrf },
      credentials: "same-origin",
    });
  }
}

function asHq(item) {
  const data = item.data || {};
  return {
    ...item,
    verb: data.verb ?? item.title,
    description: item.body,
    timestamp: item.created_at,
    unread: !item.read,
  };
}

if (config && !window.djangoSseLiveNotify) window.djangoSseLiveNotify = new LiveNotify(config);
