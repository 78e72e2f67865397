/* The call simulator: a phone in the browser that follows the hotline's TwiML as Twilio would.
 *
 * The server signs every request (POST /simulator/send); this page only says
 * which webhook URL and which parameters, then executes the TwiML it gets back,
 * verb after verb: <Say>, <Play>, <Pause>, <Gather>, <Record>, <Redirect>,
 * <Enqueue> (calling its waitUrl again each time its TwiML ends, as Twilio
 * does), <Leave>, <Dial>, <Hangup>, <Reject>. A document that runs out of
 * verbs ends the call, as on Twilio. Plain JavaScript, no build step.
 */
"use strict";

(() => {
  const root = document.getElementById("simulator");
  const $ = (id) => document.getElementById(id);
  const urls = {
    calls: root.dataset.callsUrl,
    send: root.dataset.sendUrl,
    residents: root.dataset.residentsUrl,
    state: root.dataset.stateUrl,
    rings: root.dataset.ringsUrl,
  };
  const RING_POLL_MS = 3000; // how often an idle phone asks whether the hotline is calling it
  const PURPOSES = { callback: "回访 Callback", survey: "满意度调查 Survey", on_call: "值班 On-call" };
  const HOLD_SLICE_MS = 10000; // longest a hold cycle plays before asking the wait URL again
  const HOLD_MIN_MS = 8000; // shortest, so that a hold track that fails to load does not spin
  const MS_PER_CHAR = 90; // reading time for a <Say> that is not spoken
  const STOP = Symbol("stop"); // the call is over: leave every verb
  const LEAVE = Symbol("leave"); // <Leave>: out of the queue, to the <Enqueue> action

  let token = "";
  let selectedPhone = null;
  let hotlines = []; // [{e164, community, code}]
  let call = null; // the call in progress: {sid, url, stop, hungUp, over, queue, answeredBy, …}
  const ending = () => call.over || call.hungUp;

  // ---- what the caller sees -------------------------------------------------------------

  const STATES = {
    idle: "空闲 Idle",
    calling: "正在呼叫… Calling…",
    ringing: "热线来电 The hotline is calling",
    ivr: "通话中 In call",
    gather: "请按键或说话 Your turn: press keys or speak",
    record: "留言中 Recording",
    dial: "正在转接值班电话 Dialling on-call",
    queue: "排队中，等待客服接听 In queue, waiting for an agent",
    connected: "已接通客服 Connected to an agent",
    ended: "通话已结束 Call ended",
  };

  function setState(state, detail) {
    $("phone").dataset.state = state;
    const [zh, ...en] = STATES[state].split(" ");
    const status = $("status");
    status.textContent = zh + " ";
    const span = document.createElement("span");
    span.className = "en";
    span.textContent = en.join(" ") + (detail ? ` · ${detail}` : "");
    status.append(span);
    $("queue").hidden = state !== "queue" && state !== "connected";
  }

  function log(kind, text, lang) {
    const item = document.createElement("li");
    item.className = kind;
    item.textContent = text;
    if (lang) item.lang = lang;
    $("transcript").append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function show(panel) {
    for (const id of ["gather", "record", "dial"]) $(id).hidden = id !== panel;
  }

  // ---- the server: signed webhook requests ----------------------------------------------

  async function api(url, body) {
    const headers = { "Content-Type": "application/json" };
    if (token) headers["X-Hotline-Twilio-Token"] = token;
    const response = await fetch(url, {
      method: body === undefined ? "GET" : "POST",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    return data;
  }

  /** One webhook request of the call; its TwiML (or "" for a callback that answers nothing). */
  async function send(url, params, queue) {
    const reply = await api(urls.send, { sid: call.sid, url, params: params || {}, queue });
    if (reply.status >= 400) {
      throw new Error(`webhook ${url} answered ${reply.status}: ${reply.twiml.trim()}`);
    }
    if (reply.status === 200 && !queue) call.url = url; // a <Gather>'s default action
    return reply;
  }

  // ---- waiting, cancellable by hanging up -----------------------------------------------

  function sleep(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      call.stop.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Resolves when the caller presses Skip (or hangs up). */
  function skipped() {
    const button = $("skip");
    button.disabled = false;
    return new Promise((resolve) => {
      button.onclick = () => resolve();
      call.stop.then(resolve);
    });
  }

  function speechLanguage(tag) {
    // Twilio's Mandarin is cmn-CN (Say) or cmn-Hans-CN (Gather); browsers know zh-CN.
    if (!tag) return "zh-CN";
    return tag.startsWith("cmn") || tag.startsWith("zh") ? "zh-CN" : tag;
  }

  function canSpeak(lang) {
    if ($("mute").checked || !("speechSynthesis" in window)) return false;
    const voices = window.speechSynthesis.getVoices();
    return voices.some((v) => v.lang.replace("_", "-").startsWith(lang.slice(0, 2)));
  }

  /** Show and speak a text; never blocks longer than its reading time when speech is missing. */
  function speak(text, tag, interrupt) {
    const lang = speechLanguage(tag);
    log("ivr", text, lang);
    const reading = Math.min(12000, 800 + text.length * MS_PER_CHAR);
    const stops = [call.stop, skipped()];
    if (interrupt) stops.push(interrupt);
    if (!canSpeak(lang)) {
      return Promise.race([sleep(reading), ...stops]);
    }
    return Promise.race([
      new Promise((resolve) => {
        const utterance = new SpeechSynthesisUtterance(text);
        utterance.lang = lang;
        utterance.onend = resolve;
        utterance.onerror = resolve;
        window.speechSynthesis.speak(utterance);
        setTimeout(resolve, reading * 4 + 3000); // some engines never say they ended
      }),
      ...stops,
    ]).finally(() => window.speechSynthesis.cancel());
  }

  function play(url, limitMs, interrupt) {
    log("event", `♪ ${url.split("/").pop()}`);
    const audio = new Audio(url);
    const stops = [call.stop, skipped()];
    if (interrupt) stops.push(interrupt);
    if (limitMs) stops.push(sleep(limitMs));
    const ended = new Promise((resolve) => {
      audio.onended = resolve;
      audio.onerror = resolve;
      if ($("mute").checked) audio.muted = true;
      audio.play().catch(resolve);
    });
    return Promise.race([ended, ...stops]).finally(() => audio.pause());
  }

  function beep() {
    try {
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      tone.frequency.value = 880;
      tone.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.3);
    } catch (_) {
      /* no audio output: the red dot says it */
    }
  }

  // ---- the verbs ------------------------------------------------------------------------

  const attr = (verb, name, fallback) =>
    verb.hasAttribute(name) ? verb.getAttribute(name) : fallback;
  const seconds = (verb, name, fallback) => {
    const value = parseInt(attr(verb, name, ""), 10);
    return Number.isFinite(value) ? value : fallback;
  };

  /** Each verb: undefined to go on, a TwiML string to follow instead, STOP or LEAVE. */
  const VERBS = {
    async Say(verb, hold) {
      const text = verb.textContent.trim();
      const loops = Math.max(1, seconds(verb, "loop", 1));
      for (let i = 0; i < loops && text && !ending(); i += 1) {
        await speak(text, attr(verb, "language", ""), hold && hold.interrupt);
      }
    },
    async Play(verb, hold) {
      const url = verb.textContent.trim();
      if (url) await play(url, hold ? hold.limitMs : 0, hold && hold.interrupt);
    },
    async Pause(verb, hold) {
      const ms = seconds(verb, "length", 1) * 1000;
      log("event", `… ${ms / 1000}s`);
      const stops = [sleep(hold && hold.limitMs ? Math.min(ms, hold.limitMs) : ms), skipped()];
      if (hold && hold.interrupt) stops.push(hold.interrupt);
      await Promise.race(stops);
    },
    Gather: gather,
    Record: record,
    async Redirect(verb) {
      return (await send(verb.textContent.trim(), {})).twiml;
    },
    Enqueue: enqueue,
    Dial: dial,
    async Leave() {
      return LEAVE;
    },
    async Hangup() {
      return STOP;
    },
    async Reject() {
      return STOP;
    },
  };

  function verbsOf(twiml) {
    const doc = new DOMParser().parseFromString(twiml, "text/xml");
    const response = doc.documentElement;
    if (doc.getElementsByTagName("parsererror").length || response.nodeName !== "Response") {
      throw new Error(`not TwiML: ${twiml.slice(0, 200)}`);
    }
    return Array.from(response.children);
  }

  async function run(verb, hold) {
    const handler = VERBS[verb.nodeName];
    if (!handler) {
      log("event", `(<${verb.nodeName}> is not simulated)`);
      return undefined;
    }
    return handler(verb, hold);
  }

  /** Follow TwiML documents until the call ends, as Twilio does. */
  async function follow(twiml) {
    let next = twiml;
    while (next !== null && !call.over) {
      next = await document_(next);
    }
  }

  async function document_(twiml) {
    for (const verb of verbsOf(twiml)) {
      if (call.over) return null;
      if (call.hungUp) break;
      setState(call.queue ? "queue" : "ivr");
      const outcome = await run(verb);
      if (typeof outcome === "string") return outcome;
      if (outcome === STOP) break;
    }
    await end("completed");
    return null;
  }

  function gather(verb) {
    const numDigits = seconds(verb, "numDigits", Infinity) || Infinity;
    const finishOnKey = attr(verb, "finishOnKey", "#");
    const timeoutMs = seconds(verb, "timeout", 5) * 1000;
    const speech = attr(verb, "input", "dtmf").includes("speech");
    const onEmpty = attr(verb, "actionOnEmptyResult", "false") === "true";
    const action = attr(verb, "action", call.url);
    let digits = "";
    let timer = null;
    let done = null;
    let finished = false;
    const answered = new Promise((resolve) => {
      done = resolve;
    });
    const finish = (params) => {
      finished = true;
      clearTimeout(timer);
      clearInterval(countdown.tick);
      done(params);
    };
    const countdown = { tick: null };
    const restart = () => {
      clearTimeout(timer);
      clearInterval(countdown.tick);
      let left = timeoutMs / 1000;
      $("gather-timer").textContent = `${left}s`;
      countdown.tick = setInterval(() => {
        left = Math.max(0, left - 1);
        $("gather-timer").textContent = `${left}s`;
      }, 1000);
      timer = setTimeout(
        () => finish(digits ? { Digits: digits, FinishedOnKey: "" } : null),
        timeoutMs,
      );
    };

    setState("gather");
    show("gather");
    call.gathers += 1;
    $("phone").dataset.gathers = String(call.gathers); // which turn this is, for the tests
    $("gather-digits").textContent = "";
    $("gather-timer").textContent = "";
    $("speech").disabled = !speech;
    $("speech").value = "";
    call.key = (key) => {
      if (finishOnKey && key === finishOnKey) {
        finish({ Digits: digits, FinishedOnKey: key });
        return;
      }
      digits += key;
      $("gather-digits").textContent = digits;
      if (digits.length >= numDigits) finish({ Digits: digits, FinishedOnKey: "" });
      else restart();
    };
    call.say = speech ? (text) => finish({ SpeechResult: text, Confidence: "0.92" }) : null;
    call.stop.then(() => finish(STOP));

    // The prompts nested in the gather play while the caller may already answer (barge-in).
    (async () => {
      for (const prompt of Array.from(verb.children)) {
        await run(prompt, { interrupt: answered, limitMs: 0 });
        if (finished || digits || ending()) break;
      }
      if (!finished && !digits && !ending()) restart();
    })();

    return answered.then(async (params) => {
      call.key = null;
      call.say = null;
      show(null);
      if (params === STOP) return STOP;
      if (params === null) {
        log("event", "（无输入 no input）");
        if (!onEmpty) return undefined;
      } else {
        log("caller", params.SpeechResult ? `🗣 ${params.SpeechResult}` : `⌨ ${params.Digits}`);
      }
      return (await send(action, params || {})).twiml;
    });
  }

  async function record(verb) {
    const maxMs = seconds(verb, "maxLength", 3600) * 1000;
    if (attr(verb, "playBeep", "true") !== "false") beep();
    setState("record");
    show("record");
    $("message").value = "";
    const started = Date.now();
    const outcome = await new Promise((resolve) => {
      $("record-done").onclick = () => resolve("message");
      $("record-silent").onclick = () => resolve("silent");
      sleep(maxMs).then(() => resolve("message"));
      call.stop.then(() => resolve(STOP));
    });
    show(null);
    if (outcome === STOP) return STOP;
    if (outcome === "silent") {
      log("event", "（未留言 no message）"); // Twilio skips the action and goes on
      return undefined;
    }
    const duration = String(Math.max(1, Math.min(maxMs, Date.now() - started) / 1000) | 0);
    const sid = "RE" + hex(32);
    const recording = {
      RecordingUrl: `${location.origin}/simulator/recordings/${sid}`,
      RecordingDuration: duration,
      RecordingSid: sid,
    };
    log("caller", `🎙 ${$("message").value || "（留言 message）"} · ${duration}s`);
    const reply = await send(attr(verb, "action", call.url), { ...recording, Digits: "#" });
    const callback = attr(verb, "recordingStatusCallback", "");
    if (callback) {
      await send(callback, {
        ...recording,
        RecordingStatus: "completed",
        RecordingChannels: "1",
        RecordingSource: "RecordVerb",
      }).catch((error) => log("error", error.message));
    }
    return reply.twiml;
  }

  async function dial(verb) {
    const number = verb.textContent.trim();
    const ringMs = seconds(verb, "timeout", 30) * 1000;
    setState("dial");
    show("dial");
    $("dial-number").textContent = number;
    log("event", `☎ 正在拨打值班电话 dialling on-call ${number}`);
    const status = await new Promise((resolve) => {
      for (const button of $("dial").querySelectorAll("button[data-dial]")) {
        button.onclick = () => resolve(button.dataset.dial);
      }
      sleep(ringMs).then(() => resolve("no-answer"));
      call.stop.then(() => resolve(STOP));
    });
    show(null);
    if (status === STOP) return STOP;
    log("event", `☎ ${status}`);
    const action = attr(verb, "action", "");
    if (!action) return status === "completed" ? STOP : undefined;
    const params = { DialCallStatus: status, DialCallSid: "CA" + hex(32), DialCallDuration: "0" };
    return (await send(action, params)).twiml;
  }

  async function enqueue(verb) {
    const name = verb.textContent.trim();
    const waitUrl = attr(verb, "waitUrl", "");
    const action = attr(verb, "action", "");
    call.queue = name;
    $("queue-name").textContent = name;
    setState("queue");
    log("event", `⏳ 排队 queue: ${name}`);
    let result = await hold(waitUrl, name);
    call.queue = null;
    if (result === STOP) {
      // The caller hung up while waiting (or talking): Twilio tells the action how it ended.
      result = call.answeredBy ? "bridged" : "hangup";
      if (action) await send(action, { QueueResult: result }).catch(() => {});
      return STOP;
    }
    return action ? (await send(action, { QueueResult: result })).twiml : undefined;
  }

  /** The queue's wait loop: the wait URL's TwiML, again and again, until an agent answers. */
  async function hold(waitUrl, name) {
    while (!ending()) {
      const started = Date.now();
      const reply = waitUrl ? await send(waitUrl, {}, name) : { twiml: "<Response/>", queue: null };
      showPlace(reply.queue);
      if (reply.queue && reply.queue.answered_by) return connected(reply.queue.answered_by);
      const answered = watchForAnswer();
      for (const verb of verbsOf(reply.twiml)) {
        if (ending() || answered.done) break;
        const outcome = await run(verb, { interrupt: answered.promise, limitMs: HOLD_SLICE_MS });
        if (outcome === LEAVE) return "leave";
      }
      answered.cancel();
      if (answered.done) return connected(answered.by);
      await sleep(Math.max(0, HOLD_MIN_MS - (Date.now() - started)));
    }
    return STOP;
  }

  function showPlace(queue) {
    if (!queue) return;
    $("queue-position").textContent = queue.position || "–";
    $("queue-position-en").textContent = queue.position || "–";
  }

  /** Asks every two seconds whether an agent took the call; resolves when one did. */
  function watchForAnswer() {
    const watch = { done: false, by: "", cancel: null };
    let timer = null;
    watch.promise = new Promise((resolve) => {
      const ask = async () => {
        try {
          const state = await api(urls.state + encodeURIComponent(call.sid));
          showPlace(state.queue);
          if (state.queue && state.queue.answered_by) {
            Object.assign(watch, { done: true, by: state.queue.answered_by });
            resolve();
            return;
          }
        } catch (_) {
          /* the next question will tell */
        }
        timer = setTimeout(ask, 2000);
      };
      timer = setTimeout(ask, 2000);
      watch.cancel = () => clearTimeout(timer);
    });
    return watch;
  }

  async function connected(agent) {
    call.answeredBy = agent;
    setState("connected", agent);
    log("event", `✅ 已接通客服 connected to ${agent}`);
    const talking = call;
    const watch = setInterval(async () => {
      // The agent may end the conversation from the console's desk.
      if (talking.over || talking.hungUp) return clearInterval(watch);
      try {
        const state = await api(urls.state + encodeURIComponent(talking.sid));
        if (state.queue && state.queue.agent_hung_up && !talking.hungUp) {
          clearInterval(watch);
          log("event", "客服已挂断 the agent hung up");
          talking.hungUp = true;
          $("hangup").disabled = true;
          talking.hangUp();
        }
      } catch (_) {
        /* the next question will tell */
      }
    }, 2000);
    await call.stop; // the caller talks until hanging up
    clearInterval(watch);
    return STOP;
  }

  // ---- placing and ending calls ---------------------------------------------------------

  function hex(n) {
    const bytes = crypto.getRandomValues(new Uint8Array(n / 2));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function place() {
    const who = document.querySelector("input[name=who]:checked").value;
    const body = { to: $("hotline").value };
    if (who === "resident") {
      if (!selectedPhone) return log("error", "请选择住户 Choose a resident first");
      body.phone_id = selectedPhone;
    } else {
      body.number = $("caller-number").value.trim();
      if (!body.number) return log("error", "请输入号码 Type a number first");
    }
    return start(urls.calls, body, `→ ${body.to}`);
  }

  /** A call begins: placed by the caller, or a ring of the hotline's picked up. */
  async function start(url, body, label) {
    $("transcript").replaceChildren();
    $("ring").hidden = true;
    let hungUp = null;
    call = {
      sid: null,
      url: "",
      over: false,
      stop: new Promise((resolve) => {
        hungUp = resolve;
      }),
      queue: null,
      answeredBy: "",
      gathers: 0,
      started: Date.now(),
      sequence: 0,
    };
    call.hangUp = hungUp;
    call.url = "/twilio/voice";
    call.statusUrl = "/twilio/status"; // the number's status callback
    $("call").disabled = true;
    $("hangup").disabled = false;
    setState("calling");
    try {
      const placed = await api(url, body);
      call.sid = placed.sid;
      call.statusUrl = placed.status_url || call.statusUrl;
      log("event", `📞 ${placed.caller} ${label} · ${placed.sid}`);
      if (placed.status >= 400) throw new Error(`the webhook answered ${placed.status}`);
      await follow(placed.twiml);
    } catch (error) {
      log("error", error.message);
      await end("failed");
    }
  }

  /** The call is over: the number's status callback hears how, and the phone is idle again. */
  async function end(status) {
    if (!call || call.over) return;
    call.over = true;
    call.hangUp();
    show(null);
    setState("ended");
    $("hangup").disabled = true;
    $("skip").disabled = true;
    $("call").disabled = false;
    if (!call.sid) return;
    const params = {
      CallStatus: status,
      CallDuration: String(Math.round((Date.now() - call.started) / 1000)),
      CallbackSource: "call-progress-events",
      SequenceNumber: String(call.sequence),
      Timestamp: new Date().toUTCString().replace("GMT", "+0000"),
    };
    try {
      await send(call.statusUrl, params);
    } catch (error) {
      log("error", error.message);
    }
  }

  /** Every verb stops; an <Enqueue> tells its action, then the status callback says completed. */
  function hangUpByCaller() {
    if (!call || call.over || call.hungUp) return;
    log("caller", "挂断 hung up");
    call.hungUp = true;
    $("hangup").disabled = true;
    call.hangUp();
  }

  // ---- the hotline calling the simulator (callbacks, surveys) ---------------------------

  let ringing = null;

  async function pollRings() {
    const idle = !call || call.over;
    if (idle && (root.dataset.simulated === "true" || token)) {
      try {
        const data = await api(urls.rings);
        showRing(data.rings[0] || null);
      } catch (_) {
        /* asked again soon */
      }
    }
    setTimeout(pollRings, RING_POLL_MS);
  }

  function showRing(ring) {
    ringing = ring;
    $("ring").hidden = !ring;
    if (!ring) {
      if ($("phone").dataset.state === "ringing") setState("idle");
      return;
    }
    $("ring-purpose").textContent = PURPOSES[ring.purpose] || ring.purpose;
    $("ring-to").textContent = ring.to;
    setState("ringing");
  }

  async function decline(status) {
    if (!ringing) return;
    const sid = ringing.sid;
    showRing(null);
    setState("idle");
    try {
      await api(`${urls.rings}/${encodeURIComponent(sid)}/decline`, { status });
      log("event", `🔕 ${status} · ${sid}`);
    } catch (error) {
      log("error", error.message);
    }
  }

  // ---- choosing the caller --------------------------------------------------------------

  async function loadResidents() {
    const query = $("resident-search").value.trim();
    let data;
    try {
      data = await api(`${urls.residents}?q=${encodeURIComponent(query)}`);
    } catch (error) {
      $("residents").replaceChildren(item("empty", error.message));
      return;
    }
    const list = data.residents.map((r) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.phoneId = r.phone_id;
      button.setAttribute("aria-pressed", String(r.phone_id === selectedPhone));
      const name = document.createElement("span");
      name.textContent = r.name;
      const home = document.createElement("span");
      home.className = "home";
      home.textContent = r.community ? `${r.community} ${r.home}` : "";
      const number = document.createElement("span");
      number.className = "number";
      number.textContent = `${r.number} · ${r.label}`;
      button.append(name, home, number);
      button.onclick = () => {
        selectedPhone = r.phone_id;
        const hotline = hotlines.find((n) => n.code === r.code);
        if (hotline) $("hotline").value = hotline.e164; // the resident's own community
        for (const other of $("residents").querySelectorAll("button")) {
          other.setAttribute("aria-pressed", String(other === button));
        }
      };
      li.append(button);
      return li;
    });
    $("residents").replaceChildren(...(list.length ? list : [item("empty", "无匹配 No match")]));
    hotlines = data.hotlines;
    if (!$("hotline").options.length) {
      for (const n of data.hotlines) {
        $("hotline").add(new Option(`${n.community} · ${n.e164}`, n.e164));
      }
    }
  }

  function item(className, text) {
    const li = document.createElement("li");
    li.className = className;
    li.textContent = text;
    return li;
  }

  // ---- wiring ---------------------------------------------------------------------------

  for (const radio of document.querySelectorAll("input[name=who]")) {
    radio.onchange = () => {
      const who = document.querySelector("input[name=who]:checked").value;
      $("resident-picker").hidden = who !== "resident";
      $("number-picker").hidden = who !== "number";
    };
  }
  let searching = null;
  $("resident-search").oninput = () => {
    clearTimeout(searching);
    searching = setTimeout(loadResidents, 250);
  };
  for (const key of document.querySelectorAll(".key")) {
    key.onclick = () => call && call.key && call.key(key.dataset.key);
  }
  document.addEventListener("keydown", (event) => {
    if (event.target.matches("input, textarea, select")) return;
    if (call && call.key && /^[0-9*#]$/.test(event.key)) call.key(event.key);
  });
  $("speech-form").onsubmit = (event) => {
    event.preventDefault();
    const text = $("speech").value.trim();
    if (text && call && call.say) call.say(text);
  };
  $("call").onclick = place;
  $("ring-answer").onclick = () => {
    if (!ringing) return;
    const sid = ringing.sid;
    const label = `← ${PURPOSES[ringing.purpose] || ringing.purpose}`;
    showRing(null);
    start(`${urls.rings}/${encodeURIComponent(sid)}/answer`, {}, label);
  };
  for (const button of document.querySelectorAll("button[data-decline]")) {
    button.onclick = () => decline(button.dataset.decline);
  }
  $("hangup").onclick = hangUpByCaller;
  if ($("token-use")) {
    $("token-use").onclick = () => {
      token = $("token").value.trim();
      loadResidents();
    };
  }
  if (root.dataset.simulated === "true") loadResidents();
  setState("idle");
  pollRings();
})();
