// {% sse_presence topic %}: who views a topic, kept live. The page is one
// of them while it shows the widget. Names go in with textContent.
import sse from "./django-sse.js";

function render(root, { count, users }) {
  const labels = JSON.parse(root.dataset.i18n || "{}");
  const text = (count === 1 ? labels.one : labels.other) ?? "%(count)s";
  root.querySelector(".sse-presence__count").textContent = text.replace("%(count)s", count);
  const list = root.querySelector(".sse-presence__users");
  list.replaceChildren(
    ...users.map((user) => {
      const li = document.createElement("li");
      li.textContent = user.name ?? String(user.id);
      return li;
    }),
  );
  root.dataset.count = String(count);
}

for (const root of document.querySelectorAll('[data-sse-widget="presence"]')) {
  if (!root.sseWidget) root.sseWidget = sse.presence(root.dataset.sseTopic, (state) => render(root, state));
}
