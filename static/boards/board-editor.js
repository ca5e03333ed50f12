/* homeportal — the board editor: drag to move, resize, add, edit options, remove, undo, save.
   A small grid script of our own (no library): the layout lives in `state`, every change
   is a snapshot for undo, and Save sends the whole layout, which the server checks again.
   Part of homeportal, AGPL-3.0-or-later. */
(() => {
  "use strict";
  const root = document.getElementById("board-editor");
  if (!root) return;

  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  let state = read("board-state");
  const urls = read("editor-urls");
  const kinds = new Map(read("editor-kinds").map((k) => [k.name, k]));
  const text = read("editor-text");
  const statusEl = document.getElementById("editor-status");
  const errorsEl = document.getElementById("editor-errors");
  const toolbar = document.querySelector(".editor-toolbar");
  const html = new Map(); // html id -> rendered widget body
  const undoStack = [];
  let mode = "desktop"; // or "narrow"
  let dirty = false;
  let counter = 0;
  const newKey = (prefix) => `${prefix}${++counter}`;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  // --- State ----------------------------------------------------------------------------------
  for (const section of state.sections) {
    section.key = newKey("s");
    for (const item of section.items) {
      item.key = newKey("i");
      item.hid = newKey("h");
      html.set(item.hid, item.html || "");
      delete item.html;
    }
  }

  const columns = () => (mode === "desktop" ? state.columns : state.narrow_columns);
  const boxOf = (item) => (mode === "desktop" ? item.desktop : item.narrow);
  const setBox = (item, box) => {
    if (mode === "desktop") item.desktop = box;
    else item.narrow = box;
  };
  const findItem = (key) => {
    for (const section of state.sections) {
      const item = section.items.find((i) => i.key === key);
      if (item) return { section, item };
    }
    return null;
  };
  const findSection = (key) => state.sections.find((s) => s.key === key);
  const overlaps = (a, b) =>
    a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];

  function snapshot() {
    undoStack.push(JSON.stringify(state));
    if (undoStack.length > 100) undoStack.shift();
    dirty = true;
    say(text.unsaved);
    updateToolbar();
  }

  function undo() {
    const previous = undoStack.pop();
    if (!previous) return;
    state = JSON.parse(previous);
    dirty = true;
    render();
    say(text.undone);
    updateToolbar();
  }

  /* Pushes down every item of `section` that overlaps `moved`, and then what those overlap. */
  function resolve(section, moved, layout = mode) {
    const get = (item) => (layout === "desktop" ? item.desktop : item.narrow);
    const queue = [moved];
    let guard = 0;
    while (queue.length && guard++ < 10000) {
      const a = queue.shift();
      const boxA = get(a);
      for (const b of section.items) {
        if (b === a || !get(b)) continue;
        const boxB = get(b);
        if (overlaps(boxA, boxB)) {
          boxB[1] = boxA[1] + boxA[3];
          queue.push(b);
        }
      }
    }
  }

  /* Gravity, as in a grid without floating: in reading order, every item rises row by row
     until something is in its way, so a section never keeps holes. */
  function compact(section, layout = mode, skip = null) {
    const get = (item) => (layout === "desktop" ? item.desktop : item.narrow);
    const order = section.items
      .filter((item) => item !== skip && get(item))
      .sort((a, b) => get(a)[1] - get(b)[1] || get(a)[0] - get(b)[0]);
    const placed = [];
    for (const item of order) {
      const box = get(item);
      while (box[1] > 0 && !placed.some((p) => overlaps(p, [box[0], box[1] - 1, box[2], box[3]]))) {
        box[1] -= 1;
      }
      placed.push(box);
    }
  }

  /* After `moved` took a new place: the others close up without it, it goes where it was
     dropped (pushing down what is there), and everything rises again. Moving a widget down
     onto another therefore swaps them, and dropping it below the rest puts it last. */
  function settle(section, moved, layout = mode) {
    compact(section, layout, moved);
    resolve(section, moved, layout);
    compact(section, layout);
  }

  /* "Tidy": every section of both layouts closed up. */
  function tidy() {
    for (const section of state.sections) {
      compact(section, "desktop");
      if (state.narrow_custom) compact(section, "narrow");
    }
    if (!state.narrow_custom) regenerateNarrow();
  }

  function firstFit(boxes, cols, w, h, startY = 0) {
    w = Math.min(w, cols);
    for (let y = startY; ; y++) {
      for (let x = 0; x + w <= cols; x++) {
        const candidate = [x, y, w, h];
        if (!boxes.some((b) => overlaps(b, candidate))) return candidate;
      }
    }
  }

  function narrowSize(w, h) {
    // Small widgets (a quarter of the desktop's width or less) take half the phone's width.
    const small = w * state.narrow_columns <= state.columns;
    return [small ? state.narrow_columns / 2 : state.narrow_columns, h];
  }

  /* The phone layout generated from the desktop one (same rule as the server's). */
  function regenerateNarrow() {
    for (const section of state.sections) {
      const order = [...section.items].sort(
        (a, b) => a.desktop[1] - b.desktop[1] || a.desktop[0] - b.desktop[0],
      );
      const placed = [];
      for (const item of order) {
        const [w, h] = narrowSize(item.desktop[2], item.desktop[3]);
        item.narrow = firstFit(placed, state.narrow_columns, w, h);
        placed.push(item.narrow);
      }
    }
  }

  function afterChange() {
    if (mode === "narrow") state.narrow_custom = true;
    else if (!state.narrow_custom) regenerateNarrow();
  }

  // --- Rendering ------------------------------------------------------------------------------
  function el(tag, attrs = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === false || value === null || value === undefined) continue;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function placeBox(node, box) {
    node.style.gridArea = `${box[1] + 1} / ${box[0] + 1} / span ${box[3]} / span ${box[2]}`;
  }

  const minSize = (item) => (kinds.get(item.kind) || { min: [1, 1] }).min || [1, 1];

  function label(item) {
    const kind = kinds.get(item.kind);
    const name = item.options.name || item.options.title || "";
    return `${kind ? kind.label : text.widget}${name ? ": " + name : ""}`;
  }

  function render() {
    const focused = document.activeElement && document.activeElement.dataset.key;
    root.replaceChildren();
    root.classList.toggle("narrow-mode", mode === "narrow");
    const cols = columns();
    state.sections.forEach((section, index) => {
      const header = el("div", { class: "editor-section-header" });
      if (section.kind === "category") {
        const input = el("input", {
          type: "text", value: section.title, maxlength: "120",
          "aria-label": text.categoryTitle, "data-section-title": section.key,
        });
        input.addEventListener("change", () => {
          snapshot();
          section.title = input.value.trim();
        });
        header.append(input, el("span", { class: "section-label" }));
      } else {
        header.append(el("span", { class: "section-label", text: text.area }));
      }
      header.append(
        el("button", { type: "button", "data-section-up": section.key, "aria-label": text.moveUp,
                       title: text.moveUp, text: "↑", disabled: index === 0 }),
        el("button", { type: "button", "data-section-down": section.key, "aria-label": text.moveDown,
                       title: text.moveDown, text: "↓", disabled: index === state.sections.length - 1 }),
        el("button", { type: "button", "data-section-remove": section.key,
                       "aria-label": text.removeSection, title: text.removeSection, text: "✕" }),
      );
      const grid = el("div", { class: "board-grid editor-grid", "data-section": section.key });
      grid.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
      const bottom = Math.max(0, ...section.items.map((i) => boxOf(i)[1] + boxOf(i)[3]));
      grid.style.gridTemplateRows = `repeat(${bottom + 2}, var(--board-row))`;
      if (!section.items.length) grid.append(el("p", { class: "editor-empty", text: text.empty }));
      for (const item of section.items) {
        const node = el("article", {
          class: `board-item editor-item widget-${item.kind}`, tabindex: "0",
          "data-key": item.key, "aria-label": label(item), "data-testid": "editor-item",
        });
        placeBox(node, boxOf(item));
        const body = el("div", { class: "item-body" });
        body.innerHTML = html.get(item.hid) || ""; // our own server's rendering of the widget
        const controls = el("div", { class: "item-controls" }, [
          el("button", { type: "button", "data-drag": "", "aria-label": text.move, title: text.move, text: "⠿", tabindex: "-1" }),
          el("button", { type: "button", "data-options": item.key, "aria-label": text.options, title: text.options, text: "⚙" }),
          el("button", { type: "button", "data-remove": item.key, "aria-label": text.remove, title: text.remove, text: "✕" }),
        ]);
        node.append(body, controls, el("span", { class: "resize-handle", "data-resize": "", title: text.resize }));
        grid.append(node);
      }
      root.append(el("section", { class: `board-section editor-section ${section.kind}`, "data-key": section.key }, [header, grid]));
    });
    if (focused) {
      const again = root.querySelector(`[data-key="${CSS.escape(focused)}"].editor-item`);
      if (again) again.focus();
    }
  }

  function updateToolbar() {
    toolbar.querySelector('[data-action="undo"]').disabled = !undoStack.length;
    toolbar.querySelector('[data-action="layout-desktop"]').setAttribute("aria-pressed", String(mode === "desktop"));
    toolbar.querySelector('[data-action="layout-narrow"]').setAttribute("aria-pressed", String(mode === "narrow"));
    toolbar.querySelector('[data-action="regenerate"]').hidden = !(mode === "narrow" && state.narrow_custom);
  }

  function say(message) {
    statusEl.textContent = message;
  }

  function showErrors(messages) {
    errorsEl.replaceChildren(...messages.map((m) => el("p", { text: m })));
    errorsEl.hidden = !messages.length;
  }

  // --- Dragging and resizing ------------------------------------------------------------------
  let drag = null;

  function metrics(grid) {
    const rect = grid.getBoundingClientRect();
    const style = getComputedStyle(grid);
    const gap = parseFloat(style.columnGap) || 0;
    const rowGap = parseFloat(style.rowGap) || 0;
    const cols = columns();
    const colWidth = (rect.width - gap * (cols - 1)) / cols;
    const rowHeight = parseFloat(getComputedStyle(root.closest(".board-page")).getPropertyValue("--board-row")) || 88;
    return { rect, cols, stepX: colWidth + gap, stepY: rowHeight + rowGap };
  }

  /* The section under the pointer: its grid, or its header (dropping there puts the widget
     at the end of that section, handy for a long or folded category). */
  function dropZoneAt(x, y) {
    for (const node of document.elementsFromPoint(x, y)) {
      if (!node.classList) continue;
      if (node.classList.contains("editor-grid")) return { grid: node, header: null };
      const header = node.closest(".editor-section-header");
      if (header) return { grid: null, header };
    }
    return null;
  }

  function clearHeaderTarget() {
    for (const node of root.querySelectorAll(".editor-section-header.drop-target")) {
      node.classList.remove("drop-target");
    }
  }

  root.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest("[data-drag], [data-resize]");
    if (!handle || event.button !== 0) return;
    const node = handle.closest(".editor-item");
    const found = findItem(node.dataset.key);
    if (!found) return;
    event.preventDefault();
    const rect = node.getBoundingClientRect();
    drag = {
      resize: handle.hasAttribute("data-resize"),
      node, found, pointer: event.pointerId,
      offsetX: event.clientX - rect.left, offsetY: event.clientY - rect.top,
      startX: event.clientX, startY: event.clientY,
      box: [...boxOf(found.item)], target: null, placeholder: null,
    };
    handle.setPointerCapture(event.pointerId);
    node.classList.add("dragging");
  });

  root.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.pointer) return;
    const { node, found } = drag;
    const [x0, y0, w0, h0] = drag.box;
    if (drag.resize) {
      const m = metrics(node.parentElement);
      const rect = node.getBoundingClientRect();
      const left = m.rect.left + x0 * m.stepX;
      const top = rect.top;
      const [minW, minH] = minSize(found.item);
      const w = Math.max(Math.min(minW, m.cols - x0), Math.min(m.cols - x0, Math.round((event.clientX - left) / m.stepX)));
      const h = Math.max(minH, Math.min(24, Math.round((event.clientY - top) / m.stepY)));
      drag.target = { section: found.section, box: [x0, y0, w, h] };
      placeBox(node, drag.target.box);
      return;
    }
    node.style.transform = `translate(${event.clientX - drag.startX}px, ${event.clientY - drag.startY}px)`;
    const zone = dropZoneAt(event.clientX, event.clientY);
    if (!zone) return;
    clearHeaderTarget();
    if (zone.header) {
      const section = findSection(zone.header.parentElement.dataset.key);
      drag.target = { section, box: null };
      zone.header.classList.add("drop-target");
      if (drag.placeholder) drag.placeholder.remove();
      return;
    }
    const grid = zone.grid;
    const section = findSection(grid.dataset.section);
    const m = metrics(grid);
    const x = Math.max(0, Math.min(m.cols - Math.min(w0, m.cols), Math.round((event.clientX - drag.offsetX - m.rect.left) / m.stepX)));
    // No lower than one row below the section's last widget: the grid does not grow under
    // the pointer, so moving on down reaches the next section.
    const others = section.items.filter((i) => i !== found.item).map(boxOf);
    const lowest = Math.max(0, ...others.map((b) => b[1] + b[3]));
    const y = Math.max(0, Math.min(lowest, Math.round((event.clientY - drag.offsetY - m.rect.top) / m.stepY)));
    drag.target = { section, box: [x, y, Math.min(w0, m.cols), h0] };
    if (!drag.placeholder) drag.placeholder = el("div", { class: "drop-placeholder", "aria-hidden": "true" });
    if (drag.placeholder.parentElement !== grid) grid.append(drag.placeholder);
    placeBox(drag.placeholder, drag.target.box);
  });

  function endDrag(event, commit) {
    if (!drag || event.pointerId !== drag.pointer) return;
    const { found, target } = drag;
    const key = found.item.key;
    drag = null;
    clearHeaderTarget();
    if (target && !target.box) {
      // Dropped on a section's title: at the end of that section.
      if (target.section === found.section) target.box = [...boxOf(found.item)];
      else {
        const boxes = target.section.items.map(boxOf);
        const [, , w, h] = boxOf(found.item);
        target.box = firstFit(boxes, columns(), w, h, Math.max(0, ...boxes.map((b) => b[1] + b[3])));
      }
    }
    if (commit && target && (target.section !== found.section || target.box.join() !== boxOf(found.item).join())) {
      snapshot();
      moveItem(found, target.section, target.box);
    }
    render();
    const node = root.querySelector(`.editor-item[data-key="${CSS.escape(key)}"]`);
    if (node) node.focus();
  }
  root.addEventListener("pointerup", (event) => endDrag(event, true));
  root.addEventListener("pointercancel", (event) => endDrag(event, false));

  /* Puts `found.item` at `box` of `section` (its own or another) in the current layout. In
     another section, its place in the other layout is taken anew below what that holds. */
  function moveItem(found, section, box) {
    if (section !== found.section) {
      found.section.items.splice(found.section.items.indexOf(found.item), 1);
      const others = [...section.items];
      section.items.push(found.item);
      if (mode === "desktop" && state.narrow_custom) {
        const boxes = others.map((i) => i.narrow);
        const [w, h] = narrowSize(box[2], box[3]);
        found.item.narrow = firstFit(boxes, state.narrow_columns, w, h, Math.max(0, ...boxes.map((b) => b[1] + b[3])));
      } else if (mode === "narrow") {
        const boxes = others.map((i) => i.desktop);
        const [, , w, h] = found.item.desktop;
        found.item.desktop = firstFit(boxes, state.columns, w, h, Math.max(0, ...boxes.map((b) => b[1] + b[3])));
      }
      compact(found.section, "desktop");
      if (state.narrow_custom) compact(found.section, "narrow");
    }
    setBox(found.item, box);
    settle(section, found.item);
    afterChange();
  }

  // --- Keyboard -------------------------------------------------------------------------------
  root.addEventListener("keydown", (event) => {
    const node = event.target.closest && event.target.closest(".editor-item");
    if (!node || event.target !== node) return;
    const found = findItem(node.dataset.key);
    if (!found) return;
    const [x, y, w, h] = boxOf(found.item);
    const cols = columns();
    let box = null;
    const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (event.key in arrows) {
      const [dx, dy] = arrows[event.key];
      const [minW, minH] = minSize(found.item);
      box = event.shiftKey
        ? [x, y, Math.max(Math.min(minW, cols - x), Math.min(cols - x, w + dx)), Math.max(minH, Math.min(24, h + dy))]
        : [Math.max(0, Math.min(cols - w, x + dx)), Math.max(0, y + dy), w, h];
    } else if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      removeItem(found);
      return;
    } else if (event.key === "Enter") {
      event.preventDefault();
      openOptions(found.item.kind, found.item, found.section);
      return;
    }
    if (!box) return;
    event.preventDefault();
    if (box.join() === [x, y, w, h].join()) return;
    snapshot();
    setBox(found.item, box);
    settle(found.section, found.item);
    afterChange();
    render();
  });

  // --- Sections and items ---------------------------------------------------------------------
  function removeItem(found) {
    snapshot();
    found.section.items.splice(found.section.items.indexOf(found.item), 1);
    compact(found.section, "desktop");
    if (state.narrow_custom) compact(found.section, "narrow");
    afterChange();
    render();
  }

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.remove) {
      const found = findItem(button.dataset.remove);
      if (found) removeItem(found);
    } else if (button.dataset.options) {
      const found = findItem(button.dataset.options);
      if (found) openOptions(found.item.kind, found.item, found.section);
    } else if (button.dataset.sectionUp || button.dataset.sectionDown) {
      const key = button.dataset.sectionUp || button.dataset.sectionDown;
      const index = state.sections.findIndex((s) => s.key === key);
      const other = index + (button.dataset.sectionUp ? -1 : 1);
      if (other < 0 || other >= state.sections.length) return;
      snapshot();
      [state.sections[index], state.sections[other]] = [state.sections[other], state.sections[index]];
      render();
    } else if (button.dataset.sectionRemove) {
      const section = findSection(button.dataset.sectionRemove);
      if (section.items.length && !window.confirm(text.confirmRemoveSection)) return;
      snapshot();
      state.sections.splice(state.sections.indexOf(section), 1);
      render();
    }
  });

  // --- Dialogs --------------------------------------------------------------------------------
  const picker = document.getElementById("picker-dialog");
  const pickerSection = document.getElementById("picker-section");
  const widgetDialog = document.getElementById("widget-dialog");
  const widgetForm = document.getElementById("widget-form");
  const widgetFields = document.getElementById("widget-form-fields");
  const widgetSection = document.getElementById("widget-section");
  const sectionDialog = document.getElementById("section-dialog");
  const sectionForm = document.getElementById("section-form");
  let editing = null; // {kind, item|null, section}

  for (const dialog of [picker, widgetDialog, sectionDialog]) {
    dialog.addEventListener("click", (event) => {
      if (event.target.closest("[data-close]")) dialog.close();
    });
  }

  function fillSections(select) {
    select.replaceChildren(
      ...state.sections.map((s, n) =>
        el("option", { value: s.key, text: s.kind === "category" ? s.title : `${text.area} ${n + 1}` }),
      ),
    );
  }

  function openPicker() {
    if (!state.sections.length) {
      snapshot();
      state.sections.push({ id: null, key: newKey("s"), kind: "area", title: "", items: [] });
      render();
    }
    fillSections(pickerSection);
    pickerSection.value = state.sections[state.sections.length - 1].key;
    picker.showModal();
  }

  picker.addEventListener("click", (event) => {
    const choice = event.target.closest("[data-kind]");
    if (!choice) return;
    picker.close();
    openOptions(choice.dataset.kind, null, findSection(pickerSection.value));
  });

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
    });
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    return { response, data };
  }

  async function openOptions(kind, item, section) {
    editing = { kind, item, section };
    const body = new FormData();
    body.set("kind", kind);
    body.set("load", "on");
    body.set("options", JSON.stringify(item ? item.options : {}));
    try {
      const { data } = await post(urls.widget, body);
      if (!data || !data.form) throw new Error("no form");
      widgetFields.innerHTML = data.form; // the server's form, escaped by Django
      if (window.htmx) window.htmx.process(widgetFields); // the icon search
      fillSections(widgetSection);
      widgetSection.value = (section && state.sections.includes(section) ? section : state.sections[state.sections.length - 1]).key;
      widgetDialog.showModal();
      const first = widgetFields.querySelector("input, select, textarea");
      if (first) first.focus();
    } catch (error) {
      showErrors([text.failed]);
    }
  }

  widgetForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!editing) return;
    const body = new FormData(widgetForm);
    body.set("kind", editing.kind);
    let result;
    try {
      result = await post(urls.widget, body);
    } catch (error) {
      showErrors([text.failed]);
      return;
    }
    const { data } = result;
    if (!data) {
      showErrors([text.failed]);
      return;
    }
    if (!data.ok) {
      widgetFields.innerHTML = data.form; // errors shown in the dialog; nothing changed
      if (window.htmx) window.htmx.process(widgetFields);
      const invalid = widgetFields.querySelector(".has-error input, .has-error select, .has-error textarea");
      if (invalid) invalid.focus();
      return;
    }
    snapshot();
    const hid = newKey("h");
    html.set(hid, data.html);
    const chosen = findSection(widgetSection.value);
    let key;
    if (editing.item) {
      editing.item.options = data.options;
      editing.item.hid = hid;
      key = editing.item.key;
      const found = findItem(key);
      if (found && chosen && chosen !== found.section) {
        const boxes = chosen.items.map(boxOf);
        const [, , w, h] = boxOf(found.item);
        moveItem(found, chosen, firstFit(boxes, columns(), w, h, Math.max(0, ...boxes.map((b) => b[1] + b[3]))));
      }
    } else {
      const section = chosen || (editing.section && state.sections.includes(editing.section)
        ? editing.section : state.sections[state.sections.length - 1]);
      const size = (kinds.get(editing.kind) || { size: [2, 1] }).size;
      const desktopBoxes = section.items.map((i) => i.desktop);
      const desktop = firstFit(desktopBoxes, state.columns, Math.min(size[0], state.columns), size[1]);
      const narrowBoxes = section.items.map((i) => i.narrow);
      const [nw, nh] = narrowSize(desktop[2], desktop[3]);
      const bottom = Math.max(0, ...narrowBoxes.map((b) => b[1] + b[3]));
      const narrow = firstFit(narrowBoxes, state.narrow_columns, nw, nh, state.narrow_custom ? bottom : 0);
      const item = { id: null, key: newKey("i"), hid, kind: editing.kind, options: data.options, desktop, narrow };
      section.items.push(item);
      if (!state.narrow_custom) regenerateNarrow();
      key = item.key;
    }
    widgetDialog.close();
    editing = null;
    render();
    const node = root.querySelector(`.editor-item[data-key="${CSS.escape(key)}"]`);
    if (node) node.focus();
  });

  // The icon picker is static/js/icon-picker.js, loaded on every page.

  sectionForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("section-title");
    const title = input.value.trim();
    if (!title) {
      input.focus();
      return;
    }
    snapshot();
    state.sections.push({ id: null, key: newKey("s"), kind: "category", title, items: [] });
    sectionDialog.close();
    render();
  });

  // --- Saving ---------------------------------------------------------------------------------
  function payload() {
    return {
      version: state.version,
      narrow_custom: state.narrow_custom,
      sections: state.sections.map((s) => ({
        id: s.id, kind: s.kind, title: s.title,
        items: s.items.map((i) => ({ id: i.id, kind: i.kind, options: i.options, desktop: i.desktop, narrow: i.narrow })),
      })),
    };
  }

  async function save() {
    say(text.saving);
    showErrors([]);
    const body = new FormData();
    body.set("state", JSON.stringify(payload()));
    let result;
    try {
      result = await post(urls.save, body);
    } catch (error) {
      say("");
      showErrors([text.failed]);
      return;
    }
    const { data } = result;
    if (!data || !data.ok) {
      say("");
      showErrors(data && data.errors ? data.errors : [text.failed]);
      return;
    }
    // The server kept the order: give new sections and items the ids it made.
    state.version = data.version;
    data.state.sections.forEach((saved, n) => {
      const section = state.sections[n];
      section.id = saved.id;
      saved.items.forEach((savedItem, m) => {
        section.items[m].id = savedItem.id;
        section.items[m].narrow = savedItem.narrow;
      });
    });
    state.narrow_custom = data.state.narrow_custom;
    dirty = false;
    say(text.saved);
    render();
  }

  toolbar.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    if (!button) return;
    const action = button.dataset.action;
    if (action === "add-widget") openPicker();
    else if (action === "add-category") {
      document.getElementById("section-title").value = "";
      sectionDialog.showModal();
    } else if (action === "add-area") {
      snapshot();
      state.sections.push({ id: null, key: newKey("s"), kind: "area", title: "", items: [] });
      render();
    } else if (action === "layout-desktop" || action === "layout-narrow") {
      mode = action === "layout-desktop" ? "desktop" : "narrow";
      render();
      updateToolbar();
    } else if (action === "regenerate") {
      snapshot();
      state.narrow_custom = false;
      regenerateNarrow();
      render();
      updateToolbar();
    } else if (action === "tidy") {
      snapshot();
      tidy();
      render();
      say(text.tidied);
    } else if (action === "undo") undo();
    else if (action === "save") save();
  });

  document.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || document.querySelector("dialog[open]")) return;
    if (event.key === "z" && !event.shiftKey && event.target.tagName !== "INPUT") {
      event.preventDefault();
      undo();
    } else if (event.key === "s") {
      event.preventDefault();
      save();
    }
  });

  window.addEventListener("beforeunload", (event) => {
    if (dirty) event.preventDefault();
  });

  // --- Apps' status while editing ----------------------------------------------------------
  /* Saved apps whose status the server did not know yet ask the board's status address once,
     as the board page does; the answer goes into the widget's body, which keeps it through
     every later change. */
  function showStatus(item, hid, answer) {
    if (item.hid !== hid) return; // its options changed meanwhile: a new body, a new status
    const fresh = document.createElement("template");
    fresh.innerHTML = answer.trim();
    const status = fresh.content.querySelector(".status");
    if (!status) return;
    for (const name of ["hx-get", "hx-trigger", "hx-swap"]) status.removeAttribute(name);
    const body = document.createElement("template");
    body.innerHTML = html.get(hid) || "";
    const old = body.content.querySelector(".status");
    if (!old) return;
    old.replaceWith(status.cloneNode(true));
    html.set(hid, body.innerHTML);
    const shown = root.querySelector(`.editor-item[data-key="${CSS.escape(item.key)}"] .status`);
    if (shown) shown.replaceWith(status);
  }

  function askStatuses() {
    for (const section of state.sections) {
      for (const item of section.items) {
        const hid = item.hid;
        if (!item.id || !(html.get(hid) || "").includes("status-unknown")) continue;
        const url = urls.item_data.replace(/\/0\/data\/$/, `/${item.id}/data/`);
        fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
          .then((response) => (response.ok ? response.text() : ""))
          .then((answer) => answer && showStatus(item, hid, answer))
          .catch(() => {}); // the status stays unknown, as on a board that cannot reach it
      }
    }
  }

  // On a narrow screen the editor opens the phone layout: the desktop grid does not fit.
  if (window.matchMedia("(max-width: 640px)").matches) {
    mode = "narrow";
    say(text.phoneMode);
  }
  render();
  updateToolbar();
  askStatuses();
})();
