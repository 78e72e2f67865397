/* Follow-up tasks: "Show number" asks the server for the whole number to call (audited)
 * and shows it in place of the masked one.
 *
 * Campaigns: the progress page asks progress.json every few seconds and redraws its
 * figures ([data-field], [data-status], the bar). When a request fails, a warning says
 * since when the figures are stale; it goes when a request works again. Polling stops
 * once the campaign is finished or cancelled and no job is open.
 */
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.show-number") : null;
    if (!button) { return; }
    fetch(button.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRFToken": csrf ? csrf.getAttribute("content") : "", "Accept": "application/json"}
    }).then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        var shown = button.parentNode.querySelector(".number");
        if (shown) { shown.textContent = data.number; }
        button.hidden = true;
      })
      .catch(function () { button.disabled = true; });
  });

  var box = document.getElementById("campaign-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-url");
  var labelsEl = document.getElementById("campaign-labels");
  var names = labelsEl ? JSON.parse(labelsEl.textContent) : {};
  var stale = box.querySelector(".stale");
  var lastGood = new Date();
  var EVERY = 3000;

  function put(selector, value) {
    var el = box.querySelector(selector);
    if (el) { el.textContent = value; }
  }

  function draw(data) {
    put('[data-field="status"]', names[data.status] || data.status);
    ["jobs", "completed", "completed_percent", "attempts", "failed_attempts", "manual"].forEach(
      function (key) { put('[data-field="' + key + '"]', data[key]); });
    Object.keys(data.by_status).forEach(function (status) {
      put('[data-status="' + status + '"]', data.by_status[status]);
    });
    var bar = box.querySelector("[data-bar]");
    if (bar) { bar.style.width = data.completed_percent + "%"; }
    var meter = box.querySelector('[role="progressbar"]');
    if (meter) { meter.setAttribute("aria-valuenow", data.completed_percent); }
    box.setAttribute("data-updated", String(Date.now()));
  }

  function refresh() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        draw(data);
        lastGood = new Date();
        if (stale) { stale.hidden = true; }
        var over = (data.status === "finished" || data.status === "cancelled") && !data.open;
        if (!over) { window.setTimeout(refresh, EVERY); }
      })
      .catch(function () {
        if (stale) {
          stale.textContent = (box.getAttribute("data-stale") || "{time}")
            .replace("{time}", lastGood.toLocaleTimeString());
          stale.hidden = false;
        }
        window.setTimeout(refresh, EVERY);
      });
  }

  window.setTimeout(refresh, EVERY);
}());
