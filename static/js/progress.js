/* Live progress bar: polls the JSON at data-status-url every second until it says finished, then reloads
   the page to show the outcome (and every data-reload-every seconds, when set). Without JavaScript the page refreshes itself (<noscript> meta refresh). */
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box || box.dataset.finished === "true") { return; }
  var bar = box.querySelector("progress");
  var status = box.querySelector("[data-progress=status]");
  var count = box.querySelector("[data-progress=count]");
  var eta = box.querySelector("[data-progress=eta]");
  // data-reload-every="30": also reload the whole page that often (a chart drawn on the server follows).
  var reloadEvery = parseInt(box.dataset.reloadEvery || "0", 10);
  var loadedAt = Date.now();
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (p) {
        bar.value = p.percent;
        bar.textContent = p.percent + "%";
        status.textContent = p.status_label;
        count.textContent = p.done + " / " + p.total;
        eta.textContent = p.eta_text || "";
        var stale = reloadEvery && Date.now() - loadedAt > reloadEvery * 1000;
        if (p.finished || stale) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
