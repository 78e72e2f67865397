/* Work orders: live countdowns to each order's running deadline, and the new-order form.
 *
 * A countdown is any element with data-due (an ISO time in UTC). The page's
 * <meta name="server-now"> corrects for a browser clock that is wrong. Overdue
 * countdowns, and the [data-sla-row] element around them, get the class "overdue".
 */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="server-now"]');
  var serverNow = meta ? Date.parse(meta.getAttribute("content")) : NaN;
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function remaining(seconds, dayLabel) {
    var s = Math.abs(seconds);
    var days = Math.floor(s / 86400);
    s -= days * 86400;
    var clock = pad(Math.floor(s / 3600)) + ":" + pad(Math.floor((s % 3600) / 60)) + ":" + pad(s % 60);
    return days ? days + dayLabel + " " + clock : clock;
  }

  function tick() {
    var now = Date.now() + skew;
    var clocks = document.querySelectorAll("[data-due]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { continue; }
      var left = Math.floor((due - now) / 1000);
      var late = left < 0;
      var text = remaining(left, el.getAttribute("data-day") || "d");
      el.textContent = late ? (el.getAttribute("data-overdue") || "-") + " " + text : text;
      el.classList.toggle("overdue", late);
      var row = el.closest("[data-sla-row]");
      if (row) { row.classList.toggle("overdue", late); }
    }
  }

  /* The form shows the sub-categories of the chosen category, and the complaint and
   * repair fields only for those; hidden fields are disabled, so they are not sent. */
  function followCategory() {
    var category = document.getElementById("wo-category");
    var sub = document.getElementById("wo-subcategory");
    if (!category || !sub) { return; }
    function apply() {
      var chosen = category.value;
      var groups = sub.querySelectorAll("optgroup");
      for (var i = 0; i < groups.length; i++) {
        var mine = groups[i].getAttribute("data-category") === chosen;
        groups[i].hidden = !mine;
        groups[i].disabled = !mine;
      }
      var selected = sub.options[sub.selectedIndex];
      if (selected && selected.parentNode.disabled) { sub.value = ""; }
      var parts = document.querySelectorAll("[data-for]");
      for (var j = 0; j < parts.length; j++) {
        var shown = parts[j].getAttribute("data-for") === chosen;
        parts[j].hidden = !shown;
        var fields = parts[j].querySelectorAll("input, select");
        for (var k = 0; k < fields.length; k++) { fields[k].disabled = !shown; }
        if (parts[j].tagName === "FIELDSET") { parts[j].disabled = !shown; }
      }
    }
    category.addEventListener("change", apply);
    apply();
  }

  followCategory();
  if (document.querySelector("[data-due]")) {
    tick();
    window.setInterval(tick, 1000);
  }

  // Tell the agent's desk, in another tab, that an order of its call was opened or changed.
  var shown = document.querySelector("h1[data-call-id]");
  if (shown && shown.getAttribute("data-call-id") && "BroadcastChannel" in window) {
    new BroadcastChannel("hotline-desk").postMessage({ call: Number(shown.getAttribute("data-call-id")) });
  }
}());
