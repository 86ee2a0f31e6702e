// Reading an event stream from a fetch() body, as WHATWG's EventSource
// parses it. Shared by django-sse.js and the npm client (django-sse-hub),
// which copies this file when it is built.

// Calls onEvent({type, data, id, retry}) for each event (retry: the
// server's reconnect hint in ms, or undefined); resolves when the body ends.
export async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let data = [];
  let type = "";
  let id = "";
  let retry;
  const processLine = (line) => {
    if (line === "") {
      if (data.length) onEvent({ type: type || "message", data: data.join("\n"), id, retry });
      data = [];
      type = "";
      retry = undefined;
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
    else if (field === "retry" && /^\d+$/.test(value)) {
      retry = Number(value);
      if (!data.length) onEvent({ type: "", data: "", id, retry });
    }
  };
  try {
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
  } finally {
    reader.releaseLock();
  }
}
