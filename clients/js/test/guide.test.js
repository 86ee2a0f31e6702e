// The SPA guide's React and Node blocks (docs/guides/spa.md), run as the
// page shows them against the real server: the JSX compiled by TypeScript,
// the guide's host names pointed at the test server, a fetch that carries
// the session cookie as a browser's would.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { JSDOM } from "jsdom";
import ts from "typescript";

import { fetchToken } from "../index.js";
import { CSRF, SERVER, fetchAs, post, publish, until } from "../testing/server.js";

// A user and a job of the guide's own (the other tests count theirs).
const USER_ID = process.env.SSE_TEST_GUIDE_USER_ID;
const JOB_ID = process.env.SSE_TEST_GUIDE_JOB_ID;
const sessionFetch = fetchAs(process.env.SSE_TEST_GUIDE_SESSION);

const HERE = dirname(fileURLToPath(import.meta.url));
const GUIDE = readFileSync(join(HERE, "..", "..", "..", "docs", "guides", "spa.md"), "utf8");
// Inside the package, so that "django-sse-hub" resolves to it (self-reference).
const OUT = join(HERE, "..", ".guide");

function block(language, containing) {
  const blocks = [...GUIDE.matchAll(/```(\w+)\n([\s\S]*?)```/g)].filter(
    ([, lang, code]) => lang === language && code.includes(containing),
  );
  assert.equal(blocks.length, 1, `one ${language} block with ${containing}`);
  return blocks[0][2];
}

function writeModule(name, source) {
  mkdirSync(OUT, { recursive: true });
  const path = join(OUT, name);
  writeFileSync(path, source);
  return path;
}

test("the guide's React block renders live state from a real server", async (t) => {
  const jsx = block("jsx", "SSEProvider");
  const { outputText } = ts.transpileModule(jsx, {
    compilerOptions: { jsx: ts.JsxEmit.ReactJSX, module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const path = writeModule("react-block.js", outputText);
  t.after(() => rmSync(OUT, { recursive: true, force: true }));

  // A browser's page: a document, and fetch() that resolves "/sse/..." on
  // the page's origin with the page's cookies.
  const dom = new JSDOM("<!doctype html><div id=root></div>", { url: SERVER });
  globalThis.window = dom.window;
  globalThis.document = dom.window.document;
  if (!globalThis.navigator) globalThis.navigator = dom.window.navigator;
  globalThis.IS_REACT_ACT_ENVIRONMENT = false;
  globalThis.location = dom.window.location;
  const nodeFetch = globalThis.fetch;
  globalThis.fetch = (url, init) => sessionFetch(new URL(url, SERVER), init);
  t.after(() => {
    globalThis.fetch = nodeFetch;
    delete globalThis.location;
  });

  const { App } = await import(path);
  const { createElement: h } = await import("react");
  const { createRoot } = await import("react-dom/client");
  const root = createRoot(document.getElementById("root"));
  root.render(h(App, { me: { id: USER_ID }, jobId: JOB_ID }));
  t.after(() => root.unmount());
  const text = () => document.getElementById("root").textContent;
  const bar = () => document.querySelector("progress")?.getAttribute("value");

  await until(() => text().startsWith("live"), 10000, text);
  await publish("orders", { id: 42 }, "order-created");
  await post("/test-notify/", { user: USER_ID, title: "from the guide" });
  await publish(`progress:${JOB_ID}`, { id: JOB_ID, status: "running", percent: 60 }, "progress");
  await until(() => text() === "live · 42 · 1 unread · from the guide", 10000, text);
  await until(() => bar() === "60", 10000, bar);
});

test("the guide's Node block logs the orders it is sent", async (t) => {
  const source = block("js", "process.env.SSE_TOKEN").replaceAll("https://api.example.com", SERVER);
  const path = writeModule("node-block.js", source);
  t.after(() => rmSync(OUT, { recursive: true, force: true }));
  const token = await fetchToken(`${SERVER}/sse/token/`, ["orders"], {
    csrfToken: CSRF,
    fetch: sessionFetch,
  });
  const child = spawn(process.execPath, [path], { env: { ...process.env, SSE_TOKEN: token } });
  t.after(() => child.kill());
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  // Published until the block's stream, opening meanwhile, has one.
  const deadline = Date.now() + 10000;
  while (!output.includes("id: 7") && Date.now() < deadline) {
    await publish("orders", { id: 7 }, "order-created");
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  assert.match(output, /\{ id: 7 \}/);
});
