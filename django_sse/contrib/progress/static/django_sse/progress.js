// The progress bar of {% sse_progress %}: percent, stage, message, elapsed
// time, time left, then success (with a link) or failure. Text from the
// server goes in with textContent.
import sse, { safeLink } from "./django-sse.js";

// English words; the bar's data-i18n holds them in the page's language
// (the same as the server-rendered bar's, from TaskProgress.Status).
const LABELS = {
  pending: "Waiting",
  running: "Running",
  succeeded: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
  lost: "Lost",
  cancelling: "Cancelling",
  result: "Open the result",
  elapsed: "Elapsed {time}",
  left: "About {time} left",
};
const FINAL = ["succeeded", "failed", "cancelled", "lost"];

function duration(seconds) {
  seconds = Math.max(0, Math.round(seconds));
  const m = Math.floor(seconds / 60);
  return m ? `${m}m ${String(seconds % 60).padStart(2, "0")}s` : `${seconds}s`;
}

export class ProgressBar {
  constructor(root) {
    this.root = root;
    this.words = { ...LABELS, ...JSON.parse(root.dataset.i18n || "{}") };
    this.q = (name) => root.querySelector(`.sse-progress__${name}`);
    this.elapsedAt = { value: Number(root.dataset.elapsed) || 0, at: performance.now() };
    this.percent = this.q("bar").hasAttribute("value") ? Number(this.q("bar").value) : null;
    const topic = root.dataset.sseTopic;
    // A job that has ended changes no more: its bar needs no topic.
    if (!FINAL.includes(root.dataset.status)) {
      for (const type of ["progress", "complete", "failed", "cancelled", "lost"]) {
        sse.subscribe(topic, type, (state) => this.show(state));
      }
    }
    this.q("cancel").addEventListener("click", () => this.cancel());
    this.timer = setInterval(() => this.tick(), 1000);
    this.tick();
  }

  show(state) {
    const root = this.root;
    root.dataset.status = state.status;
    this.q("state").textContent = state.cancel_requested && state.status === "running" ? this.words.cancelling : (this.words[state.status] ?? state.status);
    const bar = this.q("bar");
    this.percent = state.percent;
    if (state.percent === null || state.percent === undefined) bar.removeAttribute("value");
    else bar.value = state.percent;
    bar.setAttribute("aria-valuetext", `${Math.round(state.percent ?? 0)}%`);
    this.q("percent").textContent = state.percent === null ? "" : `${Math.round(state.percent)}%`;
    this.q("stage").textContent = state.stage ?? "";
    this.q("message").textContent = state.message ?? "";
    this.elapsedAt = { value: state.elapsed ?? 0, at: performance.now() };
    const error = this.q("error");
    error.hidden = !state.error;
    error.textContent = state.error ?? "";
    const link = this.q("result");
    const url = safeLink(state.result?.url);
    if (state.status === "succeeded" && url) {
      link.href = url;
      link.textContent = state.result.link_text || this.words.result;
      link.hidden = false;
    }
    const finished = FINAL.includes(state.status);
    this.q("cancel").hidden = finished || state.cancel_requested;
    if (finished) clearInterval(this.timer);
    this.tick();
    root.dispatchEvent(new CustomEvent("sse:progress", { bubbles: true, detail: state }));
  }

  tick() {
    const running = this.root.dataset.status === "running";
    const elapsed = this.elapsedAt.value + (running ? (performance.now() - this.elapsedAt.at) / 1000 : 0);
    this.q("elapsed").textContent = elapsed ? this.words.elapsed.replace("{time}", duration(elapsed)) : "";
    const p = this.percent;
    const left = running && p > 0 && p < 100 ? duration((elapsed * (100 - p)) / p) : null;
    this.q("eta").textContent = left ? this.words.left.replace("{time}", left) : "";
  }

  async cancel() {
    this.q("cancel").disabled = true;
    const response = await fetch(this.root.dataset.cancelUrl, {
      method: "POST",
      headers: { "X-CSRFToken": this.root.dataset.csrf },
      credentials: "same-origin",
    });
    if (!response.ok) this.q("cancel").disabled = false;
  }
}

for (const root of document.querySelectorAll('[data-sse-widget="progress"]')) {
  if (!root.sseWidget) root.sseWidget = new ProgressBar(root);
}
