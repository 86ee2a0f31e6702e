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
      const remove = event.target.closest("[data-action=remove-webhook]");
      if (remove) this.removeWebhook(remove.closest("[data-webhook]"));
    });
    const quiet = root.querySelector(".sse-preferences__quiet");
    if (quiet) {
      // The browser's own time zone, until the user says otherwise.
      quiet.elements.time_zone.value ||= Intl.DateTimeFormat().resolvedOptions().timeZone || "";
      quiet.addEventListener("submit", (event) => {
        event.preventDefault();
        this.saveQuiet(quiet, true);
      });
      quiet.querySelector("[data-action=quiet-off]").addEventListener("click", () => this.saveQuiet(quiet, false));
    }
    root.querySelector(".sse-preferences__add-webhook")?.addEventListener("submit", (event) => {
      event.preventDefault();
      this.addWebhook(event.target);
    });
  }

  async saveQuiet(form, on) {
    const { starts, ends, time_zone } = form.elements;
    const quiet = on ? { starts: starts.value, ends: ends.value, time_zone: time_zone.value } : null;
    try {
      await this.post(this.root.dataset.api, { quiet });
      form.querySelector("[data-action=quiet-off]").hidden = !on;
      this.status.textContent = on ? this.root.dataset.saved : form.dataset.off;
    } catch (error) {
      this.status.textContent = error.message;
    }
  }

  // A Slack or Teams webhook: the server keeps its address, the page shows its host.
  async addWebhook(form) {
    const body = { service: form.elements.service.value, url: form.elements.url.value };
    try {
      const hook = await this.post(form.dataset.url, body);
      const list = this.root.querySelector(".sse-preferences__webhooks");
      const item = document.createElement("li");
      item.dataset.webhook = String(hook.id);
      const service = form.elements.service.selectedOptions[0].textContent;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.dataset.action = "remove-webhook";
      remove.textContent = list.dataset.remove;
      item.append(`${service} (${hook.host}) `, remove);
      list.append(item);
      form.reset();
      this.status.textContent = form.dataset.added;
    } catch (error) {
      this.status.textContent = error.message;
    }
  }

  async removeWebhook(item) {
    const list = this.root.querySelector(".sse-preferences__webhooks");
    const url = list.dataset.deleteUrl.replace("/0/", `/${encodeURIComponent(item.dataset.webhook)}/`);
    try {
      await this.post(url);
      item.remove();
    } catch (error) {
      this.status.textContent = error.message;
    }
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
