import assert from "node:assert/strict";
import { test } from "node:test";

import { JSDOM } from "jsdom";

import { createClient } from "../index.js";
import { JOB_ID, STREAM, USER_ID, post, publish, sessionFetch, until } from "../testing/server.js";

const dom = new JSDOM("<!doctype html><div id=root></div>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
if (!globalThis.navigator) globalThis.navigator = dom.window.navigator;
globalThis.IS_REACT_ACT_ENVIRONMENT = false; // the updates come from a real server

const { createElement: h } = await import("react");
const { createRoot } = await import("react-dom/client");
const { SSEProvider, useConnectionStatus, useNotifications, useProgress, useTopic } = await import(
  "../react.js"
);

function render(client, Component) {
  const container = document.createElement("div");
  document.body.append(container);
  const root = createRoot(container);
  root.render(h(SSEProvider, { client }, h(Component)));
  return { container, unmount: () => root.unmount() };
}

const seen = new Set();

function App() {
  const status = useConnectionStatus();
  seen.add(status);
  const order = useTopic("react-orders", "created");
  const job = useProgress(JOB_ID);
  const { items, unreadCount } = useNotifications({ topic: `user:${USER_ID}` });
  return h(
    "p",
    null,
    `${order?.n ?? "-"}|${job ? `${job.status}:${job.percent ?? "-"}` : "-"}|${unreadCount}|`,
    items.map((item) => item.title).join(","),
  );
}

test("the hooks render live state from a real server", async (t) => {
  const client = createClient({ url: STREAM, fetch: sessionFetch, retryMs: 50 });
  const { container, unmount } = render(client, App);
  t.after(() => {
    unmount();
    client.close();
  });
  const text = () => container.textContent;
  // The state from the JSON endpoints first: a pending job, two notifications.
  await until(() => text() === "-|pending:-|2|second,first", 10000, text);
  await until(() => seen.has("live"), 10000, () => [...seen].join());
  await publish("react-orders", { n: 42 }, "created");
  await publish(`progress:${JOB_ID}`, { id: JOB_ID, status: "running", percent: 60 }, "progress");
  await post("/test-notify/", { user: Number(USER_ID), title: "third" });
  await until(() => text() === "42|running:60|3|third,second,first", 10000, text);
  assert.ok(seen.has("connecting"), [...seen].join());
});

test("useSSEClient outside a provider says what is missing", async () => {
  const { useSSEClient } = await import("../react.js");
  function Lonely() {
    useSSEClient();
    return null;
  }
  const container = document.createElement("div");
  const root = createRoot(container);
  const errors = [];
  const original = console.error;
  console.error = (...args) => errors.push(args.join(" "));
  try {
    root.render(h(Lonely));
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    console.error = original;
    root.unmount();
  }
  assert.ok(errors.some((e) => e.includes("wrap the app in <SSEProvider")), errors.join("\n"));
});
