/* homeportal — board page behaviour: ticking clocks and remembering collapsed categories.
   The page works without it. Part of homeportal, AGPL-3.0-or-later. */
(() => {
  "use strict";
  const lang = document.documentElement.lang || undefined;
  const formats = new Map();

  function format(el, what) {
    const tz = el.dataset.tz || undefined;
    const key = [what, tz, "hour12" in el.dataset, "seconds" in el.dataset].join("|");
    if (!formats.has(key)) {
      let options;
      if (what === "time") {
        options = { hour: "numeric", minute: "2-digit", hour12: "hour12" in el.dataset, timeZone: tz };
        if ("seconds" in el.dataset) options.second = "2-digit";
      } else {
        options = { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: tz };
      }
      try {
        formats.set(key, new Intl.DateTimeFormat(lang, options));
      } catch (error) {
        delete options.timeZone;
        formats.set(key, new Intl.DateTimeFormat(lang, options));
      }
    }
    return formats.get(key);
  }

  function tick() {
    const now = new Date();
    for (const clock of document.querySelectorAll("[data-clock]")) {
      const time = clock.querySelector(".clock-time");
      if (time) time.textContent = format(clock, "time").format(now);
      const date = clock.querySelector(".clock-date");
      if (date && "date" in clock.dataset) date.textContent = format(clock, "date").format(now);
    }
  }
  tick();
  setInterval(tick, 1000);

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  for (const section of document.querySelectorAll("details[data-collapse-url]")) {
    // A <details> parsed open fires "toggle" too: only a change from the saved state is sent.
    let saved = section.open;
    section.addEventListener("toggle", () => {
      if (section.open === saved) return;
      saved = section.open;
      const body = new URLSearchParams({ collapsed: section.open ? "" : "on" });
      fetch(section.dataset.collapseUrl, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
      }).catch(() => {});
    });
  }
})();

/* Integration widgets poll only while the page is visible, and refresh when it shows again. */
(() => {
  "use strict";
  document.addEventListener("htmx:beforeRequest", (event) => {
    const el = event.detail && event.detail.elt;
    if (document.hidden && el && el.hasAttribute && el.hasAttribute("data-poll")) event.preventDefault();
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) document.dispatchEvent(new CustomEvent("hp-visible"));
  });
})();
