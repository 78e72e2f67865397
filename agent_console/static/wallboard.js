// The wallboard refreshes itself: it asks data.json every few seconds and redraws the
// figures, and at once when the server's event stream says something changed. When a
// refresh fails, or none has succeeded for three periods, a warning says since when the
// board has not been updated.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) return;
  var url = board.getAttribute("data-url");
  var period = (parseInt(board.getAttribute("data-refresh"), 10) || 3) * 1000;
  var staleText = board.getAttribute("data-stale-text") || "{time}";
  var warning = document.querySelector(".stale-warning");
  var lastOk = Date.now();
  var lastShown = (board.querySelector('[data-field="updated"]') || {}).textContent || "";

  function get(data, path) {
    return path.split(".").reduce(function (v, k) { return v == null ? v : v[k]; }, data);
  }

  function setText(el, value) {
    var text = value == null ? "" : String(value);
    if (el.textContent !== text) el.textContent = text;
  }

  function rows(tbody, items, cells, rowClass) {
    tbody.replaceChildren.apply(tbody, items.map(function (item) {
      var tr = document.createElement("tr");
      if (rowClass) tr.className = rowClass(item);
      cells.forEach(function (name) {
        var td = document.createElement("td");
        td.textContent = item[name] == null ? "" : String(item[name]);
        tr.appendChild(td);
      });
      return tr;
    }));
  }

  function draw(data) {
    board.querySelectorAll("[data-field]").forEach(function (el) {
      setText(el, get(data, el.getAttribute("data-field")));
    });
    data.queues.forEach(function (q) {
      var tile = board.querySelector('[data-queue="' + q.queue + '"]');
      if (!tile) return;
      tile.querySelectorAll("[data-q]").forEach(function (el) {
        setText(el, q[el.getAttribute("data-q")]);
      });
      tile.classList.toggle("has-waiting", q.waiting > 0);
    });
    data.agent_counts.forEach(function (s) {
      var item = board.querySelector('[data-state="' + s.state + '"] [data-count]');
      if (item) setText(item, s.count);
    });
    rows(board.querySelector('[data-list="agents"]'), data.agents,
      ["name", "label", "since", "for_text", "reason"],
      function (a) { return "state-" + a.state; });
    rows(board.querySelector('[data-list="overdue"]'), data.overdue,
      ["number", "category", "status", "due_at", "overdue_text"]);
    rows(board.querySelector('[data-list="escalations"]'), data.escalations || [],
      ["number", "trade", "status_text", "person", "started", "accepted"],
      function (e) { return "escalation-" + e.status; });
    lastShown = data.updated;
  }

  function stale(isStale) {
    document.body.classList.toggle("stale", isStale);
    warning.hidden = !isStale;
    if (isStale) warning.textContent = staleText.replace("{time}", lastShown);
  }

  var timer = null;
  var busy = false;
  var again = false;

  function refresh(fresh) {
    if (busy) { again = true; return; }
    busy = true;
    window.clearTimeout(timer);
    var target = fresh ? url + (url.indexOf("?") < 0 ? "?" : "&") + "fresh=1" : url;
    fetch(target, { headers: { Accept: "application/json" }, credentials: "same-origin",
                 cache: "no-store", redirect: "error" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (data) { draw(data); lastOk = Date.now(); stale(false); })
      .catch(function () { stale(true); })
      .finally(function () {
        if (Date.now() - lastOk > 3 * period) stale(true);
        busy = false;
        if (again) { again = false; refresh(true); return; }
        timer = window.setTimeout(refresh, period);
      });
  }

  timer = window.setTimeout(refresh, period);
  var events = board.getAttribute("data-events");
  if (events && window.EventSource) {
    new EventSource(events).addEventListener("changed", function () { refresh(true); });
  }
})();
