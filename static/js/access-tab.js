/* homeportal — the access tab: a level chosen in the table is saved at once (the Change
   button does it without JavaScript). The user and group search is htmx's. */
(function () {
  "use strict";
  function init() {
    document.querySelectorAll("form[data-submit-on-change]").forEach(function (form) {
      var button = form.querySelector("[data-change-button]");
      if (button) button.hidden = true;
      form.addEventListener("change", function () { form.requestSubmit(); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
