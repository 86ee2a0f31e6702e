import assert from "node:assert/strict";
import { test } from "node:test";

import { createClient, fetchToken } from "../index.js";
import { CSRF, SERVER, STREAM, USER_ID, publish, sessionFetch, until } from "../testing/server.js";

test("one stream routes events by topic and resumes after the last id", async (t) => {
  const client = createClient({ url: STREAM, retryMs: 50 });
  t.after(() => client.close());
  const got = { a: [], b: [] };
  client.subscribe("node-a", "item", (data) => got.a.push(data));
  client.subscribe("node-b", "item", (data, event) => got.b.push([data, event.topic]));
  await until(() => client.status === "live");
  await publish("node-a", 1, "item");
  await publish("node-b", "two", "item");
  await until(() => got.a.length === 1 && got.b.length === 1);
  assert.deepEqual(got, { a: [1], b: [["two", "node-b"]] });
  const cursor = client.cursor;
  assert.match(cursor, /^\d+$/);

  // The server ends every stream after 2 s (DJANGO_SSE_MAX_DURATION); the
  // client waits the server's retry hint (2 s, with jitter) before it
  // reconnects: what is published meanwhile arrives on resume, once.
  await until(() => client.status === "reconnecting", 5000);
  await publish("node-a", 2, "item");
  await until(() => got.a.length === 2);
  await publish("node-a", 3, "item");
  await until(() => got.a.length === 3);
  assert.deepEqual(got.a, [1, 2, 3]);
  assert.ok(Number(client.cursor) > Number(cursor));
});

test("a private topic needs the session or a token", async (t) => {
  const anonymous = createClient({ url: STREAM, retryMs: 50, maxDelayMs: 100 });
  t.after(() => anonymous.close());
  anonymous.subscribe(`user:${USER_ID}`, "item", () => {});
  await until(() => anonymous.status === "unauthorized");

  const getToken = (topics) =>
    fetchToken(`${SERVER}/sse/token/`, topics, { csrfToken: CSRF, fetch: sessionFetch });
  const client = createClient({ url: STREAM, getToken, retryMs: 50 });
  t.after(() => client.close());
  const got = [];
  client.subscribe(`user:${USER_ID}`, "item", (data) => got.push(data));
  await until(() => client.status === "live");
  await publish(`user:${USER_ID}`, "secret", "item");
  await until(() => got.length === 1);
  assert.deepEqual(got, ["secret"]);
});

test("a refused token says why", async () => {
  await assert.rejects(
    fetchToken(`${SERVER}/sse/token/`, ["user:0"], { csrfToken: CSRF, fetch: sessionFetch }),
    /token refused \(403\)/,
  );
});
