/* Error summary of a form (templates/includes/form_fields.html): moves the focus to the summary when the page
   loads, so a screen reader reads every problem at once, and makes each of its links move the focus to its
   field (following an in-page link alone scrolls, but may leave the focus behind). Loaded by the summary
   itself, so it runs only on a page with errors; running twice is harmless. */
(function () {
  "use strict";
  if (window.portalErrorSummary) { return; }
  window.portalErrorSummary = true;

  function fieldLabel(field) {
    var fieldset = field.closest("fieldset");
    if (fieldset && fieldset.querySelector("legend")) { return fieldset.querySelector("legend"); }
    return field.id ? document.querySelector('label[for="' + field.id + '"]') : null;
  }

  function start() {
    var summaries = document.querySelectorAll("[data-error-summary]");
    if (!summaries.length) { return; }
    summaries[0].focus();
    Array.prototype.forEach.call(summaries, function (summary) {
      summary.addEventListener("click", function (event) {
        var link = event.target.closest("a[href^='#']");
        if (!link) { return; }
        var field = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
        if (!field) { return; }
        event.preventDefault();
        var label = fieldLabel(field);
        (label || field).scrollIntoView({ block: "start" });
        field.focus({ preventScroll: true });
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", link.getAttribute("href"));
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
