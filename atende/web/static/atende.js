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

function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }

async function refresh() {
  const { calls } = await api("/api/calls");
  const tbody = document.querySelector("#calls tbody");
  tbody.replaceChildren(...calls.map((c) => {
    const tr = document.createElement("tr");
    tr.dataset.linkedid = c.linkedid;
    [c.server, c.linkedid, c.caller || "", c.state, c.where || "", String(c.channels), c.started_at || ""]
      .forEach((t) => tr.appendChild(cell(t)));
    return tr;
  }));
  document.getElementById("no-calls").hidden = calls.length > 0;
  document.getElementById("updated").textContent = new Date().toLocaleTimeString();
}

async function start() {
  try {
    const me = await api("/api/me");
    document.getElementById("who").textContent = me.username + " (" + me.role + ")";
    document.getElementById("login").hidden = true;
    document.getElementById("live").hidden = false;
    await refresh();
    setInterval(() => refresh().catch(() => {}), 1000);
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
