// The banners of {% sse_announcements %}: an announcement appears at its
// start and leaves at its end on every open page, and stays closed once
// dismissed (per user on every device; per browser for anonymous
// visitors). Text from the server goes in with textContent.
import sse, { safeLink } from "./django-sse.js";

const LEVELS = { info: "Info", success: "Success", warning: "Warning", error: "Error" };
const STORE = "django-sse:dismissed-announcements";

function dismissedHere() {
  try {
    return new Set(JSON.parse(localStorage.getItem(STORE) || "[]"));
  } catch {
    return new Set();
  }
}

class Announcements {
  constructor(root) {
    this.root = root;
    this.signedIn = root.dataset.signedIn === "true";
    this.timers = new Map();
    // Closed by this user (signed in): an "announcement" event that comes
    // after the close (a late start, a replay) leaves it closed.
    this.closed = new Set((root.dataset.dismissed || "").split(" ").filter(Boolean));
    for (const banner of root.querySelectorAll(".sse-announcement")) {
      if (!this.signedIn && dismissedHere().has(banner.dataset.id)) banner.remove();
      else this.watch(banner);
    }
    root.addEventListener("click", (event) => {
      const button = event.target.closest("[data-action=dismiss]");
      if (button) this.dismiss(button.closest(".sse-announcement"));
    });
    for (const topic of root.dataset.sseTopics.split(" ")) {
      sse.subscribe(topic, "announcement", (item) => this.show(item));
      sse.subscribe(topic, "announcement-ended", ({ id }) => this.hide(id));
      sse.subscribe(topic, "announcement-dismissed", ({ id }) => this.close(id));
    }
  }

  banner(id) {
    return this.root.querySelector(`.sse-announcement[data-id="${CSS.escape(String(id))}"]`);
  }

  show(item) {
    if (this.closed.has(String(item.id))) return;
    if (!this.signedIn && dismissedHere().has(String(item.id))) return;
    if (item.ends_at && Date.parse(item.ends_at) <= Date.now()) return;
    const banner = document.createElement("div");
    banner.className = `sse-announcement sse-level-${item.level}`;
    banner.dataset.id = String(item.id);
    if (item.ends_at) banner.dataset.endsAt = item.ends_at;
    const text = document.createElement("p");
    const level = document.createElement("span");
    level.className = "sse-visually-hidden";
    level.textContent = `${LEVELS[item.level] ?? item.level}: `;
    const title = document.createElement("strong");
    title.textContent = item.title;
    text.append(level, title);
    if (item.body) text.append(` ${item.body}`);
    const link = safeLink(item.url);
    if (link) {
      const more = document.createElement("a");
      more.href = link;
      more.textContent = "More";
      text.append(" ", more);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.dataset.action = "dismiss";
    close.setAttribute("aria-label", `Dismiss: ${item.title}`);
    close.textContent = "×";
    banner.append(text, close);
    const existing = this.banner(item.id);
    if (existing) existing.replaceWith(banner);
    else this.root.prepend(banner);
    this.watch(banner);
  }

  // Leave at the end time even if the server's "ended" event is late.
  watch(banner) {
    clearTimeout(this.timers.get(banner.dataset.id));
    if (!banner.dataset.endsAt) return;
    const wait = Date.parse(banner.dataset.endsAt) - Date.now();
    this.timers.set(banner.dataset.id, setTimeout(() => this.hide(banner.dataset.id), Math.max(0, wait)));
  }

  hide(id) {
    this.banner(id)?.remove();
  }

  close(id) {
    this.closed.add(String(id));
    this.hide(id);
  }

  async dismiss(banner) {
    const id = banner.dataset.id;
    this.close(id);
    if (!this.signedIn) {
      const ids = dismissedHere();
      ids.add(id);
      localStorage.setItem(STORE, JSON.stringify([...ids].slice(-200)));
      return;
    }
    const url = this.root.dataset.dismissUrl.replace("/0/", `/${encodeURIComponent(id)}/`);
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": this.root.dataset.csrf },
      credentials: "same-origin",
    });
    if (!response.ok) console.warn("django-sse: dismissing the announcement failed", response.status);
  }
}

for (const root of document.querySelectorAll('[data-sse-widget="announcements"]')) {
  if (!root.sseWidget) root.sseWidget = new Announcements(root);
}
