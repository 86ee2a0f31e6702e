// django-sse.js: one EventSource per page, shared by every widget and by
// page code. No build step, no dependencies.
//
//   const off = DjangoSSE.subscribe("orders", "order-created", (data, event) => ...);
//   document.addEventListener("sse:order-created", (e) => e.detail.data);
//   document.documentElement.dataset.sseStatus  // connecting|live|reconnecting|offline|unauthorized
//
// Event ids are "<id> <topic>": the number is the stream cursor, the topic
// routes the event to the subscribers of that topic.

const config = document.querySelector("script[data-sse-url]")?.dataset ?? {};
const STREAM_URL = config.sseUrl || "/sse/stream/";
const RETRY_MS = Number(config.sseRetry) || 2000;
const MAX_DELAY_MS = 60000;
const ANY = "*";

class DjangoSSEClient extends EventTarget {
  constructor() {
    super();
    this.topics = new Set();
    this.types = new Set(["message", "reset", "sse-cursor"]);
    this.handlers = new Map(); // "topic\ntype" -> Set of handlers
    this.lastEventId = "";
    this.source = null;
    this.status = "connecting";
    this.attempt = 0;
    this.timer = null;
    this.started = false;
    this.onEvent = this.onEvent.bind(this);
    window.addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.reconnectNow();
    });
  }

  // Call handler(data, event) for each `type` event of `topic` ("*": any topic).
  // Returns a function that unsubscribes.
  subscribe(topic, type, handler) {
    const key = `${topic}\n${type}`;
    if (!this.handlers.has(key)) this.handlers.set(key, new Set());
    this.handlers.get(key).add(handler);
    const newTopic = topic !== ANY && !this.topics.has(topic);
    if (newTopic) this.topics.add(topic);
    if (!this.types.has(type)) {
      this.types.add(type);
      this.source?.addEventListener(type, this.onEvent);
    }
    if (newTopic) this.refresh();
    return () => this.unsubscribe(topic, type, handler);
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
    if (this.topics.size) this.refresh();
    else this.connect(); // no topic left: closes the stream
  }

  // Start the stream right after event `id` (the log's position when the
  // page was rendered with server-side state, e.g. django_sse.eventlog.max_id()),
  // so nothing published between the render and the connect is missed.
  resumeFrom(id) {
    if (!this.lastEventId && /^\d+$/.test(String(id))) this.lastEventId = String(id);
  }

  // Also dispatch `sse:<type>` DOM events for a type no handler subscribes to.
  listen(type) {
    if (!this.types.has(type)) {
      this.types.add(type);
      this.source?.addEventListener(type, this.onEvent);
    }
  }

  start() {
    if (this.started) return;
    this.started = true;
    this.connect();
  }

  // Topics changed: reopen the stream (once per task), resuming from the cursor.
  refresh() {
    if (!this.started || this.refreshing) return;
    this.refreshing = true;
    setTimeout(() => {
      this.refreshing = false;
      this.connect();
    });
  }

  url() {
    const url = new URL(STREAM_URL, window.location.href);
    url.searchParams.set("topics", [...this.topics].join(","));
    if (this.lastEventId) url.searchParams.set("last_event_id", this.lastEventId);
    return url;
  }

  connect() {
    clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
    if (!this.topics.size) return;
    const source = new EventSource(this.url());
    this.source = source;
    for (const type of this.types) source.addEventListener(type, this.onEvent);
    source.onopen = () => {
      this.attempt = 0;
      this.setStatus("live");
    };
    source.onerror = () => {
      if (source !== this.source) return;
      // CONNECTING: the browser retries by itself, with Last-Event-ID.
      // CLOSED: it gave up (an HTTP error, a proxy page); we take over.
      if (source.readyState === EventSource.CLOSED) this.recover(source);
      else this.setStatus(navigator.onLine ? "reconnecting" : "offline");
    };
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
    const unauthorized = status === 401 || status === 403;
    this.setStatus(unauthorized ? "unauthorized" : navigator.onLine ? "reconnecting" : "offline");
    const base = unauthorized ? MAX_DELAY_MS : Math.min(MAX_DELAY_MS, RETRY_MS * 2 ** this.attempt);
    this.attempt += 1;
    const delay = base * (0.5 + Math.random() / 2); // jitter: no thundering herd
    this.timer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (!this.started || this.status === "live") return;
    this.attempt = 0;
    this.connect();
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    document.documentElement.dataset.sseStatus = status;
    this.dispatchEvent(new CustomEvent("status", { detail: { status } }));
    document.dispatchEvent(new CustomEvent("sse:status", { detail: { status } }));
  }

  onEvent(event) {
    if (event.target !== this.source) return;
    const [id, topic = ANY] = event.lastEventId.split(" ");
    if (event.lastEventId) this.lastEventId = id;
    if (event.type === "sse-cursor") return;
    let data = event.data;
    try {
      data = JSON.parse(event.data);
    } catch {
      // not JSON: handlers get the text
    }
    const detail = { topic, id, type: event.type, data, raw: event.data };
    const topics = event.type === "reset" ? [...this.topics, ANY] : [topic, ANY];
    for (const t of topics) {
      for (const handler of this.handlers.get(`${t}\n${event.type}`) ?? []) {
        try {
          handler(data, detail);
        } catch (error) {
          console.error("django-sse handler failed", error);
        }
      }
    }
    document.dispatchEvent(new CustomEvent(`sse:${event.type}`, { detail }));
  }
}

// Read an event stream with fetch(), for POST endpoints (EventSource only
// does GET), e.g. stream_response() views. Calls onEvent({type, data, id})
// for each event; resolves when the stream ends. Parses as WHATWG says.
export async function fetchEvents(url, init = {}, onEvent = () => {}) {
  const headers = { Accept: "text/event-stream", ...(init.headers ?? {}) };
  const response = await fetch(url, { credentials: "same-origin", ...init, headers });
  if (!response.ok) throw new Error(`django-sse: HTTP ${response.status} from ${url}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let data = [];
  let type = "";
  let id = "";
  const processLine = (line) => {
    if (line === "") {
      if (data.length) onEvent({ type: type || "message", data: data.join("\n"), id });
      data = [];
      type = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") type = value;
    else if (field === "id" && !value.includes("\0")) id = value;
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    // Hold back a trailing CR: the LF that may start the next chunk is part of it.
    const held = buffer.endsWith("\r") ? "\r" : "";
    const lines = (held ? buffer.slice(0, -1) : buffer).split(/\r\n|\r|\n/);
    buffer = lines.pop() + held;
    for (const line of lines) processLine(line);
  }
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

const client = window.DjangoSSE ?? new DjangoSSEClient();
client.fetchEvents = fetchEvents;
window.DjangoSSE = client;
if (document.readyState === "loading") {
  // Widget modules run before DOMContentLoaded and subscribe first: then
  // the page opens exactly one stream carrying all their topics.
  document.addEventListener("DOMContentLoaded", () => client.start(), { once: true });
} else {
  setTimeout(() => client.start());
}
export default client;
