"use strict";
// The agent's desk: his state, the call the ACD offers him with its customer popped over the
// WebSocket (before his phone rings), the call controls and the disposition. The outcome forms
// are in agent_outcomes.js. The session lives in an HttpOnly cookie the page never sees; every
// request names the page (X-Requested-With) so the engine knows it is not a forged one.
const Agent = (() => {
  const $ = (sel) => document.querySelector(sel);
  const LANG_KEY = "atende.lang";
  const ON_A_CALL = ["reserved", "ringing", "on_call", "wrap_up"];
  const OUTBOUND_PAUSE = "outbound call"; // the ACD's pause while the agent's own call lasts
  let lang = AGENT_TEXT[localStorage.getItem(LANG_KEY)] ? localStorage.getItem(LANG_KEY) : "pt-BR";
  const t = () => AGENT_TEXT[lang];

  const desk = {
    me: null, // the last state document (GET /api/agent/me or a "state" message)
    lastCall: null, // the last call the state named (kept for its disposition)
    outbound: null, // the number of the agent's click-to-call under way
    outboundSeen: false, // the ACD has paused the agent for that call
    callId: null, // the call on screen
    callKey: null, // its id, or one key for a click-to-call (no id until the agent answers)
    candidates: [], // customers of the call's number
    customer: null, // "CODE-STORE" on screen
    view: null, // its view document
    socket: null,
    retry: 500,
    ticker: null,
    signedIn: false,
  };

  class ApiError extends Error {
    constructor(status, code, message, fields) {
      super(message); this.status = status; this.code = code; this.fields = fields || [];
    }
  }

  async function api(path, body, method) {
    const headers = { "X-Requested-With": "atende" };
    const options = { headers, credentials: "same-origin", method: method || (body === undefined ? "GET" : "POST") };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    const res = await fetch(path, options);
    const data = await res.json().catch(() => ({}));
    if (res.status === 401 && path !== "/api/login") showLogin();
    if (!res.ok) {
      const e = data.error || {};
      throw new ApiError(res.status, e.code || String(res.status), e.message || res.statusText, e.fields);
    }
    return data;
  }

  /** What to tell the agent when the engine refuses: our words for known codes, else its own. */
  function reason(err) {
    return (err.code && t().errors[err.code]) || err.message;
  }

  function say(where, err) { $(where).textContent = err ? reason(err) : ""; }

  // -- language ---------------------------------------------------------------------------
  function translate() {
    document.documentElement.lang = lang;
    $("#lang").value = lang;
    document.querySelectorAll("[data-t]").forEach((node) => { node.textContent = t()[node.dataset.t]; });
    document.querySelectorAll("[data-tp]").forEach((node) => { node.placeholder = t()[node.dataset.tp]; });
    document.title = "Atende - " + t().title;
    if (desk.me) render(desk.me);
    if (desk.view) showView(desk.view);
  }

  // -- signing in and out -------------------------------------------------------------------
  function showLogin() {
    desk.signedIn = false;
    closeSocket();
    $("#login").hidden = false;
    $("#desk").hidden = true;
    $("#sign-out").hidden = true;
    $("#who").textContent = "";
  }

  async function start(who) {
    if (who.role !== "agent") { AtendeHome.refuse(who.role); return; }
    desk.signedIn = true;
    $("#who").textContent = who.username;
    $("#login").hidden = true;
    $("#sign-out").hidden = false;
    $("#desk").hidden = false;
    render(await api("/api/agent/me"));
    openSocket();
    if (!desk.ticker) desk.ticker = setInterval(tick, 1000);
  }

  // -- the WebSocket ----------------------------------------------------------------------
  function openSocket() {
    closeSocket();
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/api/agent/ws`);
    desk.socket = socket;
    socket.addEventListener("open", () => {
      desk.retry = 500;
      link(true);
      api("/api/agent/me").then(render, () => {});  // what changed while the socket was down
    });
    socket.addEventListener("message", (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      receive(msg);
    });
    socket.addEventListener("close", () => {
      if (desk.socket !== socket) return;
      link(false);
      desk.socket = null;
      if (desk.signedIn) setTimeout(() => { if (desk.signedIn && !desk.socket) openSocket(); }, desk.retry);
      desk.retry = Math.min(desk.retry * 2, 10000);
    });
  }

  function closeSocket() {
    const socket = desk.socket;
    desk.socket = null;
    if (socket) socket.close();
  }

  function link(up) {
    $("#link").dataset.link = up ? "up" : "down";
    $("#link").textContent = t().link[up ? "up" : "down"];
  }

  function receive(msg) {
    if (msg.type === "state") {
      const { type, ...state } = msg;
      render(state);
    } else if (msg.type === "offer") {
      newCall(msg.call);
      desk.candidates = msg.candidates || [];
      if (msg.view) showView(msg.view);
      else showCandidates();
      if (desk.me) render(Object.assign({}, desk.me, { call: msg.call }));
    } else if (msg.type === "view") {
      if (desk.customer && sameCustomer(msg.customer_id, desk.customer) && msg.view) showView(msg.view);
    }
  }

  function sameCustomer(a, b) {
    const norm = (x) => (String(x).includes("-") ? String(x) : String(x) + "-01");
    return norm(a) === norm(b);
  }

  // -- state ------------------------------------------------------------------------------
  function show(sel, visible) { $(sel).hidden = !visible; }

  function options(select, list, keep) {
    const chosen = select.value;
    select.replaceChildren(...list.map((o) => new Option(o.label, o.code)));
    if (keep && list.some((o) => o.code === chosen)) select.value = chosen;
  }

  function render(state) {
    // answers, polls and the socket may arrive out of order: an older document is not shown
    if (desk.me && state.seq !== undefined && desk.me.seq !== undefined && state.seq < desk.me.seq) return;
    // A call transferred away leaves the agent in wrap-up with no call: the page keeps the
    // last one so its disposition can still be given.
    if (state.call) desk.lastCall = state.call;
    else if (state.state === "wrap_up" && desk.lastCall) {
      state = Object.assign({}, state, { call: Object.assign({}, desk.lastCall, { state: "ended" }) });
    } else desk.lastCall = null;
    const me = state;
    desk.me = me;
    const s = me.state;
    const tt = t();
    $("#state").dataset.state = s;
    $("#state").textContent = (tt.states[s] || s) + (me.pause_reason ? ` (${label(me.pause_reasons, me.pause_reason)})` : "");
    options($("#pause-reason"), me.pause_reasons || [], true);
    options($("#after-reason"), me.pause_reasons || [], true);
    show("#btn-login", s === "logged_out");
    show("#btn-available", s === "paused");
    show("#pause-box", s === "available");
    show("#btn-logout", s === "available" || s === "paused");
    const busy = ON_A_CALL.includes(s);
    show("#after-box", busy);
    show("#btn-pause-after", busy && !me.pause_after_call);
    $("#after-reason").hidden = Boolean(me.pause_after_call);
    show("#btn-cancel-after", busy && Boolean(me.pause_after_call));
    show("#pause-after-note", Boolean(me.pause_after_call));
    $("#pause-after-note").textContent = me.pause_after_call ? tt.pause_after_note(label(me.pause_reasons, me.pause_after_call)) : "";
    show("#wrap", s === "wrap_up");
    show("#btn-wrap-end", s === "wrap_up");
    show("#btn-wrap-extend", s === "wrap_up");
    const needsCode = Boolean(me.call && me.call.dispositions && me.call.dispositions.length && !me.call.disposition);
    $("#btn-wrap-end").disabled = needsCode;
    $("#btn-wrap-end").title = needsCode ? tt.errors.disposition_required : "";
    if (me.call) newCall(me.call);
    // the click-to-call is over once the ACD has paused the agent for it and no longer does
    if (me.pause_reason === OUTBOUND_PAUSE) desk.outboundSeen = true;
    else if (desk.outboundSeen) { desk.outbound = null; desk.outboundSeen = false; }
    renderCall(me.call || outboundCall(me));
    tick();
  }

  /** The agent's own click-to-call while the ACD keeps him paused for it (the state has no
  call for it): hang-up and DTMF work on it. */
  function outboundCall(me) {
    if (!desk.outbound || me.pause_reason !== OUTBOUND_PAUSE) return null;
    return {
      call_id: "", queue: "", caller: desk.outbound, direction: "outbound", state: "dialing",
      entered_at: me.state_since, answered_at: null, dispositions: [], disposition: null,
    };
  }

  function label(list, code) {
    const found = (list || []).find((o) => o.code === code);
    return found ? found.label : code;
  }

  function tick() {
    const me = desk.me;
    if (!me) return;
    const now = Date.now() / 1000;
    $("#state-for").textContent = me.state_since ? clock(now - me.state_since) : "";
    if (me.state === "wrap_up" && me.wrap_up_ends_at) {
      $("#wrap-left").textContent = clock(Math.max(0, me.wrap_up_ends_at - now));
    }
  }

  function clock(seconds) {
    const s = Math.floor(seconds);
    const mm = String(Math.floor(s / 60)).padStart(2, "0");
    return `${mm}:${String(s % 60).padStart(2, "0")}`;
  }

  async function act(path, body, where) {
    say(where || "#state-error", null);
    try {
      const answer = await api(path, body === undefined ? {} : body);
      if (answer && answer.state) render(answer);
      return answer;
    } catch (err) {
      say(where || "#state-error", err);
      return null;
    }
  }

  // -- the call ---------------------------------------------------------------------------
  function newCall(call) {
    // a click-to-call is one call from its first ring (no id yet) to its end
    const key = call && (call.click_to_call ? "click-to-call:" + call.caller : call.call_id);
    if (!call || key === desk.callKey) return;
    desk.callKey = key;
    desk.callId = call.call_id;
    desk.candidates = call.customers || [];
    desk.customer = null;
    desk.view = null;
    $("#view").hidden = true;
    $("#no-customer").hidden = true;
    say("#call-error", null);
    $("#call-status").textContent = "";
    $("#disposition").reset();
    document.dispatchEvent(new CustomEvent("agent-call", { detail: call }));
    showCandidates();
  }

  function renderCall(call) {
    show("#call-panel", Boolean(call));
    show("#customer-panel", Boolean(call) || Boolean(desk.view));
    if (!call) { show("#outcome-panel", false); return; }
    const tt = t();
    const f = tt.facts;
    AgentView.facts($("#call-info"), [
      ["queue", f.queue, call.queue], ["caller", f.caller, call.caller],
      ["direction", f.direction, tt.directions[call.direction] || call.direction],
      ["state", f.state, call.held ? tt.call_states.held : (tt.call_states[call.state] || call.state)],
      ["since", f.since, new Date((call.answered_at || call.entered_at) * 1000).toLocaleTimeString()],
    ]);
    $("#call-panel").dataset.callId = call.call_id;
    $("#call-panel").dataset.direction = call.direction;
    $("#call-panel").dataset.callState = call.state;
    $("#call-panel").dataset.held = call.held ? "true" : "false";
    const own = Boolean(call.click_to_call) || call.state === "dialing";  // his click-to-call: hang-up and DTMF only
    const talking = call.state === "connected" && !own;
    document.querySelectorAll("#controls button, #transfer button, #keypad button").forEach((b) => { b.disabled = !talking && !own; });
    ["#btn-hold", "#btn-unhold"].forEach((sel) => { $(sel).disabled = !talking; });
    show("#btn-hold", !call.held);
    show("#btn-unhold", Boolean(call.held));
    $("#transfer").hidden = own;
    const codes = call.dispositions || [];
    options($("#disposition select[name=code]"), codes, true);
    show("#disposition", codes.length > 0 && !call.disposition);
    show("#disposition-done", Boolean(call.disposition));
    $("#disposition-done").textContent = call.disposition ? tt.disposition_done(label(codes, call.disposition.code)) : "";
    const answered = call.state === "connected" || call.state === "ended";
    show("#outcome-panel", answered && Boolean(desk.view));
    if (!desk.customer && desk.candidates.length === 1) pick(desk.candidates[0]);
  }

  function showCandidates() {
    AgentView.candidates(desk.candidates, pick);
    $("#no-customer").hidden = desk.candidates.length > 0 || Boolean(desk.view);
    show("#customer-panel", Boolean(desk.callId) || Boolean(desk.view));
  }

  async function pick(candidate) {
    const key = AgentView.keyOf(candidate);
    desk.customer = key;
    try {
      const view = await api(`/api/agent/customers/${encodeURIComponent(key)}/view`);
      if (desk.customer === key) showView(view);
    } catch (err) {
      say("#call-error", err);
    }
  }

  function showView(view) {
    desk.view = view;
    desk.customer = view.registration.code + "-" + view.registration.store;
    $("#no-customer").hidden = true;
    AgentView.render(view, t(), dial);
    show("#customer-panel", true);
    const call = desk.me && desk.me.call;
    show("#outcome-panel", Boolean(call) && (call.state === "connected" || call.state === "ended"));
    document.dispatchEvent(new CustomEvent("agent-view", { detail: view }));
  }

  async function dial(number, customer) {
    say("#state-error", null);
    try {
      $("#state-status").textContent = "";
      await api("/api/agent/call/originate", { number, customer_id: customer });
      desk.outbound = number;
      desk.outboundSeen = Boolean(desk.me && desk.me.pause_reason === OUTBOUND_PAUSE);
      $("#state-status").textContent = t().dialing(number);
      if (desk.me) render(desk.me);  // the state may have said "outbound call" already
    } catch (err) { say("#state-error", err); }
  }

  async function control(path, body) {
    say("#call-error", null);
    $("#call-status").textContent = "";
    try {
      await api(path, body === undefined ? {} : body);
      $("#call-status").textContent = t().sent;
    } catch (err) { say("#call-error", err); }
  }

  function keypad() {
    const pad = $("#keypad");
    "123456789*0#".split("").forEach((digit) => {
      const b = AgentView.el("button", digit, { type: "button", "data-digit": digit });
      b.addEventListener("click", () => control("/api/agent/call/dtmf", { digits: digit }));
      pad.appendChild(b);
    });
  }

  // -- wiring -----------------------------------------------------------------------------
  function wire() {
    keypad();
    $("#login").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = ev.target;
      try {
        const who = await api("/api/login", { username: f.username.value, password: f.password.value, session: "cookie" });
        $("#login-error").textContent = "";
        f.reset();
        await start(who);
      } catch (err) { $("#login-error").textContent = err.message; }
    });
    $("#sign-out").addEventListener("click", async () => {
      try { await api("/api/logout", {}); } catch (err) { /* signed out already */ }
      showLogin();
    });
    $("#lang").addEventListener("change", (ev) => {
      lang = ev.target.value; localStorage.setItem(LANG_KEY, lang); translate();
    });
    $("#btn-login").addEventListener("click", () => act("/api/agent/login"));
    $("#btn-logout").addEventListener("click", () => act("/api/agent/logout"));
    $("#btn-available").addEventListener("click", () => act("/api/agent/available"));
    $("#btn-pause").addEventListener("click", () => act("/api/agent/pause", { reason: $("#pause-reason").value }));
    $("#btn-pause-after").addEventListener("click", () => act("/api/agent/pause-after-call", { reason: $("#after-reason").value }));
    $("#btn-cancel-after").addEventListener("click", () => act("/api/agent/pause-after-call", { reason: null }));
    $("#btn-wrap-end").addEventListener("click", () => act("/api/agent/wrap-up/end"));
    $("#btn-wrap-extend").addEventListener("click", () => act("/api/agent/wrap-up/extend", { seconds: 30 }));
    $("#btn-hangup").addEventListener("click", () => control("/api/agent/call/hangup"));
    $("#btn-hold").addEventListener("click", () => control("/api/agent/call/hold"));
    $("#btn-unhold").addEventListener("click", () => control("/api/agent/call/unhold"));
    $("#btn-transfer-complete").addEventListener("click", () => control("/api/agent/call/transfer/complete"));
    $("#btn-transfer-cancel").addEventListener("click", () => control("/api/agent/call/transfer/cancel"));
    $("#transfer").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const f = ev.target;
      control("/api/agent/call/transfer", { mode: f.mode.value, target: { type: f.type.value, value: f.value.value.trim() } });
    });
    $("#disposition").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = ev.target;
      const body = { call_id: desk.callId, code: f.code.value };
      if (f.note.value.trim()) body.note = f.note.value.trim();
      const done = await act("/api/agent/call/disposition", body, "#call-error");
      if (done && desk.lastCall && desk.lastCall.call_id === body.call_id) {
        desk.lastCall.disposition = { code: body.code, note: body.note || "" };
      }
      api("/api/agent/me").then(render, () => {});
    });
    setInterval(() => {
      if (desk.socket && desk.socket.readyState === WebSocket.OPEN) desk.socket.send(JSON.stringify({ type: "ping" }));
    }, 20000);
  }

  function boot() {
    wire();
    translate();
    api("/api/me").then(start, showLogin).catch((err) => say("#state-error", err));
  }

  return { boot, api, reason, t, desk, render };
})();

Agent.boot();
