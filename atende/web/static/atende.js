"use strict";
// The session lives in an HttpOnly cookie the page never sees; every request names the page
// (X-Requested-With) so the engine knows it is not a forged cross-site request.
let timers = [];

async function api(path, options = {}) {
  const headers = Object.assign(
    { "Content-Type": "application/json", "X-Requested-With": "atende" }, options.headers || {});
  const res = await fetch(path, Object.assign({ credentials: "same-origin" }, options, { headers }));
  const body = await res.json();
  if (res.status === 401 && path !== "/api/login") showLogin();
  if (!res.ok) {
    const err = new Error(body.error ? body.error.message : res.statusText);
    err.status = res.status;
    throw err;
  }
  return body;
}

function showLogin() {
  timers.forEach(clearInterval);
  timers = [];
  document.getElementById("login").hidden = false;
  document.getElementById("live").hidden = true;
  document.getElementById("acd").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("who").textContent = "";
}

function clock(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  return isNaN(at) ? iso : at.toLocaleTimeString();
}

function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }

async function refresh() {
  const { calls } = await api("/api/calls");
  const tbody = document.querySelector("#calls tbody");
  tbody.replaceChildren(...calls.map((c) => {
    const tr = document.createElement("tr");
    tr.dataset.linkedid = c.linkedid;
    [c.server, c.linkedid, c.caller || "", c.state, c.where || "", String(c.channels), clock(c.started_at)]
      .forEach((t) => tr.appendChild(cell(t)));
    return tr;
  }));
  document.getElementById("no-calls").hidden = calls.length > 0;
  document.getElementById("updated").textContent = new Date().toLocaleTimeString();
}

function row(values, key) {
  const tr = document.createElement("tr");
  if (key) tr.dataset.key = key;
  values.forEach((t) => tr.appendChild(cell(t)));
  return tr;
}

function secs(x) { return x === null || x === undefined ? "" : Math.round(x) + " s"; }

async function refreshAcd() {
  const live = await api("/api/acd/live");
  document.getElementById("acd").hidden = false;
  document.querySelector("#queues tbody").replaceChildren(...live.queues.map((q) => row([
    q.queue, String(q.waiting), secs(q.longest_wait), String(q.offered), String(q.answered),
    String(q.abandoned), q.service_level === null ? "" : Math.round(q.service_level * 100) + "%",
    secs(q.asa),
  ], q.queue)));
  document.querySelector("#agents tbody").replaceChildren(...live.agents.map((a) => row([
    a.agent, Object.entries(a.skills).map(([k, v]) => k + ":" + v).join(" "),
    a.state + (a.pause_reason ? " (" + a.pause_reason + ")" : ""), secs(a.in_state_seconds),
    a.call || "",
  ], a.agent)));
}

async function start() {
  let me = null;
  try {
    me = await api("/api/me");
    if (AtendeHome.of(me.role) !== "/") {  // the floor is the supervisors'; others have a home
      location.replace(AtendeHome.of(me.role));
      return;
    }
    document.getElementById("who").textContent = me.username + " (" + me.role + ")";
    document.getElementById("login").hidden = true;
    document.getElementById("logout").hidden = false;
    document.getElementById("live").hidden = false;
    await refresh();
    refreshAcd().catch(() => {});
    timers.push(setInterval(() => refresh().catch(() => {}), 1000));
    timers.push(setInterval(() => refreshAcd().catch(() => {}), 1000));
  } catch (e) {
    if (e.status === 403 && me) AtendeHome.refuse(me.role);
    else showLogin();
  }
}

document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = Object.fromEntries(new FormData(ev.target));
  try {
    await api("/api/login", { method: "POST", body: JSON.stringify(Object.assign(form, { session: "cookie" })) });
    document.getElementById("login-error").textContent = "";
    ev.target.reset();
    await start();
  } catch (e) { document.getElementById("login-error").textContent = e.message; }
});

document.getElementById("logout").addEventListener("click", async () => {
  try { await api("/api/logout", { method: "POST" }); } catch (e) { /* signed out already */ }
  showLogin();
});

start();
