// What the bell does for a tab the user is not looking at. Each part is
// switched on the tag ({% sse_notifications title=True favicon=True
// desktop=False sound=False %}) and read from data-* attributes here.
//
// - title: "(3) Page title" while there are unread notifications.
// - favicon: the page's icon with a red badge and the count.
// - desktop: a button in the panel asks for permission (a click is a user
//   gesture; browsers ignore or penalise asking on load); once granted, a
//   notification that arrives while the tab is hidden is shown by the system.
// - sound: a short tone when one arrives (after the user has interacted
//   with the page, as browsers require for audio).
// Nothing here moves on screen, so prefers-reduced-motion needs nothing.

export class Attention {
  constructor(root) {
    const on = (name, fallback) => (root.dataset[name] ?? fallback) === "true";
    this.useTitle = on("title", "true");
    this.useFavicon = on("favicon", "true");
    this.useDesktop = on("desktop", "false");
    this.useSound = on("sound", "false");
    this.baseTitle = document.title.replace(/^\(\d+\+?\) /, "");
    this.icon = null;
    // A Content-Security-Policy without data: in img-src refuses the badged
    // icon: say so once and stop drawing it.
    document.addEventListener("securitypolicyviolation", (event) => {
      if (this.useFavicon && event.blockedURI === "data" && event.effectiveDirective === "img-src") {
        this.useFavicon = false;
        this.badgeIcon(0);
        console.info("django-sse: the favicon count needs img-src data: in your CSP (or favicon=False)");
      }
    });
    if (this.useDesktop && "Notification" in window) this.offerDesktop(root);
    if (this.useSound) this.armSound();
    const badge = root.querySelector(".sse-bell__count");
    this.count(Number(badge?.dataset.count) || 0);
  }

  count(count) {
    if (this.useTitle) {
      document.title = count ? `(${count > 99 ? "99+" : count}) ${this.baseTitle}` : this.baseTitle;
    }
    if (this.useFavicon) this.badgeIcon(count);
  }

  // A notification in the user's quiet hours (item.quiet) stays silent.
  arrived(item) {
    if (document.visibilityState !== "hidden" || item.quiet) return;
    if (this.useDesktop && window.Notification?.permission === "granted") {
      const shown = new Notification(item.title, { body: item.body || "", tag: `sse-${item.id}` });
      shown.onclick = () => {
        window.focus();
        shown.close();
      };
    }
    if (this.useSound) this.beep();
  }

  // Favicon ----------------------------------------------------------------

  iconLink() {
    let link = document.querySelector("link[rel~='icon']");
    if (!link) {
      link = document.createElement("link");
      link.rel = "icon";
      document.head.append(link);
    }
    if (this.icon === null) this.icon = { link, href: link.getAttribute("href") };
    return link;
  }

  badgeIcon(count) {
    const link = this.iconLink();
    if (!count) {
      if (this.icon.href === null) link.removeAttribute("href");
      else link.setAttribute("href", this.icon.href);
      link.dataset.sseBadge = "0";
      return;
    }
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 32;
    const draw = (image) => {
      const ctx = canvas.getContext("2d");
      if (image) ctx.drawImage(image, 0, 0, 32, 32);
      ctx.fillStyle = "#dc2626";
      ctx.beginPath();
      ctx.arc(21, 11, 11, 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillStyle = "#fff";
      ctx.font = "bold 15px sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(count > 9 ? "9+" : String(count), 21, 12);
      try {
        link.setAttribute("href", canvas.toDataURL("image/png"));
        link.dataset.sseBadge = String(count);
      } catch {
        // An icon from another origin taints the canvas: keep the page's own.
      }
    };
    if (!this.icon.href) return draw(null);
    const image = new Image();
    image.onload = () => draw(image);
    image.onerror = () => draw(null);
    image.src = this.icon.href;
  }

  // Desktop notifications ----------------------------------------------------

  offerDesktop(root) {
    const button = root.querySelector("[data-action=desktop]");
    if (!button) return;
    const show = () => (button.hidden = Notification.permission !== "default");
    show();
    button.addEventListener("click", async () => {
      await Notification.requestPermission();
      show();
    });
  }

  // Sound --------------------------------------------------------------------

  armSound() {
    const start = () => {
      this.audio ??= new AudioContext();
      for (const type of ["pointerdown", "keydown"]) document.removeEventListener(type, start);
    };
    for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, start);
  }

  beep() {
    if (!this.audio) return;
    const tone = this.audio.createOscillator();
    const gain = this.audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, this.audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, this.audio.currentTime + 0.2);
    tone.connect(gain).connect(this.audio.destination);
    tone.start();
    tone.stop(this.audio.currentTime + 0.2);
    this.beeps = (this.beeps ?? 0) + 1; // for tests: sounds played
  }
}
