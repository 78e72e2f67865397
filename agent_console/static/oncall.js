// A work order's on-call escalation, redrawn when the event bus says its ladder moved.
(function () {
  "use strict";
  var section = document.getElementById("order-escalation");
  if (!section || !window.EventSource) { return; }
  var order = Number(section.dataset.orderId);

  function redraw() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html")
          .getElementById("order-escalation");
        var now = document.getElementById("order-escalation");
        if (fresh && now) { now.replaceWith(fresh); }
      })
      .catch(function () { /* the next event tries again */ });
  }

  new EventSource(section.dataset.events).addEventListener("escalation", function (event) {
    var data = JSON.parse(event.data);
    if (data.work_order_id === order) { redraw(); }
  });
})();
