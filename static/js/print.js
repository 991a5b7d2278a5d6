/* A "Print" button (data-print) prints the page: the handler lives here, not in an onclick attribute, because the
   Content-Security-Policy allows no inline script. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
