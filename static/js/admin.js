/* homeportal — the administration pages: modal forms, copy buttons, permission implications,
   drag-and-drop ordering of groups. Every page works without this file; it only saves
   round trips. Loaded from our own origin (the CSP allows no inline script without a nonce). */
(function () {
  "use strict";

  function modal() { return document.getElementById("modal"); }

  // Form errors (400) and rule refusals (403) carry a message to show: swap them in.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 403) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      if (status === 403 && modal() && modal().open) modal().close();
    }
  });

  // Modal forms: links marked data-modal load into #modal-body; the dialog opens afterwards.
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = modal();
    if (dialog && event.detail.target && event.detail.target.id === "modal-body") {
      if (!dialog.open) dialog.showModal();
      var first = dialog.querySelector("input:not([type=hidden]):not([readonly]), select, textarea");
      if (first) first.focus();
    }
  });

  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-close-modal]");
    if (close && modal()) {
      event.preventDefault();
      modal().close();
      return;
    }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      event.preventDefault();
      copyFrom(copy);
    }
  });

  function copyFrom(button) {
    var input = document.getElementById(button.dataset.copy);
    if (!input) return;
    var done = function () {
      button.textContent = button.dataset.copied || "Copied";
    };
    var fallback = function () {
      input.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, fallback);
    } else {
      fallback();
    }
  }

  // Permission checkboxes: mark those already included by another ticked permission.
  function initPermissions(root) {
    root.querySelectorAll("[data-permissions]").forEach(function (list) {
      if (list.dataset.ready) return;
      list.dataset.ready = "1";
      var rows = Array.prototype.slice.call(list.querySelectorAll("li[data-permission]"));
      var implies = {};
      rows.forEach(function (row) {
        implies[row.dataset.permission] = (row.dataset.implies || "").split(" ").filter(Boolean);
      });
      var update = function () {
        var checked = rows.filter(function (row) {
          var box = row.querySelector("input[type=checkbox]");
          return box && box.checked;
        }).map(function (row) { return row.dataset.permission; });
        rows.forEach(function (row) {
          var givers = checked.filter(function (name) {
            return implies[name].indexOf(row.dataset.permission) >= 0;
          });
          row.classList.toggle("implied", givers.length > 0);
          var note = row.querySelector(".givers");
          if (note) note.textContent = givers.join(", ");
        });
      };
      list.addEventListener("change", update);
      update();
    });
  }

  // Groups: drag rows to reorder; the new order is posted by the surrounding form.
  function order(body) {
    return Array.prototype.map.call(body.querySelectorAll("tr[data-id]"), function (row) {
      return row.dataset.id;
    }).join(",");
  }

  function initSortable(root) {
    root.querySelectorAll("[data-sortable]").forEach(function (body) {
      if (body.dataset.ready) return;
      body.dataset.ready = "1";
      var dragged = null;
      var before = "";
      body.addEventListener("dragstart", function (event) {
        var row = event.target.closest("tr[draggable=true]");
        if (!row) return;
        dragged = row;
        before = order(body);
        row.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", row.dataset.id);
      });
      body.addEventListener("dragover", function (event) {
        if (!dragged) return;
        event.preventDefault();
        var row = event.target.closest("tr[data-id]");
        if (!row || row === dragged) return;
        var box = row.getBoundingClientRect();
        var after = event.clientY > box.top + box.height / 2;
        body.insertBefore(dragged, after ? row.nextSibling : row);
      });
      body.addEventListener("drop", function (event) { event.preventDefault(); });
      body.addEventListener("dragend", function () {
        if (!dragged) return;
        dragged.classList.remove("dragging");
        dragged = null;
        if (order(body) !== before) {
          var form = body.closest("form");
          if (form) form.requestSubmit();
        }
      });
    });
  }

  // Choices that make other fields irrelevant: a fieldset marked data-only-for="value" is
  // disabled (and not sent) unless that value is chosen in the form's data-password-mode radios;
  // elements marked data-shown-for="value" show only with it.
  function initModeFields(root) {
    root.querySelectorAll("[data-password-mode]").forEach(function (modes) {
      if (modes.dataset.ready) return;
      modes.dataset.ready = "1";
      var form = modes.closest("form");
      var update = function () {
        var checked = modes.querySelector("input[type=radio]:checked");
        var value = checked ? checked.value : "";
        form.querySelectorAll("[data-only-for]").forEach(function (fields) {
          fields.disabled = fields.dataset.onlyFor !== value;
        });
        form.querySelectorAll("[data-shown-for]").forEach(function (note) {
          note.hidden = note.dataset.shownFor !== value;
        });
      };
      modes.addEventListener("change", update);
      update();
    });
  }

  function init(root) {
    if (!root || !root.querySelectorAll) return;
    initModeFields(root);
    initPermissions(root);
    initSortable(root);
  }

  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
})();
