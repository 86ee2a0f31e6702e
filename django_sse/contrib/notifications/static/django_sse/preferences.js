// The settings of {% sse_notification_preferences %}: each checkbox is
// saved at once through the JSON API (POST, CSRF); a refused change is
// undone and its reason shown. Text from the server goes in with textContent.
class Preferences {
  constructor(root) {
    this.root = root;
    this.status = root.querySelector(".sse-preferences__status");
    root.addEventListener("change", (event) => {
      if (event.target.matches("input[data-type]")) this.save(event.target);
    });
    root.addEventListener("click", (event) => {
      const button = event.target.closest("[data-action=unmute]");
      if (button) this.unmute(button.closest("[data-mute]"));
    });
  }

  async post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": this.root.dataset.csrf, "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body ?? {}),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
    return answer;
  }

  async save(box) {
    const body = { type: box.dataset.type, channel: box.dataset.channel, enabled: box.checked };
    try {
      await this.post(this.root.dataset.api, body);
      this.status.textContent = this.root.dataset.saved;
    } catch (error) {
      box.checked = !box.checked;
      this.status.textContent = error.message;
    }
  }

  async unmute(item) {
    const url = this.root.dataset.unmuteUrl.replace("/0/", `/${encodeURIComponent(item.dataset.mute)}/`);
    try {
      await this.post(url);
      item.remove();
      this.status.textContent = this.root.dataset.unmuted;
    } catch (error) {
      this.status.textContent = error.message;
    }
  }
}

for (const root of document.querySelectorAll('[data-sse-widget="preferences"]')) {
  if (!root.sseWidget) root.sseWidget = new Preferences(root);
}
