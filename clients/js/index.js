// django-sse-hub: a client for django-sse streams in single-page apps and
// Node. One stream carries every topic the app subscribes to; events are
// routed by their id, "<id> <topic>"; a dropped stream reconnects with
// exponential backoff and jitter and resumes after the last id; a token
// callback covers cross-origin front ends that cannot send the session.
//
//   import { createClient } from "django-sse-hub";
//   const sse = createClient({ url: "https://api.example.com/sse/stream/" });
//   const off = sse.subscribe("orders", "order-created", (data, event) => ...);

import { readEvents } from "./parse.js";

export const ANY = "*";
const UNAUTHORIZED = new Set([401, 403]);

export class SSEClient {
  constructor(options = {}) {
    const base = globalThis.location?.href;
    this.url = new URL(options.url ?? "/sse/stream/", base);
    this.getToken = options.getToken ?? null;
    this.credentials = options.credentials ?? (options.getToken ? "omit" : "include");
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.retryMs = options.retryMs ?? 2000;
    this.maxDelayMs = options.maxDelayMs ?? 60000;
    this.random = options.random ?? Math.random;
    this.cursor = options.lastEventId ? String(options.lastEventId) : "";
    this.topics = new Set();
    this.handlers = new Map(); // "topic\ntype" -> Set of handlers
    this.statusListeners = new Set();
    this.status = "idle"; // idle|connecting|live|reconnecting|unauthorized|closed
    this.attempt = 0;
    this.generation = 0;
    this.controller = null;
    this.timer = null;
    this.pending = false;
  }

  // The root of django-sse's URLs ("/sse/"), for its JSON endpoints.
  get root() {
    return new URL("../", this.url);
  }

  // Call handler(data, event) for each `type` event of `topic` ("*": any).
  // Returns a function that unsubscribes.
  subscribe(topic, type, handler) {
    const key = `${topic}\n${type}`;
    if (!this.handlers.has(key)) this.handlers.set(key, new Set());
    this.handlers.get(key).add(handler);
    if (topic !== ANY && !this.topics.has(topic)) {
      this.topics.add(topic);
      this.refresh();
    }
    return () => this.unsubscribe(topic, type, handler);
  }

  unsubscribe(topic, type, handler) {
    const key = `${topic}\n${type}`;
    const handlers = this.handlers.get(key);
    if (!handlers?.delete(handler)) return;
    if (!handlers.size) this.handlers.delete(key);
    if (topic === ANY) return;
    const prefix = `${topic}\n`;
    for (const other of this.handlers.keys()) if (other.startsWith(prefix)) return;
    this.topics.delete(topic);
    this.refresh();
  }

  // listener(status) on every change; returns a function that removes it.
  onStatus(listener) {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  // Topics changed: reopen the stream once, after the current task.
  refresh() {
    if (this.pending || this.status === "closed") return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      this.connect();
    });
  }

  close() {
    this.generation += 1;
    clearTimeout(this.timer);
    this.controller?.abort();
    this.setStatus("closed");
  }

  async connect() {
    const generation = ++this.generation;
    clearTimeout(this.timer);
    this.controller?.abort();
    this.controller = null;
    if (!this.topics.size) {
      this.setStatus("idle");
      return;
    }
    if (this.status !== "live") this.setStatus(this.attempt ? "reconnecting" : "connecting");
    const controller = new AbortController();
    this.controller = controller;
    const topics = [...this.topics].sort();
    let status = 0;
    try {
      const url = new URL(this.url);
      url.searchParams.set("topics", topics.join(","));
      if (this.cursor) url.searchParams.set("last_event_id", this.cursor);
      if (this.getToken) url.searchParams.set("token", await this.getToken(topics));
      if (generation !== this.generation) return;
      const response = await this.fetch(url, {
        headers: { Accept: "text/event-stream" },
        credentials: this.credentials,
        signal: controller.signal,
      });
      status = response.status;
      if (response.ok) {
        this.attempt = 0;
        this.setStatus("live");
        await readEvents(response.body, (event) => this.dispatch(event));
      } else {
        await response.body?.cancel();
      }
    } catch (error) {
      if (controller.signal.aborted || generation !== this.generation) return;
      if (!(error instanceof TypeError)) this.report(error);
    }
    if (generation !== this.generation) return;
    // The stream ended (a lifetime limit, a restart, the network): again.
    const unauthorized = UNAUTHORIZED.has(status);
    this.setStatus(unauthorized ? "unauthorized" : "reconnecting");
    const base = unauthorized
      ? this.maxDelayMs
      : Math.min(this.maxDelayMs, this.retryMs * 2 ** this.attempt);
    this.attempt += 1;
    this.timer = setTimeout(() => this.connect(), base * (0.5 + this.random() / 2));
  }

  dispatch(event) {
    if (event.retry !== undefined) this.retryMs = event.retry;
    if (!event.type) return; // a retry hint alone
    const [id, topic = ANY] = event.id.split(" ");
    if (/^\d+(:\d{1,3})?$/.test(id)) this.cursor = id; // "57:3": within a batch row
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
          this.report(error);
        }
      }
    }
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }

  report(error) {
    console.error("django-sse-hub:", error);
  }
}

export function createClient(options) {
  return new SSEClient(options);
}

// POST /sse/token/ for `topics`: a short-lived token for a stream, for a
// front end on another origin (it sends the session cookie and the CSRF
// token; the answer's token then goes on the stream URL).
export async function fetchToken(tokenUrl, topics, options = {}) {
  const fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (options.csrfToken) headers["X-CSRFToken"] = options.csrfToken;
  const response = await fetcher(tokenUrl, {
    method: "POST",
    headers,
    credentials: options.credentials ?? "include",
    body: JSON.stringify({ topics }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(`django-sse-hub: token refused (${response.status}): ${body.error ?? ""}`);
  }
  return body.token;
}
