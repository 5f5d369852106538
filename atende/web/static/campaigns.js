"use strict";
// The campaign manager's page: campaigns (create, start, pause, stop), list uploads with
// their progress and rejection report, and the live figures of the chosen campaign.
const langKey = "atende.lang";
const T = {
  "pt-BR": {
    title: "Campanhas", sign_in: "Entrar", user: "Usuário", password: "Senha",
    campaigns: "Campanhas", name: "Nome", kind: "Tipo", status: "Situação", mode: "Modo",
    queue: "Fila", lists: "Listas", actions: "Ações", no_campaigns: "Nenhuma campanha ainda.",
    new_campaign: "Nova campanha", telemarketing: "Telemarketing", televendas: "Televendas",
    telecobranca: "Telecobrança", caller_id: "Número apresentado",
    profile: "Perfil de conformidade", progressive: "Progressivo", predictive: "Preditivo",
    preview: "Prévia", ratio: "Linhas por agente (progressivo)",
    max_abandon: "Abandono máximo (%)", create: "Criar", upload_list: "Enviar lista",
    campaign: "Campanha", list_name: "Nome da lista", file: "Arquivo (CSV ou XLSX, até 256 MiB)",
    send: "Enviar", report: "Baixar relatório de rejeições (CSV)", figures: "Números ao vivo",
    dial_level: "Nível de discagem", lines_in_use: "Linhas em uso", answered: "Atendidas",
    abandon_rate: "Taxa de abandono / limite", short_calls: "Chamadas curtas / limite",
    remaining: "Leads a discar", result: "Resultado", count: "Quantidade",
    start: "Iniciar", pause: "Pausar", stop: "Encerrar", show: "Números",
    draft: "Rascunho", running: "Em execução", paused: "Pausada", stopped: "Encerrada",
    settled: "Quitados ou com promessa", none: "(nenhuma)", sending: (p) => `Enviando o arquivo: ${p}%`,
    source_dialer: "(do discador)", source_stored: "(dos leads gravados; discador parado)",
    created: (n) => `Campanha ${n} criada.`,
    progress: (u) => `Envio ${u.id} (${u.file_name}): ${u.rows_read} linhas lidas, ${u.leads_added} leads incluídos, ${u.rows_rejected} linhas rejeitadas` + (u.status === "running" ? "…" : u.status === "done" ? ". Concluído." : `. Falhou: ${u.error}`),
    repeated: (u) => `Este arquivo já foi carregado nesta lista (envio ${u.id}); nada foi incluído.`,
  },
  en: {
    title: "Campaigns", sign_in: "Sign in", user: "User", password: "Password",
    campaigns: "Campaigns", name: "Name", kind: "Type", status: "Status", mode: "Mode",
    queue: "Queue", lists: "Lists", actions: "Actions", no_campaigns: "No campaigns yet.",
    new_campaign: "New campaign", telemarketing: "Telemarketing", televendas: "Telesales",
    telecobranca: "Collections", caller_id: "Presented number",
    profile: "Compliance profile", progressive: "Progressive", predictive: "Predictive",
    preview: "Preview", ratio: "Lines per agent (progressive)",
    max_abandon: "Maximum abandon rate (%)", create: "Create", upload_list: "Upload a list",
    campaign: "Campaign", list_name: "List name", file: "File (CSV or XLSX, up to 256 MiB)",
    send: "Upload", report: "Download the rejection report (CSV)", figures: "Live figures",
    dial_level: "Dial level", lines_in_use: "Lines in use", answered: "Answered",
    abandon_rate: "Abandon rate / cap", short_calls: "Short calls / cap",
    remaining: "Leads to dial", result: "Result", count: "Count",
    start: "Start", pause: "Pause", stop: "Stop", show: "Figures",
    draft: "Draft", running: "Running", paused: "Paused", stopped: "Stopped",
    settled: "Paid or promised", none: "(none)", sending: (p) => `Sending the file: ${p}%`,
    source_dialer: "(from the dialer)", source_stored: "(from the stored leads; dialer idle)",
    created: (n) => `Campaign ${n} created.`,
    progress: (u) => `Upload ${u.id} (${u.file_name}): ${u.rows_read} rows read, ${u.leads_added} leads added, ${u.rows_rejected} rows rejected` + (u.status === "running" ? "…" : u.status === "done" ? ". Done." : `. Failed: ${u.error}`),
    repeated: (u) => `This file was already loaded into this list (upload ${u.id}); nothing added.`,
  },
};
let lang = localStorage.getItem(langKey) || "pt-BR";
let campaigns = [];
let chosen = null;  // id of the campaign whose figures are shown
let lastUpload = null;
let lastFigures = null;
let figuresTimer = null;
let figuresStream = null;  // the chosen campaign's figures, pushed

const $ = (sel) => document.querySelector(sel);
const t = (key) => T[lang][key] ?? key;

function translate() {
  document.documentElement.lang = lang;
  $("#lang").value = lang;
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  document.title = "Atende - " + t("title");
  renderCampaigns();
  if (lastUpload) showUpload(lastUpload);
  if (lastFigures) showFigures(lastFigures);
}

class ApiFailure extends Error {
  constructor(status, body) {
    super(body.error ? body.error.message : String(status));
    this.status = status; this.body = body;
  }
}

// The session lives in an HttpOnly cookie; every request names the page (X-Requested-With).
async function api(path, method = "GET", body = undefined) {
  const headers = { "X-Requested-With": "atende" };
  const options = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const res = await fetch(path, options);
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) showLogin();
  if (!res.ok) throw new ApiFailure(res.status, data);
  return data;
}

function showLogin() { $("#login").hidden = false; $("#manager").hidden = true; }

function cell(tr, text) { const td = document.createElement("td"); td.textContent = text; tr.appendChild(td); return td; }

function renderCampaigns() {
  $("#no-campaigns").hidden = campaigns.length > 0;
  $("#campaigns tbody").replaceChildren(...campaigns.map((c) => {
    const tr = document.createElement("tr");
    tr.dataset.id = c.id;
    tr.classList.toggle("selected", c.id === chosen);
    [c.name, t(c.kind), t(c.status), t(c.mode) + (c.mode === "progressive" ? ` ${c.ratio}:1` : ""),
      c.queue, String(c.list_ids.length)].forEach((v) => cell(tr, v));
    const td = cell(tr, "");
    td.className = "status-" + c.status;
    for (const action of ["start", "pause", "stop"]) {
      const allowed = { start: ["draft", "paused"], pause: ["running"], stop: ["draft", "running", "paused"] }[action];
      if (!allowed.includes(c.status)) continue;
      const b = document.createElement("button");
      b.type = "button"; b.dataset.action = action; b.textContent = t(action);
      b.addEventListener("click", () => act(c.id, action));
      td.appendChild(b);
    }
    const show = document.createElement("button");
    show.type = "button"; show.dataset.action = "figures"; show.textContent = t("show");
    show.addEventListener("click", () => choose(c.id));
    td.appendChild(show);
    return tr;
  }));
  const select = $("#upload").campaign;
  const keep = select.value;
  select.replaceChildren(new Option(t("none"), ""), ...campaigns.filter((c) => c.status !== "stopped").map((c) => new Option(c.name, c.id)));
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

async function loadCampaigns() {
  campaigns = (await api("/api/campaigns")).campaigns;
  renderCampaigns();
}

async function act(id, action) {
  $("#campaign-error").textContent = "";
  try {
    await api(`/api/campaigns/${id}/${action}`, "POST");
    await loadCampaigns();
    if (chosen === id || chosen === null) choose(id);
  } catch (err) {
    $("#campaign-error").textContent = err.message;
  }
}

function choose(id) {
  chosen = id;
  renderCampaigns();
  $("#figures").hidden = false;
  clearInterval(figuresTimer);
  figuresTimer = null;
  if (figuresStream) figuresStream.close();
  refreshFigures();
  // pushed by the engine (Server-Sent Events) on every change; polled if the stream fails
  figuresStream = new EventSource(`/api/campaigns/${id}/figures/events`);
  figuresStream.addEventListener("figures", (ev) => {
    const f = JSON.parse(ev.data);
    if (f.campaign_id === chosen) showFigures(f);
  });
  figuresStream.addEventListener("error", () => {
    if (figuresStream && figuresStream.readyState === EventSource.CLOSED && figuresTimer === null) {
      figuresTimer = setInterval(refreshFigures, 2000);
    }
  });
}

function pct(x) { return (x * 100).toFixed(1) + "%"; }

function showFigures(f) {
  lastFigures = f;
  const c = campaigns.find((x) => x.id === f.campaign_id);
  $("#figures-name").textContent = c ? c.name : "#" + f.campaign_id;
  $("#figures-source").textContent = t("source_" + f.source);
  $("#f-dial_level").textContent = f.dial_level.toFixed(2);
  $("#f-lines_in_use").textContent = f.lines_in_use;
  $("#f-answered").textContent = f.answered;
  $("#f-abandon").textContent = `${pct(f.abandon_rate)} / ${pct(f.abandon_cap)}`;
  $("#f-abandon").classList.toggle("over", f.abandon_rate > f.abandon_cap);
  $("#f-short").textContent = f.short_call_cap ? `${f.short_calls} / ${f.short_call_cap}` : `${f.short_calls} / -`;
  $("#f-short").classList.toggle("over", f.short_call_cap > 0 && f.short_calls >= 0.8 * f.short_call_cap);
  $("#f-remaining_leads").textContent = f.remaining_leads;
  $("#results tbody").replaceChildren(...Object.entries(f.results).map(([code, n]) => {
    const tr = document.createElement("tr");
    tr.dataset.code = code;
    cell(tr, t(code)); cell(tr, String(n));
    return tr;
  }));
}

async function refreshFigures() {
  if (chosen === null) return;
  try {
    showFigures(await api(`/api/campaigns/${chosen}/figures`));
  } catch (err) {
    $("#campaign-error").textContent = err.message;
  }
}

$("#create").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const errors = $("#create-error");
  errors.replaceChildren();
  const body = {
    name: f.name.value.trim(), kind: f.kind.value, queue: f.queue.value.trim(),
    caller_id: f.caller_id.value.trim(), profile: f.profile.value, mode: f.mode.value,
  };
  if (f.mode.value === "progressive") body.ratio = Number(f.ratio.value);
  if (f.max_abandon.value !== "") body.max_abandon_rate = Number(f.max_abandon.value) / 100;
  try {
    const made = await api("/api/campaigns", "POST", body);
    errors.replaceChildren(Object.assign(document.createElement("li"), { textContent: t("created")(made.name), className: "ok" }));
    await loadCampaigns();
    $("#upload").campaign.value = String(made.id);
    choose(made.id);
  } catch (err) {
    const fields = err.body && err.body.error && err.body.error.fields;
    const lines = fields && fields.length ? fields.map((x) => `${x.field}: ${x.problem}`) : [err.message];
    errors.replaceChildren(...lines.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
  }
});

function showUpload(u) {
  lastUpload = u;
  $("#upload-status").textContent = u.repeated ? t("repeated")(u) : t("progress")(u);
  $("#upload-reasons").textContent = Object.entries(u.reasons).map(([k, n]) => `${k}: ${n}`).join(" · ");
  const link = $("#upload-report");
  link.href = u.report;
  link.hidden = !(u.status !== "running" && u.problems > 0);
}

async function follow(id) {
  const u = await api(`/api/campaigns/uploads/${id}`);
  showUpload(u);
  if (u.status === "running") { setTimeout(() => follow(id), 500); return; }
  await loadCampaigns();
  if (chosen !== null) refreshFigures();
}

$("#upload").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const f = ev.target;
  $("#upload-error").textContent = ""; $("#upload-status").textContent = ""; $("#upload-reasons").textContent = "";
  $("#upload-report").hidden = true; lastUpload = null;
  const params = new URLSearchParams();
  if (f.campaign.value) params.set("campaign", f.campaign.value);
  const form = new FormData();
  form.append("file", f.file.files[0]);
  // XMLHttpRequest (not fetch) for the progress of the bytes sent
  const xhr = new XMLHttpRequest();
  xhr.open("POST", `/api/campaigns/lists/${encodeURIComponent(f.list.value.trim())}/uploads?${params}`);
  xhr.setRequestHeader("X-Requested-With", "atende");
  const bar = $("#upload-bytes");
  bar.hidden = false; bar.value = 0;
  xhr.upload.addEventListener("progress", (e) => {
    if (!e.lengthComputable) return;
    bar.value = Math.round((100 * e.loaded) / e.total);
    $("#upload-status").textContent = t("sending")(bar.value);
  });
  xhr.addEventListener("load", () => {
    bar.hidden = true;
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
    if (xhr.status === 401) { showLogin(); return; }
    if (xhr.status >= 400) {
      $("#upload-status").textContent = "";
      $("#upload-error").textContent = body.error ? `${body.error.code}: ${body.error.message}` : String(xhr.status);
      return;
    }
    showUpload(body);
    if (body.status === "running") follow(body.id); else loadCampaigns();
  });
  xhr.addEventListener("error", () => { bar.hidden = true; $("#upload-error").textContent = "network error"; });
  xhr.send(form);
});

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
  begin();
});

async function begin() {
  try {
    const me = await api("/api/me");
    $("#who").textContent = me.username;
    await loadCampaigns();
    $("#login").hidden = true; $("#manager").hidden = false;
  } catch (err) {
    if (err.status === 403) $("#login-error").textContent = err.message;
    showLogin();
  }
}

$("#lang").addEventListener("change", (ev) => {
  lang = ev.target.value; localStorage.setItem(langKey, lang); translate();
});
translate();
begin();
