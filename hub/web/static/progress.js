// Polls the progress endpoint and updates the bar without reloading the page.
(function () {
  "use strict";
  var box = document.getElementById("sync-progress");
  if (!box) { return; }
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");
  var state = document.getElementById("progress-state");
  var status = document.getElementById("progress-status");
  var interval = Number(box.getAttribute("data-interval") || 1000);

  function show(p) {
    bar.value = p.percent;
    bar.textContent = p.percent + "%";
    text.textContent = p.done + " of " + p.total + " records sent (" + p.percent + "%)";
    state.textContent = p.finished ? "Finished." : "Working…";
    status.textContent = p.status;
    box.setAttribute("data-finished", p.finished ? "yes" : "no");
  }

  function poll() {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (p) { show(p); if (!p.finished) { setTimeout(poll, interval); } })
      .catch(function () { setTimeout(poll, interval * 5); });
  }
  poll();
}());
