/* homeportal — board page behaviour: ticking clocks and remembering collapsed categories.
   The page works without it. Part of homeportal, AGPL-3.0-or-later. */
(() => {
  "use strict";
  const lang = document.documentElement.lang || undefined;
  const formats = new Map();

  // Dates from the longest to the shortest: a clock takes the longest that fits its width.
  const DATE_STYLES = [
    { weekday: "long", day: "numeric", month: "long", year: "numeric" },
    { weekday: "short", day: "numeric", month: "short", year: "numeric" },
    { weekday: "short", day: "numeric", month: "short" },
    { day: "numeric", month: "numeric", year: "2-digit" },
  ];

  function format(el, what, style = 0) {
    const tz = el.dataset.tz || undefined;
    // The widget's or the viewer's 12/24 hours; none: as usual for the language.
    const cycle = el.dataset.hourCycle;
    const key = [what, style, tz, cycle, "seconds" in el.dataset].join("|");
    if (!formats.has(key)) {
      let options;
      if (what === "time") {
        options = { hour: "numeric", minute: "2-digit", timeZone: tz };
        if (cycle) options.hour12 = cycle === "12";
        if ("seconds" in el.dataset) options.second = "2-digit";
      } else {
        options = { ...DATE_STYLES[style], timeZone: tz };
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
      if (date && "date" in clock.dataset) {
        let style = Number(date.dataset.style || 0);
        date.textContent = format(clock, "date", style).format(now);
        while (date.scrollWidth > date.clientWidth && style < DATE_STYLES.length - 1) {
          style += 1;
          date.textContent = format(clock, "date", style).format(now);
        }
        date.dataset.style = String(style);
      }
    }
  }
  tick();
  setInterval(tick, 1000);

  // A note longer than its widget fades out at the bottom, and "More…" shows all of it in a
  // dialog. Without this script the widget scrolls instead.
  let noteDialog = null;
  function showNote(button) {
    if (!noteDialog) {
      noteDialog = document.createElement("dialog");
      noteDialog.className = "notes-dialog";
      const body = document.createElement("div");
      body.className = "prose";
      const close = document.createElement("button");
      close.type = "button";
      close.textContent = button.dataset.closeLabel;
      close.addEventListener("click", () => noteDialog.close());
      noteDialog.append(body, close);
      document.body.append(noteDialog);
    }
    const item = button.closest(".board-item");
    const title = item.querySelector(".widget-title");
    const body = noteDialog.querySelector(".prose");
    body.replaceChildren(
      ...(title ? [title.cloneNode(true)] : []),
      ...[...item.querySelector(".notes").childNodes].map((node) => node.cloneNode(true)),
    );
    noteDialog.showModal();
  }

  function markLongNotes() {
    for (const button of document.querySelectorAll("[data-notes-more]")) {
      const item = button.closest(".board-item");
      if (!item || item.closest(".editor-item")) continue;
      item.classList.remove("notes-clipped");
      button.hidden = true;
      if (item.scrollHeight > item.clientHeight + 1) {
        item.classList.add("notes-clipped");
        button.hidden = false;
      }
    }
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-notes-more]");
    if (button) showNote(button);
  });
  markLongNotes();
  window.addEventListener("resize", markLongNotes);

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
