// {% sse_text topic %}: appends each "token" event's text as it arrives
// (textContent: tokens are text, never HTML); "done" marks the end.
import sse from "./django-sse.js";

for (const el of document.querySelectorAll('[data-sse-widget="text"]')) {
  if (el.sseWidget) continue;
  el.sseWidget = true;
  const topic = el.dataset.sseTopic;
  sse.subscribe(topic, el.dataset.sseEvent || "token", (token) => {
    el.append(typeof token === "string" ? token : JSON.stringify(token));
    el.dataset.state = "streaming";
  });
  sse.subscribe(topic, el.dataset.sseDone || "done", () => (el.dataset.state = "done"));
}
