"use strict";
const tokenKey = "atende.token";

async function api(path, options = {}) {
  const token = localStorage.getItem(tokenKey);
  const headers = Object.assign({ "Content-Type": "application/json" }, options.headers || {});
  if (token) headers.Authorization = "Bearer " + token;
  const res = await fetch(path, Object.assign({}, options, { headers }));
  const body = await res.json();
  if (res.status === 401) { localStorage.removeItem(tokenKey); showLogin(); }
  if (!res.ok) throw new Error(body.error ? body.error.message : res.statusText);
  return body;
}

function showLogin() {
  document.getElementById("login").hidden = false;
  document.getElementById("live").hidden = true;
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
  try {
    const me = await api("/api/me");
    document.getElementById("who").textContent = me.username + " (" + me.role + ")";
    document.getElementById("login").hidden = true;
    document.getElementById("live").hidden = false;
    await refresh();
    refreshAcd().catch(() => {});
    setInterval(() => refresh().catch(() => {}), 1000);
    setInterval(() => refreshAcd().catch(() => {}), 1000);
  } catch (e) { showLogin(); }
}

document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  try {
    const res = await api("/api/login", { method: "POST", body: JSON.stringify(Object.fromEntries(form)) });
    localStorage.setItem(tokenKey, res.token);
    await start();
  } catch (e) { document.getElementById("login-error").textContent = e.message; }
});

if (localStorage.getItem(tokenKey)) start(); else showLogin();
