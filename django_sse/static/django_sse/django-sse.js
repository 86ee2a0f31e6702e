// django-sse.js: one stream per browser, shared by every tab of a site and
// by every widget and script of each page. No build step, no dependencies.
//
//   const off = DjangoSSE.subscribe("orders", "order-created", (data, event) => ...);
//   document.addEventListener("sse:order-created", (e) => e.detail.data);
//   document.documentElement.dataset.sseStatus  // connecting|live|reconnecting|offline|unauthorized
//
// Event ids are "<id> <topic>": the number is the stream cursor, the topic
// routes the event to the subscribers of that topic. A token stream's events
// come in batch rows: "<id>:<k> <topic>" is the k-th event of row <id>.
//
// Tabs share: one tab of the browser leads (it holds a Web Lock) and keeps
// the only EventSource, for the union of every tab's topics; it relays each
// event to the other tabs over a BroadcastChannel. When it closes or is
// frozen, the lock passes to another tab within moments, which resumes from
// the last event id it saw. Every tab drops ids it has already delivered,
// so nothing is lost or doubled. Tabs share only within one "scope" (the
// signed-in user, from the page): another user's tabs never get the events.
// Without Web Locks or BroadcastChannel, each tab has its own stream.
//
// Hostile networks: a stream that brings nothing within FIRST_BYTE_MS of
// opening (a proxy or antivirus that holds it until it ends) gives way to
// long-polling the same endpoint from the same cursor (?poll=1: each answer
// ends once it carries events), and streaming is tried again every
// STREAM_AGAIN_MS. A page restored from the back/forward cache, or shown
// again after HIDDEN_RECONNECT_MS hidden (iOS drops background streams
// without an error), reconnects from its cursor. After an error answer the
// client retries with backoff, for good, and says so in the console once.

import { readEvents } from "./sse-parse.js";

const config = document.querySelector("script[data-sse-url]")?.dataset ?? {};
const STREAM_URL = config.sseUrl || "/sse/stream/";
const RETRY_MS = Number(config.sseRetry) || 2000;
const MAX_DELAY_MS = 60000;
const ANY = "*";
const UNLOGGED = "~"; // the third part of an unlogged event's id
const SCOPE = config.sseScope || "";
const SHARED = Boolean(SCOPE && navigator.locks && window.BroadcastChannel);
const PEER_GRACE_MS = 1000; // a new leader forgets tabs that did not answer by then
const FIRST_BYTE_MS = 6000;
const STREAM_AGAIN_MS = 300000;
const HIDDEN_RECONNECT_MS = 30000;

// A position in the stream: "57", or "57:3" (the first 3 events of batch
// row 57, a token stream's), which comes after 56 and before 57.
const ID = /^(\d+)(?::(\d{1,3}))?$/;
const BATCH = 1000; // events in a batch row are fewer
export const numeric = (id) => {
  const match = ID.exec(id);
  if (!match) return 0;
  return match[2] ? Number(match[1]) - 1 + Number(match[2]) / BATCH : Number(match[1]);
};
export const cursorOf = (position) => {
  const whole = Math.floor(position);
  const part = Math.round((position - whole) * BATCH);
  return part ? `${whole + 1}:${part}` : String(whole);
};

class DjangoSSEClient extends EventTarget {
  constructor() {
    super();
    this.topics = new Set(); // this tab's topics
    this.types = new Set(["message", "reset", "sse-cursor"]);
    this.handlers = new Map(); // "topic\ntype" -> Set of handlers
    this.seen = -1; // the highest event id this tab has delivered or was rendered at (-1: none)
    this.cursor = ""; // the leader's: where its stream resumes
    this.source = null;
    this.status = "connecting";
    this.attempt = 0;
    this.timer = null;
    this.started = false;
    this.tab = crypto.randomUUID?.() ?? String(Math.random()).slice(2);
    this.leader = !SHARED; // alone, every tab leads itself
    this.replay = false; // the leader must reopen from an older cursor
    this.peers = new Map(); // other tabs -> their topics (every tab keeps it)
    this.onEvent = this.onEvent.bind(this);
    this.transport = "stream"; // or "poll"
    this.hiddenReconnectMs = HIDDEN_RECONNECT_MS;
    this.hiddenAt = 0;
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) this.reconnectNow(true); // from the back/forward cache
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "visible") {
        this.hiddenAt = Date.now();
        return;
      }
      const long = this.hiddenAt > 0 && Date.now() - this.hiddenAt >= this.hiddenReconnectMs;
      this.hiddenAt = 0;
      this.reconnectNow(long);
    });
  }

  get lastEventId() {
    return this.cursor;
  }

  // Call handler(data, event) for each `type` event of `topic` ("*": any topic).
  // Returns a function that unsubscribes.
  subscribe(topic, type, handler) {
    const key = `${topic}\n${type}`;
    if (!this.handlers.has(key)) this.handlers.set(key, new Set());
    this.handlers.get(key).add(handler);
    const newTopic = topic !== ANY && !this.topics.has(topic);
    if (newTopic) this.topics.add(topic);
    this.listen(type);
    if (newTopic) this.refresh();
    return () => this.unsubscribe(topic, type, handler);
  }

  // Be one of the viewers of `topic` (one with presence:
  // django_sse.hooks.register_presence) and call callback({topic, count,
  // users, joined, left}) whenever who views it changes. Returns a
  // function that stops both.
  presence(topic, callback) {
    const offs = [
      this.subscribe(topic, "sse-viewing", () => {}), // on the topic: a viewer
      this.subscribe(`presence:${topic}`, "presence", callback),
    ];
    return () => offs.forEach((off) => off());
  }

  // Remove a handler; a topic no handler wants any more leaves the stream.
  unsubscribe(topic, type, handler) {
    const key = `${topic}\n${type}`;
    const handlers = this.handlers.get(key);
    if (!handlers?.delete(handler)) return;
    if (!handlers.size) this.handlers.delete(key);
    if (topic === ANY || !this.topics.has(topic)) return;
    const prefix = `${topic}\n`;
    for (const other of this.handlers.keys()) if (other.startsWith(prefix)) return;
    this.topics.delete(topic);
    this.refresh();
  }

  // Start the stream right after event `id` (the log's position when the
  // page was rendered with server-side state, e.g. django_sse.eventlog.max_id()),
  // so nothing published between the render and the connect is missed.
  resumeFrom(id) {
    if (this.seen < 0 && /^\d+$/.test(String(id))) {
      this.seen = Number(id);
      if (!this.cursor) this.cursor = String(id);
    }
  }

  // Also dispatch `sse:<type>` DOM events for a type no handler subscribes to.
  listen(type) {
    if (this.types.has(type)) return;
    this.types.add(type);
    this.source?.addEventListener(type, this.onEvent);
    this.announce(); // the leader's stream must listen for it too
  }

  start() {
    if (this.started) return;
    this.started = true;
    if (!SHARED) {
      this.connect();
      return;
    }
    const name = `django-sse:${SCOPE}`;
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (message) => this.onMessage(message.data);
    window.addEventListener("pagehide", () => this.post({ kind: "bye" }));
    document.addEventListener("freeze", () => this.resign());
    document.addEventListener("resume", () => this.campaign());
    this.announce();
    this.campaign();
  }

  // Wait for the lock; hold it (lead) until the tab closes or freezes.
  campaign() {
    const name = `django-sse:${SCOPE}`;
    navigator.locks.request(name, () => {
      this.lead();
      return new Promise((release) => {
        this.release = release;
      });
    });
  }

  resign() {
    if (!this.leader) return;
    this.leader = false;
    this.stop();
    this.release?.();
    this.release = null;
  }

  lead() {
    this.leader = true;
    if (this.seen >= 0 && (!this.cursor || numeric(this.cursor) > this.seen)) {
      this.cursor = cursorOf(this.seen);
    }
    this.connect();
    // Tabs that are still open answer with their topics; the others are
    // forgotten after a grace period.
    const answered = new Set();
    this.answered = answered;
    this.post({ kind: "leader" });
    setTimeout(() => {
      if (this.answered !== answered) return;
      this.answered = null;
      let changed = false;
      for (const tab of [...this.peers.keys()]) {
        if (!answered.has(tab)) changed = this.peers.delete(tab) || changed;
      }
      if (changed) this.refresh();
    }, PEER_GRACE_MS);
  }

  post(message) {
    this.channel?.postMessage({ ...message, tab: this.tab });
  }

  // Tell every tab (and so the leader) what this tab wants.
  announce() {
    if (!this.channel) return;
    this.post({ kind: "topics", topics: [...this.topics], types: [...this.types], seen: this.seen });
  }

  onMessage(message) {
    switch (message.kind) {
      case "topics": {
        const had = this.streamTopics().join(",");
        this.peers.set(message.tab, { topics: message.topics, types: message.types });
        this.answered?.add(message.tab);
        if (!this.leader) break;
        for (const type of message.types) {
          if (!this.types.has(type)) {
            this.types.add(type);
            this.source?.addEventListener(type, this.onEvent);
          }
        }
        // A tab rendered before our stream's position: replay from there
        // (the other tabs drop what they have already delivered).
        const behind = message.seen >= 0 && this.cursor && message.seen < numeric(this.cursor);
        if (behind) {
          this.cursor = cursorOf(message.seen);
          this.replay = true;
        }
        if (behind || had !== this.streamTopics().join(",")) this.refresh();
        this.post({ kind: "status", status: this.status });
        break;
      }
      case "bye":
        this.peers.delete(message.tab);
        if (this.leader) this.refresh();
        break;
      case "leader":
        this.announce();
        break;
      case "status":
        if (!this.leader) this.setStatus(message.status);
        break;
      case "event":
        if (!this.leader) this.deliver(message.type, message.data, message.id);
        break;
    }
  }

  // The leader's stream carries every tab's topics.
  streamTopics() {
    const topics = new Set(this.topics);
    if (this.leader) for (const peer of this.peers.values()) peer.topics.forEach((t) => topics.add(t));
    return [...topics].sort();
  }

  // Topics changed: reopen the stream (once per task), resuming from the cursor.
  refresh() {
    if (!this.started) return;
    if (!this.leader) {
      this.announce();
      return;
    }
    if (this.refreshing) return;
    this.refreshing = true;
    setTimeout(() => {
      this.refreshing = false;
      if (!this.leader) return;
      const wanted = this.streamTopics().join(",");
      if (this.source && wanted === this.openTopics && !this.replay) return;
      this.replay = false;
      this.connect();
    });
  }

  url() {
    const url = new URL(STREAM_URL, window.location.href);
    url.searchParams.set("topics", this.streamTopics().join(","));
    if (this.cursor) url.searchParams.set("last_event_id", this.cursor);
    return url;
  }

  // Close the stream or poll, and cancel what was to come.
  stop() {
    clearTimeout(this.timer);
    clearTimeout(this.firstByte);
    this.source?.close();
    this.source = null;
    this.polling?.abort();
    this.polling = null;
  }

  connect() {
    this.stop();
    const topics = this.streamTopics();
    this.openTopics = topics.join(",");
    if (!this.leader || !topics.length) return;
    if (this.transport === "poll" && Date.now() < this.streamAgainAt) {
      this.poll();
      return;
    }
    this.transport = "stream";
    const source = new EventSource(this.url());
    this.source = source;
    this.heard = false;
    this.failed = false;
    for (const type of this.types) source.addEventListener(type, this.onEvent);
    source.onopen = () => {
      this.attempt = 0;
      this.setStatus("live");
    };
    source.onerror = () => {
      if (source !== this.source) return;
      this.failed = true;
      // CONNECTING: the browser retries by itself, with Last-Event-ID.
      // CLOSED: it gave up (an HTTP error, a proxy page); we take over.
      if (source.readyState === EventSource.CLOSED) this.recover(source);
      else this.setStatus(navigator.onLine ? "reconnecting" : "offline");
    };
    // Every stream opens with an event: silence without an error is a
    // network that holds the stream back.
    this.firstByte = setTimeout(() => {
      if (source === this.source && !this.heard && !this.failed) this.fallBack();
    }, FIRST_BYTE_MS);
  }

  fallBack() {
    console.warn(
      `django-sse: the stream brought nothing in ${FIRST_BYTE_MS / 1000} s (a proxy that ` +
        "holds it back?); long-polling instead",
    );
    this.transport = "poll";
    this.streamAgainAt = Date.now() + STREAM_AGAIN_MS;
    this.connect();
  }

  // One long poll: the events after the cursor, once there are some (the
  // answer ends then), then the next poll; a stream again when it is time.
  async poll() {
    const abort = new AbortController();
    this.polling = abort;
    const url = this.url();
    url.searchParams.set("poll", "1");
    let status = 0;
    // Live while a poll waits: behind such a proxy even its headers come
    // only with its events. A failure says otherwise (``retry``).
    this.setStatus("live");
    try {
      const response = await fetch(url, {
        headers: { Accept: "text/event-stream" },
        credentials: "same-origin",
        signal: abort.signal,
      });
      status = response.status;
      if (response.ok) {
        this.attempt = 0;
        await readEvents(response.body, (event) => {
          if (this.polling === abort && event.type) this.relay(event.type, event.data, event.id);
        });
      }
    } catch {
      if (abort.signal.aborted) return;
      status = 0; // network down, or the answer was cut
    }
    if (this.polling !== abort) return; // stopped: topics changed, or another tab leads
    this.polling = null;
    if (status === 200) this.connect();
    else this.retry(status);
  }

  async recover(source) {
    source.close();
    this.source = null;
    let status = 0;
    const abort = new AbortController();
    try {
      const response = await fetch(this.url(), {
        headers: { Accept: "text/event-stream" },
        credentials: "same-origin",
        signal: abort.signal,
      });
      status = response.status;
      if (status === 501 && !this.explained) {
        // Served over WSGI: say why once, not a bare 501 on every retry.
        this.explained = true;
        const body = await response.json().catch(() => ({}));
        console.error(`django-sse: ${body.error ?? "the stream endpoint answered 501"}`);
      }
    } catch {
      status = status || 0; // network down
    }
    abort.abort();
    this.retry(status);
  }

  // After an error answer (or none): try again later, for good.
  retry(status) {
    if (status && !this.warned && status !== 501) {
      this.warned = true;
      console.warn(`django-sse: the stream endpoint answered ${status}; retrying with backoff`);
    }
    const unauthorized = status === 401 || status === 403;
    this.setStatus(unauthorized ? "unauthorized" : navigator.onLine ? "reconnecting" : "offline");
    const base = unauthorized ? MAX_DELAY_MS : Math.min(MAX_DELAY_MS, RETRY_MS * 2 ** this.attempt);
    this.attempt += 1;
    const delay = base * (0.5 + Math.random() / 2); // jitter: no thundering herd
    this.timer = setTimeout(() => this.connect(), delay);
  }

  // Reconnect at once from the cursor (``force``: even a stream that looks
  // live, which a browser may have dropped without a word).
  reconnectNow(force = false) {
    if (!this.started || !this.leader || (this.status === "live" && !force)) return;
    this.attempt = 0;
    this.connect();
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    document.documentElement.dataset.sseStatus = status;
    this.dispatchEvent(new CustomEvent("status", { detail: { status } }));
    document.dispatchEvent(new CustomEvent("sse:status", { detail: { status } }));
    if (this.leader) this.post({ kind: "status", status });
  }

  // From the leader's EventSource: relay to the other tabs, then deliver here.
  onEvent(event) {
    if (event.target !== this.source) return;
    this.heard = true;
    this.relay(event.type, event.data, event.lastEventId);
  }

  // An event of the leader's stream or poll: to the other tabs, then here.
  relay(type, data, lastEventId) {
    const id = lastEventId.split(" ")[0];
    if (id) this.cursor = id;
    this.post({ kind: "event", type, data, id: lastEventId });
    this.deliver(type, data, lastEventId);
  }

  deliver(type, raw, lastEventId) {
    const [id, topic = ANY, mark] = lastEventId.split(" ");
    const number = numeric(id);
    if (type === "sse-cursor") {
      this.seen = Math.max(this.seen, number);
      if (!this.leader && number) this.cursor = id;
      return;
    }
    if (mark === UNLOGGED) {
      // A topic with retention "none": its id is the server's cursor,
      // which the events that follow it may repeat. Never replayed.
      if (!this.leader && number) this.cursor = id;
    } else if (number) {
      if (number <= this.seen) return; // delivered already (a replay after a failover)
      this.seen = number;
      if (!this.leader) this.cursor = id;
    }
    if (type !== "reset" && topic !== ANY && !this.topics.has(topic)) return; // another tab's
    let data = raw;
    try {
      data = JSON.parse(raw);
    } catch {
      // not JSON: handlers get the text
    }
    const detail = { topic, id, type, data, raw };
    const topics = type === "reset" ? [...this.topics, ANY] : [topic, ANY];
    for (const t of topics) {
      for (const handler of this.handlers.get(`${t}\n${type}`) ?? []) {
        try {
          handler(data, detail);
        } catch (error) {
          console.error("django-sse handler failed", error);
        }
      }
    }
    document.dispatchEvent(new CustomEvent(`sse:${type}`, { detail }));
  }
}

// Read an event stream with fetch(), for POST endpoints (EventSource only
// does GET), e.g. stream_response() views. Calls onEvent({type, data, id})
// for each event; resolves when the stream ends. Parses as WHATWG says.
// A same-origin request that changes state carries Django's CSRF token,
// read as Django's docs say: from its cookie, else from a {% csrf_token %}
// field of the page (CSRF_USE_SESSIONS, CSRF_COOKIE_HTTPONLY).
export async function fetchEvents(url, init = {}, onEvent = () => {}) {
  const headers = { Accept: "text/event-stream", ...csrfHeader(url, init), ...(init.headers ?? {}) };
  const response = await fetch(url, { credentials: "same-origin", ...init, headers });
  if (!response.ok) throw new Error(`django-sse: HTTP ${response.status} from ${url}`);
  await readEvents(response.body, (event) => {
    if (event.type) onEvent({ type: event.type, data: event.data, id: event.id });
  });
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

function csrfHeader(url, init) {
  const method = (init.method ?? "GET").toUpperCase();
  if (SAFE_METHODS.has(method)) return {};
  if (new URL(url, location.href).origin !== location.origin) return {};
  const name = config.sseCsrfCookie || "csrftoken";
  const cookie = document.cookie.split("; ").find((c) => c.startsWith(`${name}=`));
  const token = cookie
    ? decodeURIComponent(cookie.slice(name.length + 1))
    : document.querySelector("input[name=csrfmiddlewaretoken]")?.value;
  return token ? { [config.sseCsrfHeader || "X-CSRFToken"]: token } : {};
}

// Links from the server only when they cannot run code: a local path or
// http(s), read as the browser reads it (controls and spaces trimmed, tabs
// and newlines dropped, a backslash is a slash: "/\\evil" is "//evil").
// The same rule as django_sse.widgets.safe_link.
const SAFE_LINK = /^(\/(?!\/)|https?:\/\/)/i;
export function safeLink(url) {
  if (typeof url !== "string") return "";
  url = url.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "").replace(/[\t\n\r]/g, "");
  url = url.replaceAll("\\", "/");
  return SAFE_LINK.test(url) ? url : "";
}

// The page may hold the client already (the module loaded under another
// URL), or the queue of calls that plain scripts made before it loaded
// (django-sse-queue.js): those are made now, in order.
const early = window.DjangoSSE;
const client = early?.queued ? new DjangoSSEClient() : (early ?? new DjangoSSEClient());
client.fetchEvents = fetchEvents;
window.DjangoSSE = client;
for (const call of early?.queued ?? []) {
  if (call.name === "subscribe" && !call.cancelled) call.off = client.subscribe(...call.args);
  else if (call.name === "unsubscribe") client.unsubscribe(...call.args);
  else if (call.name === "presence" && !call.cancelled) call.off = client.presence(...call.args);
  else if (call.name === "fetchEvents") fetchEvents(...call.args).then(call.resolve, call.reject);
}
if (document.readyState === "loading") {
  // Widget modules run before DOMContentLoaded and subscribe first: then
  // the page opens exactly one stream carrying all their topics.
  document.addEventListener("DOMContentLoaded", () => client.start(), { once: true });
} else {
  setTimeout(() => client.start());
}
export default client;
