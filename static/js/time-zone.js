/* homeportal — tells the server the browser's time zone, once, for a user who has none stored.
   Loaded only on pages of such a user; the server keeps a zone chosen in the preferences. */
(function () {
  "use strict";
  const script = document.currentScript;
  let zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone || !script) return;
  const body = new URLSearchParams({ time_zone: zone });
  fetch(script.dataset.url, {
    method: "POST",
    body: body,
    credentials: "same-origin",
    headers: { "X-CSRFToken": script.dataset.csrf },
  }).catch(function () {});
})();
