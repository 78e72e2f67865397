/* The agent's desk: presence, the live screen-pop (Server-Sent Events), answer, wrap-up.
 * Plain JavaScript, no build step. The server sends the whole state of this agent on every
 * (re)connection and on every change, so the page only draws what it is told. */
(function () {
  "use strict";
  const desk = document.getElementById("desk");
  if (!desk) return;
  const $ = (id) => document.getElementById(id);
  const texts = $("texts").dataset;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const urls = {
    events: desk.dataset.events,
    presence: desk.dataset.presence,
    calls: desk.dataset.calls,
    residents: desk.dataset.residents,
  };
  let state = JSON.parse(desk.dataset.state || "{}");
  let source = null;
  let cardCall = null; // the call whose card is shown
  let cardLoading = null;

  function showError(message) {
    const box = $("desk-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }

  async function act(url, body) {
    try {
      showError("");
      const data = await post(url, body);
      if (data && data.presence) draw(data);
      return data;
    } catch (error) {
      showError(error.message);
      return null;
    }
  }

  // ---- drawing the state ------------------------------------------------------------------
  function draw(next) {
    state = next;
    const presence = state.presence || { state: "offline" };
    const label = $("presence-state");
    label.dataset.state = presence.state;
    label.textContent = texts[presence.state] || presence.state;
    const paused = presence.state === "paused" && presence.reason;
    $("presence-reason").textContent = paused ? `(${presence.reason})` : "";
    document.querySelectorAll("[data-presence]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.presence === presence.state));
    });
    const call = state.call;
    const offered = call && call.status === "offered";
    $("offer").hidden = !offered;
    $("answer").hidden = !(offered && call.answerable);
    $("decline").hidden = !offered;
    $("offer-phone").hidden = !(offered && !call.answerable);
    $("on-call").hidden = !(call && call.status === "connected");
    $("calling-back").hidden = !(call && call.status === "callback");
    const wrap = state.wrap_up && state.wrap_up.call_id ? state.wrap_up : null;
    $("wrap-up-box").hidden = !wrap;
    if (wrap) $("wrap-up").elements.call_id.value = wrap.call_id;
    const shown = call ? call.id : wrap ? wrap.call_id : null;
    if (shown && shown !== cardCall) loadCard(shown);
    if (!shown && cardCall) clearCard(); // done with that caller: their file leaves the screen
    tick();
  }

  function clearCard() {
    cardCall = null;
    cardLoading = null;
    const idle = document.createElement("p");
    idle.className = "muted waiting";
    idle.textContent = texts.noCall;
    $("pop-card").replaceChildren(idle);
  }

  async function loadCard(callId, query) {
    cardCall = callId;
    const url = `${urls.calls}${callId}/card${query || ""}`;
    const loading = (cardLoading = fetch(url, { credentials: "same-origin" }));
    try {
      const response = await loading;
      if (loading !== cardLoading) return; // a newer card was asked for meanwhile
      if (!response.ok) throw new Error(`${response.status}`);
      $("pop-card").innerHTML = await response.text();
    } catch (error) {
      if (loading === cardLoading) cardCall = null; // try again on the next state
    }
  }

  // ---- countdowns: SLA deadlines and the wrap-up time --------------------------------------
  // The page's <meta name="server-now"> corrects for a browser clock that is wrong.
  const serverNow = Date.parse(document.querySelector('meta[name="server-now"]')?.content || "");
  const skew = Number.isNaN(serverNow) ? 0 : serverNow - Date.now();

  function remaining(iso) {
    return Math.round((Date.parse(iso) - (Date.now() + skew)) / 1000);
  }

  function clock(seconds) {
    const s = Math.abs(seconds);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const text = `${h ? h + ":" : ""}${String(m).padStart(h ? 2 : 1, "0")}:${String(s % 60).padStart(2, "0")}`;
    return text;
  }

  function tick() {
    document.querySelectorAll("#pop-card [data-due]").forEach((el) => {
      const left = remaining(el.dataset.due);
      el.classList.toggle("overdue", left < 0);
      el.textContent = left < 0 ? `${texts.over} ${clock(left)}` : `${clock(left)} ${texts.left}`;
    });
    const wrap = state.wrap_up;
    const timer = $("wrap-up-timer");
    if (wrap && wrap.until) {
      const left = remaining(wrap.until);
      timer.textContent = left > 0 ? `${texts.freeIn} ${clock(left)}` : "";
    } else {
      timer.textContent = "";
    }
  }
  setInterval(tick, 1000);

  // ---- the stream ---------------------------------------------------------------------------
  function connect() {
    if (source) source.close();
    source = new EventSource(urls.events);
    source.addEventListener("state", (event) => {
      draw(JSON.parse(event.data));
    });
    source.onopen = () => online(true);
    source.onerror = () => {
      online(false);
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000);
    };
  }

  function online(yes) {
    const el = $("connection");
    el.dataset.online = yes ? "1" : "0";
    el.textContent = yes ? texts.online : texts.offlineLink;
  }

  // ---- the agent's actions ------------------------------------------------------------------
  document.querySelectorAll("[data-presence]").forEach((button) => {
    button.addEventListener("click", () =>
      act(urls.presence, {
        state: button.dataset.presence,
        reason: $("pause-reason").value,
        reason_text: $("pause-text").value,
      }),
    );
  });
  $("answer").addEventListener("click", () => state.call && act(`${urls.calls}${state.call.id}/answer`));
  $("decline").addEventListener("click", () => state.call && act(`${urls.calls}${state.call.id}/decline`));
  $("hang-up").addEventListener("click", () => state.call && act(`${urls.calls}${state.call.id}/hang-up`));

  $("wrap-up").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = {
      code: form.elements.code.value,
      notes: form.elements.notes.value,
      then: form.elements.then.value,
      reason: $("pause-reason").value,
      reason_text: $("pause-text").value,
    };
    const done = await act(`${urls.calls}${form.elements.call_id.value}/wrap-up`, body);
    if (done) {
      form.reset();
      refreshRecent();
    }
  });

  /** The "recent calls" table as the server draws it now (with the call just wrapped up). */
  async function refreshRecent() {
    try {
      const response = await fetch(window.location.pathname, { credentials: "same-origin" });
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const table = fresh.querySelector(".recent tbody");
      if (response.ok && table) document.querySelector(".recent tbody").replaceWith(table);
    } catch (_) {
      /* the next page load shows it */
    }
  }

  // Inside the card (replaced on every load): delegated handlers.
  const pop = $("pop-card");
  pop.addEventListener("click", async (event) => {
    const target = event.target.closest("button");
    if (!target) return;
    const card = target.closest(".pop-card");
    const callId = card && card.dataset.callId;
    if (target.classList.contains("unmask")) {
      const data = await act(`${urls.calls}${callId}/unmask`);
      if (data) card.querySelector(".caller-number").textContent = data.number;
    } else if (target.classList.contains("choose-match") || target.classList.contains("attach")) {
      const body = { resident_id: target.dataset.residentId || "", unit_id: target.dataset.unitId };
      if (await act(`${urls.calls}${callId}/attach`, body)) loadCard(Number(callId));
    } else if (target.classList.contains("add-here")) {
      const form = card.querySelector(".new-resident");
      form.elements.unit_id.value = target.dataset.unitId;
      form.hidden = false;
      form.elements.name.focus();
    }
  });
  pop.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const card = form.closest(".pop-card");
    const callId = card.dataset.callId;
    if (form.classList.contains("resident-search")) {
      await search(card, form.elements.q.value);
    } else if (form.classList.contains("new-resident")) {
      const body = {
        name: form.elements.name.value,
        role: form.elements.role.value,
        unit_id: form.elements.unit_id.value,
      };
      if (await act(`${urls.calls}${callId}/residents`, body)) loadCard(Number(callId));
    }
  });

  async function search(card, query) {
    const list = card.querySelector(".search-results");
    list.textContent = "";
    const response = await fetch(`${urls.residents}?q=${encodeURIComponent(query)}`, {
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({ found: [] }));
    for (const found of data.found || []) {
      const item = document.createElement("li");
      item.textContent = `${found.name || "–"} · ${found.community} ${found.address} `;
      if (found.resident_id) item.append(button("attach", found, "✓"));
      item.append(button("add-here", found, "+"));
      list.append(item);
    }
  }

  function button(kind, found, label) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = kind;
    b.dataset.unitId = found.unit_id;
    if (found.resident_id) b.dataset.residentId = found.resident_id;
    b.textContent = label;
    b.title = kind === "attach" ? texts.attach || "" : texts.addHere || "";
    return b;
  }

  // A work order opened or changed for this call in another tab (the card's "New work
  // order" link opens one): draw the card again, with the order on it.
  if ("BroadcastChannel" in window) {
    new BroadcastChannel("hotline-desk").onmessage = (event) => {
      if (cardCall !== null && event.data && event.data.call === Number(cardCall)) loadCard(cardCall);
    };
  }

  draw(state);
  connect();
})();
