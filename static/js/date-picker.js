/* homeportal — date fields with a calendar whose weeks start on the viewer's first day of the
   week (<html data-week-start>, 0 for Sunday: their preference, or their language's habit).
   Browsers' own date pickers follow the browser's locale only, so with this script a date
   field becomes a YYYY-MM-DD text field with a Calendar button; without it, the browser's
   picker remains. Keyboard: arrows move by a day or a week, Page Up/Down by a month, Enter
   picks, Escape closes. Part of homeportal, AGPL-3.0-or-later. */
(function () {
  "use strict";
  var html = document.documentElement;
  var lang = html.lang || undefined;
  var weekStart = parseInt(html.dataset.weekStart || "1", 10) % 7;
  var iso = function (d) {
    var pad = function (n) { return String(n).padStart(2, "0"); };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  };
  var parse = function (value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
    return m ? new Date(+m[1], +m[2] - 1, +m[3]) : null;
  };
  var el = function (tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  };

  // A drawn calendar (no font has to hold an emoji), in the button's text colour.
  function calendarIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("aria-hidden", "true");
    [["rect", { x: "1.5", y: "2.5", width: "13", height: "12", rx: "1.5", fill: "none", stroke: "currentColor" }],
     ["path", { d: "M1.5 6h13M5 1v3M11 1v3", stroke: "currentColor" }],
     ["rect", { x: "4", y: "8.5", width: "2", height: "2", fill: "currentColor" }]].forEach(function (part) {
      var node = document.createElementNS(ns, part[0]);
      Object.keys(part[1]).forEach(function (k) { node.setAttribute(k, part[1][k]); });
      svg.append(node);
    });
    return svg;
  }

  function enhance(input) {
    if (input.dataset.calendar) return;
    input.dataset.calendar = "1";
    input.type = "text";
    input.placeholder = "YYYY-MM-DD";
    input.pattern = "\\d{4}-\\d{2}-\\d{2}";
    input.inputMode = "numeric";
    input.autocomplete = "off";
    var label = html.dataset.calendarLabel || "Calendar";
    var button = el("button", { type: "button", class: "calendar-button", "aria-haspopup": "dialog",
                                "aria-expanded": "false", "aria-label": label, title: label });
    button.append(calendarIcon());
    var wrap = el("span", { class: "date-field" });
    input.parentNode.insertBefore(wrap, input);
    wrap.append(input, button);
    var popup = null;
    var shown = null; // first day of the month shown
    var focusDay = null;

    function close(refocus) {
      if (!popup) return;
      popup.remove();
      popup = null;
      button.setAttribute("aria-expanded", "false");
      if (refocus) input.focus();
    }

    function pick(date) {
      input.value = iso(date);
      input.dispatchEvent(new Event("change", { bubbles: true }));
      close(true);
    }

    function draw() {
      var monthName = new Intl.DateTimeFormat(lang, { month: "long", year: "numeric" }).format(shown);
      popup.replaceChildren();
      var head = el("div", { class: "calendar-head" });
      var prev = el("button", { type: "button", "data-step": "-1", "aria-label": "‹" }, "‹");
      var next = el("button", { type: "button", "data-step": "1", "aria-label": "›" }, "›");
      head.append(prev, el("strong", { "aria-live": "polite" }, monthName), next);
      var grid = el("table", { role: "grid", class: "calendar-grid" });
      var row = el("tr");
      var dayName = new Intl.DateTimeFormat(lang, { weekday: "short" });
      for (var i = 0; i < 7; i++) {
        var sample = new Date(2023, 0, 1 + ((weekStart + i) % 7)); // 1 Jan 2023 was a Sunday
        row.append(el("th", { scope: "col", abbr: new Intl.DateTimeFormat(lang, { weekday: "long" }).format(sample) },
                      dayName.format(sample)));
      }
      var thead = el("thead");
      thead.append(row);
      grid.append(thead);
      var body = el("tbody");
      var offset = (shown.getDay() - weekStart + 7) % 7;
      var day = new Date(shown.getFullYear(), shown.getMonth(), 1 - offset);
      var chosen = parse(input.value);
      for (var w = 0; w < 6; w++) {
        row = el("tr");
        for (var d = 0; d < 7; d++) {
          var cell = el("td");
          var inMonth = day.getMonth() === shown.getMonth();
          var b = el("button", { type: "button", "data-date": iso(day), tabindex: "-1",
                                 class: inMonth ? "" : "other-month" }, String(day.getDate()));
          if (chosen && iso(chosen) === iso(day)) b.setAttribute("aria-pressed", "true");
          if (iso(day) === iso(focusDay)) b.tabIndex = 0;
          cell.append(b);
          row.append(cell);
          day = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1);
        }
        body.append(row);
      }
      grid.append(body);
      popup.append(head, grid);
    }

    function focusOn(date) {
      focusDay = date;
      if (date.getMonth() !== shown.getMonth() || date.getFullYear() !== shown.getFullYear()) {
        shown = new Date(date.getFullYear(), date.getMonth(), 1);
      }
      draw();
      var target = popup.querySelector('[data-date="' + iso(date) + '"]');
      if (target) target.focus();
    }

    function open() {
      focusDay = parse(input.value) || new Date();
      shown = new Date(focusDay.getFullYear(), focusDay.getMonth(), 1);
      popup = el("div", { class: "calendar", role: "dialog", "aria-modal": "false", "aria-label": label });
      wrap.append(popup);
      button.setAttribute("aria-expanded", "true");
      focusOn(focusDay);
      popup.addEventListener("click", function (event) {
        var target = event.target.closest("button");
        if (!target) return;
        if (target.dataset.date) pick(parse(target.dataset.date));
        else if (target.dataset.step) {
          var step = +target.dataset.step;
          shown = new Date(shown.getFullYear(), shown.getMonth() + step, 1);
          focusDay = new Date(shown);
          draw();
          popup.querySelector('[data-step="' + step + '"]').focus();
        }
      });
      popup.addEventListener("keydown", function (event) {
        var moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
        if (event.key === "Escape") { event.preventDefault(); close(true); return; }
        if (!event.target.dataset.date) return;
        var at = parse(event.target.dataset.date);
        if (event.key in moves) {
          event.preventDefault();
          focusOn(new Date(at.getFullYear(), at.getMonth(), at.getDate() + moves[event.key]));
        } else if (event.key === "PageUp" || event.key === "PageDown") {
          event.preventDefault();
          focusOn(new Date(at.getFullYear(), at.getMonth() + (event.key === "PageUp" ? -1 : 1), at.getDate()));
        }
      });
    }

    button.addEventListener("click", function () { if (popup) close(true); else open(); });
    document.addEventListener("click", function (event) {
      if (popup && !wrap.contains(event.target)) close(false);
    });
  }

  function init(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll('input[type="date"]').forEach(enhance);
  }
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(document); });
  else init(document);
})();
