import assert from "node:assert/strict";
import { test } from "node:test";

import { readEvents } from "../parse.js";

function body(...chunks) {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function events(...chunks) {
  const got = [];
  await readEvents(body(...chunks), (event) => got.push(event));
  return got;
}

test("fields, multi-line data, comments and CRLF split across chunks", async () => {
  const got = await events(
    "retry: 2000\n\n: heartbeat\n\nid: 7 orders\nevent: cre",
    "ated\ndata: {\"a\":\ndata: 1}\r",
    "\n\r\ndata: plain\n\n",
  );
  assert.deepEqual(got, [
    { type: "", data: "", id: "", retry: 2000 },
    { type: "created", data: '{"a":\n1}', id: "7 orders", retry: undefined },
    { type: "message", data: "plain", id: "7 orders", retry: undefined },
  ]);
});

test("an id with NUL is ignored, a field without a colon is empty", async () => {
  const got = await events("id: 1\0x\ndata\n\n");
  assert.deepEqual(got, [{ type: "message", data: "", id: "", retry: undefined }]);
});
