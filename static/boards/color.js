/* homeportal — colour fields: the picker and the hexadecimal text box follow each other.
   Without this file both are posted and the server takes whichever was changed. */
(function () {
  "use strict";
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target.matches("input[type=color][data-color-for]")) {
      var text = document.getElementById(target.dataset.colorFor);
      if (text) text.value = target.value;
    } else if (target.closest(".color-field") && target.type === "text") {
      var picker = target.closest(".color-field").querySelector("input[type=color]");
      if (picker && /^#[0-9a-fA-F]{6}$/.test(target.value)) picker.value = target.value.toLowerCase();
    }
  });
})();
