"use strict";
// The day's interval report: volume, service level and ASA per interval, and the exports.
const langKey = "atende.lang";
const T = {
  "pt-BR": {
    title: "Relatórios por intervalo", live: "Ao vivo", sign_in: "Entrar", user: "Usuário",
    password: "Senha", day: "Dia", interval: "Intervalo", queue: "Fila", show: "Mostrar",
    export: "Exportar", queues_csv: "Filas CSV", queues_xlsx: "Filas XLSX",
    agents_csv: "Agentes CSV", agents_xlsx: "Agentes XLSX", volume: "Volume",
    sl: "Nível de serviço (%)", asa: "TME (s)", start: "Início", offered: "Oferecidas",
    answered: "Atendidas", abandoned: "Abandonadas", sl_short: "NS", asa_short: "TME",
    aht_short: "TMA", longest: "Maior espera", all: "Todas as filas",
    staffing: "Dimensionamento (Erlang C)", forecast: "Previsão: início, chamadas, TMA (s) por linha",
    sl_target: "Meta de NS (%)", sl_seconds: "em (s)", shrinkage: "Shrinkage (%)",
    from_report: "Usar o volume do dia", calculate: "Calcular", calls: "Chamadas",
    traffic: "Erlangs", agents: "Agentes", scheduled: "Escalados", occupancy: "Ocupação",
    agents_by_state: "Agentes por estado (média no intervalo)", talking: "Em conversação",
    wrapping: "Pós-atendimento", paused: "Em pausa", available: "Disponíveis",
    bad_line: (n) => `Linha ${n}: use "início chamadas TMA", por exemplo "08:00 100 180"`,
    period: (r) => `Período: ${r.from}${r.to !== r.from ? " a " + r.to : ""}, intervalos de ${r.interval} min, fuso ${r.time_zone}`,
  },
  en: {
    title: "Interval reports", live: "Live", sign_in: "Sign in", user: "User",
    password: "Password", day: "Day", interval: "Interval", queue: "Queue", show: "Show",
    export: "Export", queues_csv: "Queues CSV", queues_xlsx: "Queues XLSX",
    agents_csv: "Agents CSV", agents_xlsx: "Agents XLSX", volume: "Volume",
    sl: "Service level (%)", asa: "ASA (s)", start: "Start", offered: "Offered",
    answered: "Answered", abandoned: "Abandoned", sl_short: "SL", asa_short: "ASA",
    aht_short: "AHT", longest: "Longest wait", all: "All queues",
    staffing: "Staffing (Erlang C)", forecast: "Forecast: start, calls, AHT (s) per line",
    sl_target: "SL target (%)", sl_seconds: "within (s)", shrinkage: "Shrinkage (%)",
    from_report: "Use the day's volume", calculate: "Calculate", calls: "Calls",
    traffic: "Erlangs", agents: "Agents", scheduled: "Scheduled", occupancy: "Occupancy",
    agents_by_state: "Agents by state (interval average)", talking: "Talking",
    wrapping: "Wrap-up", paused: "Paused", available: "Available",
    bad_line: (n) => `Line ${n}: write "start calls AHT", for example "08:00 100 180"`,
    period: (r) => `Period: ${r.from}${r.to !== r.from ? " to " + r.to : ""}, ${r.interval}-minute intervals, time zone ${r.time_zone}`,
  },
};
let lang = localStorage.getItem(langKey) || "pt-BR";
let last = null;  // the last report shown
let lastAgents = null;  // the agents' report of the same period
let charts = [];

const $ = (sel) => document.querySelector(sel);
const t = (key) => T[lang][key];

function translate() {
  document.documentElement.lang = lang;
  $("#lang").value = lang;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  document.title = "Atende - " + t("title");
  if (last) render(last);
}

// The session lives in an HttpOnly cookie the page never sees; every request names the page
// (X-Requested-With) so the engine knows it is not a forged cross-site request.
async function api(path, body) {
  const headers = { "X-Requested-With": "atende" };
  const options = { headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    Object.assign(options, { method: "POST", body: JSON.stringify(body) });
  }
  const res = await fetch(path, options);
  if (res.status === 401) { showLogin(); throw new Error("401"); }
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new Error(body.error ? body.error.message : res.statusText);
  }
  return res;
}

function showLogin() {
  $("#login").hidden = false; $("#report").hidden = true; $("#staffing").hidden = true;
}

function query(format) {
  const f = $("#filters");
  const params = new URLSearchParams({ interval: f.interval.value, format });
  if (f.day.value) { params.set("from", f.day.value); params.set("to", f.day.value); }
  if (format === "xlsx") params.set("lang", lang);
  return params.toString();
}

function sumRows(rows) {
  // All queues of one interval together: counts add up, ratios are recomputed.
  const keys = ["offered", "answered", "answered_in_target", "abandoned", "short_abandoned",
    "timed_out", "exited_empty", "transfers"];
  const out = { interval_start: rows[0].interval_start, longest_wait: 0, hold: 0, handled: 0 };
  keys.push("completed");
  keys.forEach((k) => { out[k] = 0; });
  for (const r of rows) {
    keys.forEach((k) => { out[k] += r[k]; });
    out.longest_wait = Math.max(out.longest_wait, r.longest_wait);
    out.hold += (r.asa || 0) * r.answered;
    out.handled += r.talk_time + r.wrap_time;
  }
  const known = out.answered + out.abandoned - out.short_abandoned + out.timed_out + out.transfers + out.exited_empty;
  out.service_level = known ? out.answered_in_target / known : null;
  out.asa = out.answered ? out.hold / out.answered : null;
  out.aht = out.completed ? out.handled / out.completed : null;
  return out;
}

function series(report) {
  const queue = $("#filters").queue.value;
  const byStart = new Map();
  for (const r of report.rows) {
    if (queue && r.queue !== queue) continue;
    if (!byStart.has(r.interval_start)) byStart.set(r.interval_start, []);
    byStart.get(r.interval_start).push(r);
  }
  return [...byStart.values()].map((rows) => (rows.length === 1 ? rows[0] : sumRows(rows)));
}

function fmt(value, digits) { return value === null || value === undefined ? "-" : Number(value).toFixed(digits); }

function render(report) {
  last = report;
  $("#period").textContent = t("period")(report);
  const select = $("#filters").queue;
  const queues = [...new Set(report.rows.map((r) => r.queue))];
  const chosen = select.value;
  select.replaceChildren(new Option(t("all"), ""), ...queues.map((q) => new Option(q, q)));
  select.value = queues.includes(chosen) ? chosen : "";
  const rows = series(report);
  const tbody = $("#intervals tbody");
  tbody.replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    const start = r.interval_start.slice(11, 16);
    [start, r.offered, r.answered, r.abandoned,
      r.service_level === null ? "-" : fmt(r.service_level * 100, 1) + "%",
      fmt(r.asa, 1), fmt(r.aht, 1), fmt(r.longest_wait, 0)].forEach((v) => {
      const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
    });
    tr.dataset.start = start;
    return tr;
  }));
  drawCharts(report, rows);
}

function drawCharts(report, rows) {
  charts.forEach((c) => c.destroy());
  const xs = rows.map((r) => Date.parse(r.interval_start) / 1000);
  const zone = report.time_zone;
  const hhmm = new Intl.DateTimeFormat(lang, { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const base = () => ({
    width: 420, height: 220,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), zone),
    scales: { x: { time: true } }, legend: { show: true },
    axes: [{ values: (u, splits) => splits.map((ts) => hhmm.format(new Date(ts * 1000))) }, {}],
  });
  const x = { label: t("start"), value: (u, ts) => (ts === null ? "--" : hhmm.format(new Date(ts * 1000))) };
  const bars = uPlot.paths.bars({ size: [0.6, 30] });
  charts = [
    new uPlot(Object.assign(base(), {
      series: [x, { label: t("offered"), stroke: "#13315c", paths: bars, fill: "#13315c55" },
        { label: t("answered"), stroke: "#2e7d32" }, { label: t("abandoned"), stroke: "#b00020" }],
    }), [xs, rows.map((r) => r.offered), rows.map((r) => r.answered), rows.map((r) => r.abandoned)], $("#chart-volume")),
    new uPlot(Object.assign(base(), {
      scales: { x: { time: true }, y: { range: [0, 100] } },
      series: [x, { label: t("sl_short"), stroke: "#2e7d32", points: { show: true } }],
    }), [xs, rows.map((r) => (r.service_level === null ? null : r.service_level * 100))], $("#chart-sl")),
    new uPlot(Object.assign(base(), {
      series: [x, { label: t("asa_short"), stroke: "#e65100", points: { show: true } }],
    }), [xs, rows.map((r) => r.asa)], $("#chart-asa")),
  ];
  if (lastAgents) {
    // seconds in each state, all agents together, divided by the interval: average agents
    const seconds = Number(report.interval) * 60;
    const by = new Map(xs.map((ts) => [ts, { talk: 0, wrap: 0, paused: 0, free: 0 }]));
    for (const a of lastAgents.rows) {
      const slot = by.get(Date.parse(a.interval_start) / 1000);
      if (!slot) continue;
      slot.talk += a.talk_time; slot.wrap += a.wrap_time; slot.paused += a.paused_time;
      slot.free += Math.max(0, a.logged_in_time - a.paused_time - a.talk_time - a.wrap_time);
    }
    const avg = (key) => xs.map((ts) => by.get(ts)[key] / seconds);
    charts.push(new uPlot(Object.assign(base(), {
      series: [x, { label: t("talking"), stroke: "#13315c" }, { label: t("wrapping"), stroke: "#6a1b9a" },
        { label: t("paused"), stroke: "#b00020" }, { label: t("available"), stroke: "#2e7d32" }],
    }), [xs, avg("talk"), avg("wrap"), avg("paused"), avg("free")], $("#chart-agents")));
  }
}

async function load() {
  $("#error").textContent = "";
  try {
    const [res, agents] = await Promise.all([
      api("/api/reports/queues?" + query("json")), api("/api/reports/agents?" + query("json")),
    ]);
    const report = await res.json();
    lastAgents = await agents.json();
    if (!$("#filters").day.value) $("#filters").day.value = report.from;
    render(report);
  } catch (err) {
    if (err.message !== "401") $("#error").textContent = err.message;
  }
}

async function download(kind, format) {
  $("#error").textContent = "";
  try {
    const res = await api(`/api/reports/${kind}?` + query(format));
    const disposition = res.headers.get("Content-Disposition") || "";
    const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || `${kind}.${format}`;
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement("a");
    a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (err) {
    if (err.message !== "401") $("#error").textContent = err.message;
  }
}

const REPORT_ROLES = ["supervisor", "admin"];

function start(me) {
  if (!REPORT_ROLES.includes(me.role)) { AtendeHome.refuse(me.role); return; }
  $("#login").hidden = true;
  $("#report").hidden = false;
  $("#staffing").hidden = false;
  load();
}

function forecastLines() {
  // "08:00 100 180" (spaces, tabs, commas or semicolons between the three fields)
  const lines = $("#staffing-form").forecast.value.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.map((line, i) => {
    const [start, calls, aht] = line.split(/[\s;,]+/);
    if (!start || isNaN(Number(calls)) || isNaN(Number(aht)) || aht === undefined) {
      throw new Error(t("bad_line")(i + 1));
    }
    return { start, calls: Number(calls), aht: Number(aht) };
  });
}

async function plan() {
  $("#staffing-error").textContent = "";
  const f = $("#staffing-form");
  try {
    const res = await api("/api/staffing", {
      intervals: forecastLines(),
      interval_minutes: Number(f.interval_minutes.value),
      sl_target: Number(f.sl_target.value) / 100,
      sl_seconds: Number(f.sl_seconds.value),
      shrinkage: Number(f.shrinkage.value) / 100,
    });
    const body = await res.json();
    $("#staffing-plan tbody").replaceChildren(...body.intervals.map((r) => {
      const tr = document.createElement("tr");
      tr.dataset.start = r.start;
      [r.start, r.calls, r.aht, fmt(r.traffic, 2), r.agents, r.scheduled,
        fmt(r.service_level * 100, 1) + "%", fmt(r.occupancy * 100, 1) + "%", fmt(r.asa, 2)].forEach((v) => {
        const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      });
      return tr;
    }));
  } catch (err) {
    if (err.message !== "401") $("#staffing-error").textContent = err.message;
  }
}

function forecastFromReport() {
  if (!last) return;
  const f = $("#staffing-form");
  f.interval_minutes.value = $("#filters").interval.value;
  f.forecast.value = series(last).filter((r) => r.offered > 0)
    .map((r) => `${r.interval_start.slice(11, 16)} ${r.offered} ${Math.round(r.aht || 180)}`).join("\n");
}

$("#login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const res = await fetch("/api/login", {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Requested-With": "atende" },
    body: JSON.stringify({ username: f.username.value, password: f.password.value, session: "cookie" }),
  });
  const body = await res.json();
  if (!res.ok) { $("#login-error").textContent = body.error.message; return; }
  $("#login-error").textContent = "";
  start(body);
});
$("#filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
$("#staffing-form").addEventListener("submit", (ev) => { ev.preventDefault(); plan(); });
$("#from-report").addEventListener("click", forecastFromReport);
$("#filters").queue.addEventListener("change", () => { if (last) render(last); });
$("#lang").addEventListener("change", (ev) => {
  lang = ev.target.value; localStorage.setItem(langKey, lang); translate();
});
document.querySelectorAll("[data-export]").forEach((b) => {
  b.addEventListener("click", () => download(b.dataset.export, b.dataset.format));
});
translate();
api("/api/me").then((res) => res.json()).then(start, showLogin);
