"use strict";
// The supervisor's live floor. The engine pushes it over one WebSocket (/api/floor/ws): a
// snapshot, then only the changes. The session lives in an HttpOnly cookie the page never sees;
// every request names the page (X-Requested-With) so the engine knows it is not forged.
const langKey = "atende.lang";
const T = {
  "pt-BR": {
    title: "Atende - Ao vivo", reports: "Relatórios", sign_in: "Entrar", sign_out: "Sair",
    user: "Usuário", password: "Senha", queues: "Filas", queue: "Fila", waiting: "Aguardando",
    longest: "Maior espera", offered: "Oferecidas", answered: "Atendidas",
    abandoned: "Abandonadas", sl: "NS", asa: "TME", aht: "TMA", agents: "Agentes",
    agent: "Agente", skills: "Habilidades", state: "Estado", for: "Há", call: "Chamada",
    calls: "Chamadas", actions: "Ações", callers: "Clientes na fila", caller: "Cliente",
    live_calls: "Chamadas ao vivo", server: "Servidor", where: "Onde", channels: "Canais",
    no_calls: "Nenhuma chamada agora.", pause: "Pausar", unpause: "Liberar",
    logout: "Deslogar", save_skills: "Salvar habilidades", move: "Mover", front: "Para a frente",
    listen: "Ouvir", whisper: "Sussurrar", barge: "Intervir", spy_stop: "Parar escuta",
    spy_doing: {
      listen: (a) => `ouvindo a chamada do agente ${a}`,
      whisper: (a) => `sussurrando para o agente ${a} (o cliente não ouve)`,
      barge: (a) => `em conferência na chamada do agente ${a} (agente e cliente ouvem)`,
    },
    spy_ringing: (s, doing) => `Chamando seu telefone ${s.phone}: ao atender, você estará ${doing}.`,
    spy_on: (s, doing) => `Você está ${doing}; telefone ${s.phone}.`,
    spy_ended: (s, why) => `Escuta da chamada do agente ${s.agent} encerrada: ${why}.`,
    spied_by: (who, doing) => `${who} ${doing}`,
    spied: { listen: "ouvindo", whisper: "sussurrando", barge: "em conferência" },
    spy_reasons: {
      stopped: "você a encerrou", no_answer: "seu telefone não atendeu",
      call_ended: "a chamada do agente terminou", hung_up: "você desligou o telefone",
      target_gone: "a chamada terminou antes de a escuta começar",
      replaced: "outra escuta começou", unavailable: "o Asterisk não pôde ser alcançado",
      refused: "o Asterisk recusou chamar seu telefone",
    },
    spy_errors: {
      no_call: (a) => `Escuta recusada: o agente ${a} não tem chamada em andamento (nada foi tocado no seu telefone).`,
      no_phone: () => "Escuta recusada: você não tem telefone cadastrado. Peça a um administrador que cadastre o seu telefone no seu usuário.",
      no_spy: () => "Você não está ouvindo nenhuma chamada.",
      asterisk_unavailable: () => "Escuta recusada: o Asterisk não está acessível (nada foi tocado).",
      agent_not_found: (a) => `Escuta recusada: o agente ${a} não existe.`,
    },
    errors: {
      call_state_conflict: "Recusado: o cliente não está mais aguardando nessa fila.",
      call_not_found: "Recusado: essa chamada já não existe.",
      queue_refused: "Recusado: a fila de destino não aceita o cliente agora (cheia ou sem agentes).",
      illegal_transition: "Recusado: o agente não pode fazer isso no estado em que está.",
      agent_not_found: "Recusado: agente desconhecido.",
      skill_invalid: "Recusado: habilidades inválidas (use nome:nível, separados por espaço).",
      invalid_request: "Recusado: valores inválidos.",
      acd_not_ready: "O ACD ainda está iniciando; tente de novo em instantes.",
      forbidden: "Seu perfil não pode fazer isso.",
    },
    period: (p) => `hoje desde ${p.from.slice(11, 16)} (${p.time_zone})`,
    down: (l, at) => `${l.kind === "redis" ? "Redis" : l.kind === "acd" ? "ACD" : "Asterisk " + l.name} fora do ar${at ? " desde " + at : ""}: os dados marcados em cinza não são confiáveis.`,
    offline: "Sem conexão com o motor; reconectando...",
    reasons: { break: "intervalo", lunch: "almoço", training: "treinamento", meeting: "reunião" },
    states: {
      available: "disponível", paused: "em pausa", reserved: "reservado", ringing: "tocando",
      on_call: "em chamada", wrap_up: "pós-atendimento", logged_out: "deslogado",
      waiting: "aguardando", offered: "oferecida", connected: "conectada",
    },
  },
  en: {
    title: "Atende - Live", reports: "Reports", sign_in: "Sign in", sign_out: "Sign out",
    user: "User", password: "Password", queues: "Queues", queue: "Queue", waiting: "Waiting",
    longest: "Longest wait", offered: "Offered", answered: "Answered", abandoned: "Abandoned",
    sl: "SL", asa: "ASA", aht: "AHT", agents: "Agents", agent: "Agent", skills: "Skills",
    state: "State", for: "For", call: "Call", calls: "Calls", actions: "Actions",
    callers: "Callers in queue", caller: "Caller", live_calls: "Live calls", server: "Server",
    where: "Where", channels: "Channels", no_calls: "No calls right now.", pause: "Pause",
    unpause: "Unpause", logout: "Log out", save_skills: "Save skills", move: "Move",
    front: "To the front",
    listen: "Listen", whisper: "Whisper", barge: "Barge", spy_stop: "Stop listening",
    spy_doing: {
      listen: (a) => `listening to agent ${a}'s call`,
      whisper: (a) => `whispering to agent ${a} (the caller does not hear)`,
      barge: (a) => `barged into agent ${a}'s call (agent and caller hear you)`,
    },
    spy_ringing: (s, doing) => `Calling your phone ${s.phone}: once you answer you will be ${doing}.`,
    spy_on: (s, doing) => `You are ${doing}; phone ${s.phone}.`,
    spy_ended: (s, why) => `Listening to agent ${s.agent}'s call ended: ${why}.`,
    spied_by: (who, doing) => `${who} ${doing}`,
    spied: { listen: "listening", whisper: "whispering", barge: "barged in" },
    spy_reasons: {
      stopped: "you stopped it", no_answer: "your phone did not answer",
      call_ended: "the agent's call ended", hung_up: "you hung up your phone",
      target_gone: "the call ended before the listening began",
      replaced: "another listening began", unavailable: "Asterisk could not be reached",
      refused: "Asterisk refused to call your phone",
    },
    spy_errors: {
      no_call: (a) => `Listening refused: agent ${a} has no call in progress (your phone was not rung).`,
      no_phone: () => "Listening refused: you have no phone. Ask an admin to set your phone on your user.",
      no_spy: () => "You are not listening to any call.",
      asterisk_unavailable: () => "Listening refused: Asterisk cannot be reached (nothing was rung).",
      agent_not_found: (a) => `Listening refused: there is no agent ${a}.`,
    },
    errors: {
      call_state_conflict: "Refused: the caller is no longer waiting in that queue.",
      call_not_found: "Refused: that call no longer exists.",
      queue_refused: "Refused: the target queue does not take the caller now (full or no agents).",
      illegal_transition: "Refused: the agent cannot do that in his current state.",
      agent_not_found: "Refused: unknown agent.",
      skill_invalid: "Refused: invalid skills (write name:level, separated by spaces).",
      invalid_request: "Refused: invalid values.",
      acd_not_ready: "The ACD is still starting; try again in a moment.",
      forbidden: "Your role may not do that.",
    },
    period: (p) => `today since ${p.from.slice(11, 16)} (${p.time_zone})`,
    down: (l, at) => `${l.kind === "redis" ? "Redis" : l.kind === "acd" ? "ACD" : "Asterisk " + l.name} is down${at ? " since " + at : ""}: what is greyed out cannot be vouched for.`,
    offline: "No connection to the engine; reconnecting...",
    reasons: { break: "break", lunch: "lunch", training: "training", meeting: "meeting" },
    states: {
      available: "available", paused: "paused", reserved: "reserved", ringing: "ringing",
      on_call: "on call", wrap_up: "wrap-up", logged_out: "logged out", waiting: "waiting",
      offered: "offered", connected: "connected",
    },
  },
};
let lang = localStorage.getItem(langKey) || "pt-BR";
let floor = {};  // section -> key -> row, as the engine sent it
let skew = 0;  // the engine's clock minus ours (ms)
let socket = null;
let signedIn = false;
let reconnect = null;
let clockTimer = null;
let connected = false;
let myName = null;  // the signed-in supervisor
let spyShown = null;  // his spy session as the floor last showed it
let spyEnded = null;  // his session that ended since (why it ended is shown)
const chosen = {};  // what the supervisor picked in a row's select, kept across redraws

function remembered(select, key) {
  if (chosen[key] && [...select.options].some((o) => o.value === chosen[key])) select.value = chosen[key];
  select.addEventListener("change", () => { chosen[key] = select.value; });
  return select;
}

const $ = (sel) => document.querySelector(sel);
const t = (key) => T[lang][key];
const now = () => (Date.now() + skew) / 1000;
const rows = (section) => Object.values(floor[section] || {});

async function api(path, options = {}) {
  const headers = Object.assign(
    { "Content-Type": "application/json", "X-Requested-With": "atende" }, options.headers || {});
  const res = await fetch(path, Object.assign({ credentials: "same-origin" }, options, { headers }));
  const body = await res.json().catch(() => ({}));
  if (res.status === 401 && path !== "/api/login") showLogin();
  if (!res.ok) {
    const err = new Error(body.error ? body.error.message : res.statusText);
    err.status = res.status;
    err.code = body.error ? body.error.code : null;
    throw err;
  }
  return body;
}

function showLogin() {
  signedIn = false;
  if (reconnect) { clearTimeout(reconnect); reconnect = null; }
  if (clockTimer) { clearInterval(clockTimer); clockTimer = null; }
  if (socket) { const s = socket; socket = null; s.close(); }
  floor = {};
  myName = null; spyShown = null; spyEnded = null;
  $("#login").hidden = false;
  $("#floor").hidden = true;
  $("#logout").hidden = true;
  $("#who").textContent = "";
}

function connect() {
  if (socket || !signedIn) return;  // one socket per page, never stacked
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/floor/ws");
  socket = ws;
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.at) skew = msg.at * 1000 - Date.now();
    if (msg.type === "snapshot") floor = msg.floor;
    else if (msg.type === "changes") {
      for (const [section, changed] of Object.entries(msg.upsert)) floor[section] = Object.assign(floor[section] || {}, changed);
      for (const [section, keys] of Object.entries(msg.remove)) keys.forEach((k) => { if (floor[section]) delete floor[section][k]; });
    } else return;
    connected = true;
    render();
  };
  ws.onclose = async (ev) => {
    if (socket !== ws) return;  // closed on purpose
    socket = null;
    connected = false;
    render();
    if (ev.code === 4401) { showLogin(); return; }
    if (!signedIn || reconnect) return;
    reconnect = setTimeout(async () => {
      reconnect = null;
      try { await api("/api/me"); connect(); } catch (e) { if (signedIn) connectLater(); }
    }, 1000);
  };
}

function connectLater() {
  if (!reconnect && signedIn) reconnect = setTimeout(() => { reconnect = null; connect(); }, 2000);
}

function td(text, cls) {
  const el = document.createElement("td");
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

function tr(key, cells, cls) {
  const row = document.createElement("tr");
  row.dataset.key = key;
  if (cls) row.className = cls;
  cells.forEach((c) => row.appendChild(c));
  return row;
}

function secs(x) { return x === null || x === undefined ? "" : Math.round(x) + " s"; }
function pct(x) { return x === null || x === undefined ? "" : Math.round(x * 100) + "%"; }
function label(state) { return t("states")[state] || state; }
function elapsed(since, until) { return since ? secs(Math.max(0, (until || now()) - since)) : ""; }
function clockCell(since, frozen) {
  const cell = td(elapsed(since, frozen), "clock");
  cell.dataset.since = since || "";
  if (frozen) cell.dataset.frozen = frozen;
  return cell;
}

function button(text, cls, onClick) {
  const b = document.createElement("button");
  b.type = "button"; b.textContent = text; b.className = cls;
  b.addEventListener("click", () => onClick(b));
  return b;
}

async function act(path, body) {  // true when the engine took the action
  $("#action-error").textContent = "";
  let done = true;
  try { await api(path, { method: "POST", body: JSON.stringify(body || {}) }); }
  catch (e) { $("#action-error").textContent = t("errors")[e.code] || e.message; done = false; }
  if (document.activeElement) document.activeElement.blur();  // the rows may be redrawn again
  render();
  return done;
}

function editing(table) {  // an input or select of ``table`` the supervisor is using
  const el = document.activeElement;
  return el && ["INPUT", "SELECT"].includes(el.tagName) && el.closest(table + " tbody");
}

function down() { return rows("links").filter((l) => !l.up); }
function acdServer() { return ((floor.links || {}).acd || {}).server; }
function serverDown(name) {
  const link = (floor.links || {})["asterisk:" + name];
  return link && !link.up ? (link.since || now()) : null;
}

function renderBanner() {
  const banner = $("#banner");
  const lines = down().map((l) => t("down")(l, l.since ? new Date(l.since * 1000).toLocaleTimeString() : ""));
  if (!connected && signedIn) lines.unshift(t("offline"));
  banner.textContent = lines.join(" ");
  banner.hidden = lines.length === 0;
  document.body.classList.toggle("degraded", lines.length > 0);
}

function queueAlert(q) {
  const th = q.thresholds || {};
  const longest = q.oldest_entered_at ? now() - q.oldest_entered_at : 0;
  const alerts = [];
  if (th.waiting && q.waiting >= th.waiting) alerts.push("waiting");
  if (th.longest_wait && longest >= th.longest_wait) alerts.push("longest_wait");
  if (th.service_level && q.service_level !== null && q.service_level < th.service_level) alerts.push("service_level");
  return alerts;
}

function renderQueues(frozen) {
  $("#queues tbody").replaceChildren(...rows("queues").sort((a, b) => a.queue.localeCompare(b.queue)).map((q) => {
    const alerts = queueAlert(q);
    const row = tr(q.queue, [
      td(q.queue), td(String(q.waiting)), clockCell(q.oldest_entered_at, frozen), td(String(q.offered)),
      td(String(q.answered)), td(String(q.abandoned)), td(pct(q.service_level)), td(secs(q.asa)), td(secs(q.aht)),
    ], alerts.length ? "alert" : "");
    row.dataset.alert = alerts.join(" ");
    return row;
  }));
  const period = (floor.period || {}).today;
  $("#period").textContent = period ? t("period")(period) : "";
}

function ownSpy() { return myName ? (floor.spies || {})[myName] || null : null; }

async function spy(agent, mode) {  // listen, whisper or barge (a new mode on the same call switches)
  $("#action-error").textContent = "";
  spyEnded = null;
  try { await api("/api/supervisor/spy", { method: "POST", body: JSON.stringify({ agent, mode }) }); }
  catch (e) { $("#action-error").textContent = spyError(e, agent); }
  if (document.activeElement) document.activeElement.blur();
  render();
}

async function stopSpy() {
  $("#action-error").textContent = "";
  try { await api("/api/supervisor/spy/stop", { method: "POST", body: "{}" }); }
  catch (e) { $("#action-error").textContent = spyError(e, ""); }
  render();
}

function spyError(e, agent) {
  const say = t("spy_errors")[e.code];
  return say ? say(agent) : t("errors")[e.code] || e.message;
}

function spyButtons(a) {  // on an agent's call: listen, whisper, barge; stop on the one listened to
  const mine = ownSpy();
  const here = mine && mine.agent === a.agent;
  const out = ["listen", "whisper", "barge"].map((mode) => {
    const b = button(t(mode), "spy-" + mode, () => spy(a.agent, mode));
    b.dataset.mode = mode;
    b.setAttribute("aria-pressed", String(Boolean(here && mine.mode === mode)));
    return b;
  });
  if (here) out.push(button(t("spy_stop"), "spy-stop", () => stopSpy()));
  return out;
}

function agentActions(a) {
  const cell = document.createElement("td");
  if (a.call) cell.append(...spyButtons(a));
  if (a.state === "paused") cell.appendChild(button(t("unpause"), "unpause", () => act(`/api/acd/agents/${a.agent}/unpause`)));
  else if (["available", "wrap_up"].includes(a.state)) {
    const reason = document.createElement("select");
    reason.className = "reason";
    Object.entries(t("reasons")).forEach(([code, text]) => reason.add(new Option(text, code)));
    remembered(reason, "reason:" + a.agent);
    cell.append(reason, button(t("pause"), "pause", () => act(`/api/acd/agents/${a.agent}/pause`, { reason: reason.value })));
  }
  if (["available", "paused"].includes(a.state)) cell.appendChild(button(t("logout"), "logout-agent", () => act(`/api/acd/agents/${a.agent}/logout`)));
  const skills = document.createElement("input");
  const draft = "skills:" + a.agent;  // what the supervisor typed survives the rows' redrawing
  skills.className = "skills"; skills.size = 14;
  skills.value = chosen[draft] ?? Object.entries(a.skills).map(([k, v]) => k + ":" + v).join(" ");
  skills.addEventListener("input", () => { chosen[draft] = skills.value; });
  cell.append(skills, button(t("save_skills"), "save-skills", async () => {
    const parsed = {};
    skills.value.split(/\s+/).filter(Boolean).forEach((pair) => { const [k, v] = pair.split(":"); parsed[k] = Number(v); });
    if (await act(`/api/acd/agents/${a.agent}/skills`, { skills: parsed })) { delete chosen[draft]; render(); }
  }));
  return cell;
}

function spiedBy(agent) {  // "· supervisor ouvindo" for each supervisor on the agent's call
  return rows("spies").filter((s) => s.agent === agent && s.state === "spying")
    .map((s) => " · " + t("spied_by")(s.supervisor, t("spied")[s.mode])).join("");
}

function renderSpy() {  // the supervisor's own session: ringing, spying, or why it ended
  const mine = ownSpy();
  if (mine) { spyShown = mine; spyEnded = null; }
  else if (spyShown) {
    spyShown = null;
    api("/api/supervisor/spy").then((body) => {
      if (!ownSpy() && body.spy && body.spy.spy_id && body.spy.state === "ended") {
        spyEnded = body.spy;
        renderSpy();
      }
    }).catch(() => { /* signed out, or the engine is away: the banner says so */ });
  }
  const panel = $("#spy");
  const text = $("#spy-text");
  panel.dataset.state = mine ? mine.state : spyEnded ? "ended" : "";
  $("#spy-stop").hidden = !mine;
  if (mine) {
    const doing = t("spy_doing")[mine.mode](mine.agent);
    text.textContent = (mine.state === "spying" ? t("spy_on") : t("spy_ringing"))(mine, doing);
  } else if (spyEnded) {
    const why = t("spy_reasons")[spyEnded.ended_reason] || spyEnded.ended_reason || "";
    text.textContent = t("spy_ended")(spyEnded, why);
  } else text.textContent = "";
  panel.hidden = !mine && !spyEnded;
}

function renderAgents(frozen) {
  if (editing("#agents")) return;  // never pull an input from under the supervisor's fingers
  $("#agents tbody").replaceChildren(...rows("agents").sort((a, b) => a.agent.localeCompare(b.agent)).map((a) => {
    const row = tr(a.agent, [
      td(a.agent), td(Object.entries(a.skills).map(([k, v]) => k + ":" + v).join(" ")),
      td(label(a.state) + (a.pause_reason ? " (" + a.pause_reason + ")" : "") + spiedBy(a.agent)),
      clockCell(a.since, frozen), td(a.call || ""), td(String(a.calls)), agentActions(a),
    ], frozen ? "stale" : "");
    row.dataset.state = a.state;
    return row;
  }));
}

function renderWaiting(frozen) {
  if (editing("#waiting")) return;
  const queues = rows("queues").map((q) => q.queue).sort();
  $("#waiting tbody").replaceChildren(...rows("waiting").sort((a, b) => a.entered_at - b.entered_at).map((c) => {
    const cell = document.createElement("td");
    if (c.state === "waiting") {
      const target = document.createElement("select");
      target.className = "target";
      queues.filter((q) => q !== c.queue).forEach((q) => target.add(new Option(q, q)));
      remembered(target, "target:" + c.call);
      cell.append(target, button(t("move"), "move", () => act(`/api/acd/calls/${encodeURIComponent(c.call)}/move`, { queue: target.value })),
        button(t("front"), "front", () => act(`/api/acd/calls/${encodeURIComponent(c.call)}/front`)));
    }
    const row = tr(c.call, [td(c.call), td(c.queue), td(c.caller), td(label(c.state)), td(c.agent || ""),
      clockCell(c.answered_at || c.entered_at, frozen), cell], frozen ? "stale" : "");
    row.dataset.state = c.state;
    return row;
  }));
}

function renderCalls() {
  const calls = rows("calls").sort((a, b) => a.started_at.localeCompare(b.started_at));
  $("#calls tbody").replaceChildren(...calls.map((c) => {
    const frozen = serverDown(c.server);
    const row = tr(c.server + "/" + c.linkedid, [td(c.server), td(c.linkedid), td(c.caller || ""), td(c.state),
      td(c.where || ""), td(String(c.channels)), clockCell(Date.parse(c.started_at) / 1000, frozen || (c.ended_at ? Date.parse(c.ended_at) / 1000 : null))],
    frozen ? "stale" : "");
    row.dataset.linkedid = c.linkedid;
    row.dataset.state = c.state;
    return row;
  }));
  $("#no-calls").hidden = calls.length > 0;
}

function render() {
  if (!signedIn) return;
  const acdDown = acdServer() ? serverDown(acdServer()) : null;
  const lost = !connected ? now() : null;
  const redis = (floor.links || {}).redis;
  const frozen = acdDown || lost || (redis && !redis.up ? redis.since : null);
  renderBanner();
  renderSpy();
  renderQueues(acdDown || lost);
  renderAgents(frozen);
  renderWaiting(acdDown || lost);
  renderCalls();
}

function tick() {  // the clocks move between changes; frozen ones stay where the link was lost
  document.querySelectorAll("td.clock").forEach((cell) => {
    if (!cell.dataset.frozen) cell.textContent = elapsed(Number(cell.dataset.since));
  });
  rows("queues").forEach((q) => {
    const row = document.querySelector(`#queues tbody tr[data-key="${CSS.escape(q.queue)}"]`);
    if (!row) return;
    const alerts = queueAlert(q);
    row.className = alerts.length ? "alert" : "";
    row.dataset.alert = alerts.join(" ");
  });
}

function translate() {
  document.documentElement.lang = lang;
  $("#lang").value = lang;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  document.title = t("title");
  render();
}

async function start() {
  let me = null;
  try {
    me = await api("/api/me");
    if (AtendeHome.of(me.role) !== "/") {  // the floor is the supervisors'; others have a home
      location.replace(AtendeHome.of(me.role));
      return;
    }
    signedIn = true;
    myName = me.username;
    $("#who").textContent = me.username + " (" + me.role + ")";
    $("#login").hidden = true;
    $("#logout").hidden = false;
    $("#floor").hidden = false;
    if (!clockTimer) clockTimer = setInterval(tick, 1000);
    connect();
  } catch (e) {
    if (e.status === 403 && me) AtendeHome.refuse(me.role);
    else showLogin();
  }
}

$("#login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = Object.fromEntries(new FormData(ev.target));
  try {
    await api("/api/login", { method: "POST", body: JSON.stringify(Object.assign(form, { session: "cookie" })) });
    $("#login-error").textContent = "";
    ev.target.reset();
    await start();
  } catch (e) { $("#login-error").textContent = e.message; }
});

$("#logout").addEventListener("click", async () => {
  try { await api("/api/logout", { method: "POST" }); } catch (e) { /* signed out already */ }
  showLogin();
});

$("#spy-stop").addEventListener("click", () => stopSpy());

$("#lang").addEventListener("change", (ev) => { lang = ev.target.value; localStorage.setItem(langKey, lang); translate(); });

translate();
start();
