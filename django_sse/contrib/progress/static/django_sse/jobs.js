// The job list of {% sse_jobs %}: the bars rendered with the page, and a
// new bar at the top for every job the user starts later, from any tab or
// worker (announced on their jobs:<pk> topic). Every bar shares the page's
// one stream. The list starts where the page was rendered (resumeFrom), so
// a job started in between is not missed; a bar is never shown twice.
import sse from "./django-sse.js";
import { ProgressBar } from "./progress.js";

class JobList {
  constructor(root) {
    this.root = root;
    this.list = root.querySelector(".sse-jobs__list");
    this.template = root.querySelector(".sse-jobs__template");
    this.blankId = root.dataset.blankId;
    sse.resumeFrom(root.dataset.sseSince);
    sse.subscribe(root.dataset.sseTopic, "job", (state) => this.add(state));
  }

  has(id) {
    return [...this.list.children].some((bar) => bar.dataset.sseTopic === `progress:${id}`);
  }

  add(state) {
    if (this.has(state.id)) return;
    const bar = this.template.content.firstElementChild.cloneNode(true);
    bar.dataset.sseTopic = `progress:${state.id}`;
    bar.dataset.cancelUrl = bar.dataset.cancelUrl.replace(this.blankId, state.id);
    bar.dataset.status = state.status;
    bar.querySelector(".sse-progress__label").textContent = state.label;
    bar.querySelector(".sse-progress__bar").setAttribute("aria-label", state.label || "Progress");
    this.list.prepend(bar);
    this.root.querySelector(".sse-jobs__empty").hidden = true;
    bar.sseWidget = new ProgressBar(bar);
    bar.sseWidget.show(state);
    this.root.dispatchEvent(new CustomEvent("sse:job", { bubbles: true, detail: state }));
  }
}

for (const root of document.querySelectorAll('[data-sse-widget="jobs"]')) {
  if (!root.sseWidget) root.sseWidget = new JobList(root);
}
