/* homeportal — the icon picker (boards/icon_field.py): choosing a found icon fills the icon
   field and its preview; the upload field, which needs JavaScript, is shown; after an upload it
   is emptied. Part of homeportal, AGPL-3.0-or-later. */
(function () {
  "use strict";

  function reveal(root) {
    root.querySelectorAll("[data-icon-upload][hidden]").forEach((node) => {
      node.hidden = false;
    });
  }

  document.addEventListener("click", (event) => {
    const choice = event.target.closest("[data-brand-icon]");
    if (!choice) return;
    const results = choice.closest(".icon-results");
    const input = results && document.getElementById(results.dataset.for);
    if (!input) return;
    input.value = choice.dataset.brandIcon;
    const preview = input.parentElement.querySelector("[data-brand-preview]");
    if (preview) {
      const img = document.createElement("img");
      img.src = choice.dataset.brandSrc;
      img.alt = "";
      img.width = 32;
      img.height = 32;
      preview.replaceChildren(img);
    }
    results.replaceChildren();
    input.dispatchEvent(new Event("change", { bubbles: true }));
    input.focus();
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const source = event.detail.elt;
    if (source && source.matches && source.matches("input[type=file][name=icon_file]")) {
      source.value = "";
    }
  });

  // Forms put in the page later (the board editor's widget dialog) get the upload field too.
  new MutationObserver(() => reveal(document)).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => reveal(document));
  } else {
    reveal(document);
  }
})();
