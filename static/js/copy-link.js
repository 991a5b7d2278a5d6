/* The share page's "Copy link" button (verification/templates/verification/share_manage.html): copies the text of
   the field named by data-copy-from and says so in a status message screen readers announce. The button is a
   real <button>, so the keyboard reaches and presses it; it is shown only when this script runs. */
(function () {
  "use strict";

  function copied(field) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(field.value);
    }
    field.focus();
    field.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy-link]"), function (box) {
      var button = box.querySelector("[data-copy-from]");
      var status = box.querySelector("[role=status]");
      var field = button && document.getElementById(button.getAttribute("data-copy-from"));
      if (!field || !status) { return; }
      box.hidden = false;
      button.addEventListener("click", function () {
        copied(field).then(
          function () { status.textContent = status.getAttribute("data-copied"); },
          function () {
            field.focus();
            field.select();
            status.textContent = status.getAttribute("data-failed");
          }
        );
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
