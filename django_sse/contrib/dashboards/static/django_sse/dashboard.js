// {% sse_dashboard %}: elements with data-sse-field show the latest value,
// data-sse-chart draws a live time series (uPlot, vendored), and
// data-sse-status shows the connection state. Values go in as text.
import sse from "./django-sse.js";

const FORMATS = {
  integer: (n) => new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 }).format(n),
  compact: (n) => new Intl.NumberFormat(undefined, { notation: "compact" }).format(n),
  percent: (n) => `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(n)}%`,
};

export function format(value, spec) {
  if (typeof value !== "number") return value === null || value === undefined ? "" : String(value);
  if (!spec) return new Intl.NumberFormat().format(value);
  const [name, digits] = spec.split(":");
  if (name === "decimal") {
    const d = Number(digits ?? 2);
    return new Intl.NumberFormat(undefined, { minimumFractionDigits: d, maximumFractionDigits: d }).format(value);
  }
  return (FORMATS[name] ?? String)(value);
}

const MIN_SPAN = 60; // seconds of time axis, at least

class Chart {
  constructor(el) {
    this.el = el;
    this.key = el.dataset.sseChart;
    this.max = Number(el.dataset.ssePoints) || 60;
    this.xs = [];
    this.ys = [];
    const uPlot = window.uPlot;
    this.plot = new uPlot(
      {
        width: el.clientWidth || 400,
        height: Number(el.dataset.sseHeight) || 160,
        series: [{}, { label: el.dataset.sseLabel || this.key, stroke: el.dataset.sseColor || "#2563eb", width: 2, spanGaps: false }],
        axes: [{}, { size: 60 }],
        legend: { show: false },
      },
      [this.xs, this.ys],
      el,
    );
    new ResizeObserver(() => this.plot.setSize({ width: el.clientWidth || 400, height: this.plot.height })).observe(el);
  }

  push(x, y) {
    if (typeof y !== "number" || (this.xs.length && x <= this.xs[this.xs.length - 1])) return;
    const last = this.xs[this.xs.length - 1];
    if (last !== undefined) {
      // A period with no samples (nobody watched, the server was down) is
      // a gap in the line, not a straight line across it.
      const step = x - last;
      if (this.step && step > 3 * this.step) {
        this.xs.push(last + this.step);
        this.ys.push(null);
      } else {
        this.step = this.step ? Math.min(this.step, step) : step;
      }
    }
    this.xs.push(x);
    this.ys.push(y);
    while (this.xs.length > this.max) {
      this.xs.shift();
      this.ys.shift();
    }
    this.plot.setData([this.xs, this.ys]);
    const first = this.xs[0];
    if (x - first < MIN_SPAN) {
      // At least a minute of time axis, around the samples: one sample
      // would get uPlot's span of days, a few seconds of them an axis
      // labelled in milliseconds.
      const middle = (first + x) / 2;
      this.plot.setScale("x", { min: middle - MIN_SPAN / 2, max: middle + MIN_SPAN / 2 });
    }
    this.el.dataset.ssePointsShown = String(this.ys.filter((y) => y !== null).length);
  }
}

class Dashboard {
  constructor(root) {
    this.fields = [...root.querySelectorAll("[data-sse-field]")];
    this.charts = [...root.querySelectorAll("[data-sse-chart]")].map((el) => new Chart(el));
    this.statuses = [...root.querySelectorAll("[data-sse-status]")];
    const history = root.querySelector("script.sse-dashboard-history");
    for (const snapshot of history ? JSON.parse(history.textContent) : []) this.apply(snapshot);
    sse.subscribe(root.dataset.sseTopic, "dashboard", (snapshot) => this.apply(snapshot));
    const showStatus = (status) => {
      for (const el of this.statuses) {
        el.dataset.status = status;
        el.textContent = status;
      }
    };
    sse.addEventListener("status", (e) => showStatus(e.detail.status));
    showStatus(sse.status);
  }

  apply({ values, at }) {
    for (const el of this.fields) {
      const key = el.dataset.sseField;
      if (key in values) el.textContent = format(values[key], el.dataset.sseFormat);
    }
    const x = Date.parse(at) / 1000;
    for (const chart of this.charts) chart.push(x, values[chart.key]);
  }
}

for (const root of document.querySelectorAll('[data-sse-widget="dashboard"]')) {
  if (!root.sseWidget) root.sseWidget = new Dashboard(root);
}
