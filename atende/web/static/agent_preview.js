"use strict";
// Preview campaigns and scheduled callbacks on the agent's desk: while the agent is available
// the engine offers him a callback now due (his or anyone's), else the next lead of a preview
// campaign (GET /api/agent/preview, asked again every few seconds); he sees the lead (and the
// customer when the lead is a known one) and dials it (his phone rings first, then the lead
// with the campaign's caller id) or skips it. In a call, a small form schedules a callback
// (date and time, for him or anyone: POST /api/agent/callbacks). The panel is this module's
// own section, placed after the state panel; the form goes after the disposition.
(() => {
  const $ = (sel) => document.querySelector(sel);
  const el = AgentView.el;
  const ASK_MS = 2000;
  const TEXT = {
    "pt-BR": {
      title: "Campanha: próximo contato", callback_title: "Retorno agendado", due: "Agendado para",
      note: "Observação", schedule: "Agendar retorno", when: "Data e hora", anyone: "Qualquer agente",
      scheduled: (when) => `Retorno agendado para ${when}.`, dial: "Ligar", skip: "Pular", name: "Nome",
      number: "Telefone", state: "UF", campaign: "Campanha", caller_id: "Número apresentado",
      customer: "Cliente", risk: "Risco", overdue: "Vencido", limit: "Limite de crédito",
      dialing: "Ligando: atenda o seu telefone.", skipped: "Contato pulado.",
      errors: { no_preview_lead: "Este contato não está mais reservado para você.",
                agent_busy: "Você está em uma chamada.", dialer_unavailable: "O discador não está em execução.",
                no_call: "Não há chamada sua para retornar.", callback_in_past: "Escolha uma data e hora futuras." },
    },
    en: {
      title: "Campaign: next contact", callback_title: "Scheduled callback", due: "Due at",
      note: "Note", schedule: "Schedule a callback", when: "Date and time", anyone: "Any agent",
      scheduled: (when) => `Callback scheduled for ${when}.`, dial: "Dial", skip: "Skip", name: "Name",
      number: "Phone", state: "State", campaign: "Campaign", caller_id: "Presented number",
      customer: "Customer", risk: "Risk", overdue: "Overdue", limit: "Credit limit",
      dialing: "Dialing: answer your phone.", skipped: "Contact skipped.",
      errors: { no_preview_lead: "This contact is no longer held for you.",
                agent_busy: "You are on a call.", dialer_unavailable: "The dialer is not running.",
                no_call: "No call of yours to call back.", callback_in_past: "Pick a date and time to come." },
    },
  };
  const state = { lead: null, answer: null, busy: false };

  const t = () => TEXT[document.documentElement.lang] || TEXT["pt-BR"];

  function panel() {
    let section = $("#preview-panel");
    if (section) return section;
    section = el("section", null, { id: "preview-panel", class: "panel" });
    section.hidden = true;
    section.append(
      el("h2", null, { id: "preview-title" }),
      el("dl", null, { id: "preview-lead", class: "facts" }),
      el("dl", null, { id: "preview-customer", class: "facts" }),
      el("div", null, { class: "actions" }),
      el("p", null, { id: "preview-status", role: "status" }),
      el("p", null, { id: "preview-error", class: "error", role: "alert" }),
    );
    const actions = section.querySelector(".actions");
    const dial = el("button", null, { type: "button", id: "btn-preview-dial" });
    const skip = el("button", null, { type: "button", id: "btn-preview-skip" });
    dial.addEventListener("click", () => act("/api/agent/preview/dial", "dialing"));
    skip.addEventListener("click", () => act("/api/agent/preview/skip", "skipped"));
    actions.append(dial, skip);
    const anchor = $("#state-panel");
    anchor.parentNode.insertBefore(section, anchor.nextSibling);
    return section;
  }

  function draw(answer) {
    const section = panel();
    const tt = t();
    $("#btn-preview-dial").textContent = tt.dial;
    $("#btn-preview-skip").textContent = tt.skip;
    const lead = answer ? answer.lead : null;
    state.lead = lead;
    state.answer = lead ? answer : null;
    $("#preview-title").textContent = lead && lead.callback_id ? tt.callback_title : tt.title;
    section.hidden = !lead;
    if (!lead) {
      delete section.dataset.lead;
      delete section.dataset.customer;
      return;
    }
    section.dataset.lead = String(lead.lead_id);
    if (lead.callback_id) section.dataset.callback = String(lead.callback_id);
    else delete section.dataset.callback;
    const facts = [
      ["name", tt.name, lead.name], ["number", tt.number, lead.number],
      ["state", tt.state, lead.state], ["campaign", tt.campaign, lead.campaign_id],
      ["caller_id", tt.caller_id, lead.caller_id],
    ];
    if (lead.due_at) facts.push(["due_at", tt.due, new Date(lead.due_at).toLocaleString(document.documentElement.lang)]);
    if (lead.note) facts.push(["note", tt.note, lead.note]);
    AgentView.facts($("#preview-lead"), facts);
    const view = answer.view;
    if (view) {
      const reg = view.registration;
      section.dataset.customer = `${reg.code}-${reg.store}`;
      AgentView.facts($("#preview-customer"), [
        ["customer", tt.customer, `${reg.name} (${reg.code}-${reg.store})`],
        ["risk", tt.risk, view.credit.risk], ["credit_limit", tt.limit, view.credit.credit_limit],
        ["overdue_amount", tt.overdue, view.credit.overdue_amount],
      ]);
    } else {
      delete section.dataset.customer;
      $("#preview-customer").replaceChildren();
    }
  }

  async function act(path, said) {
    if (!state.lead || state.busy) return;
    state.busy = true;
    $("#preview-error").textContent = "";
    try {
      const lead = state.lead;
      const body = lead.callback_id ? { lead_id: 0, callback_id: lead.callback_id } : { lead_id: lead.lead_id };
      const answer = await Agent.api(path, body);
      $("#preview-status").textContent = t()[said];
      if (said === "dialing") {  // the desk shows it as the agent's own call (hang-up, DTMF)
        const desk = Agent.desk;
        desk.outbound = lead.number;
        desk.outboundSeen = Boolean(desk.me && desk.me.pause_reason === "outbound call");
        if (desk.me) Agent.render(desk.me);
        document.querySelector("#state-status").textContent = t().dialing;  // the panel goes
      }
      draw(answer && "lead" in answer ? answer : null);
    } catch (err) {
      $("#preview-error").textContent = (err.code && t().errors[err.code]) || Agent.reason(err);
      if (err.code === "no_preview_lead") draw(null);
    } finally {
      state.busy = false;
    }
  }

  async function ask() {
    const desk = Agent.desk;
    const me = desk.me;
    if (!desk.signedIn || state.busy) return;
    if (!me || me.state === "logged_out") { draw(null); return; }  // a held lead is let go
    // held for a preview lead (paused "preview lead"): ask again, the lead is still his
    if (!state.lead && me.state !== "available" && me.pause_reason !== "preview lead") { draw(null); return; }
    try {
      draw(await Agent.api("/api/agent/preview"));
    } catch (err) {
      // an agent with no dialer, or signed out meanwhile: nothing to offer
      draw(null);
    }
  }

  // -- scheduling a callback from the call --------------------------------------------------
  function callbackForm() {
    let form = $("#callback-form");
    if (form) return form;
    form = el("form", null, { id: "callback-form", class: "inline" });
    const when = el("input", null, { type: "datetime-local", name: "at", required: "" });
    const anyone = el("input", null, { type: "checkbox", name: "anyone" });
    const note = el("input", null, { name: "note", maxlength: "512" });
    const whenLabel = el("label"); whenLabel.append(el("span", null, { "data-cb": "when" }), " ", when);
    const anyLabel = el("label"); anyLabel.append(anyone, " ", el("span", null, { "data-cb": "anyone" }));
    const noteLabel = el("label"); noteLabel.append(el("span", null, { "data-cb": "note" }), " ", note);
    form.append(whenLabel, anyLabel, noteLabel, el("button", null, { type: "submit", "data-cb": "schedule" }),
      el("p", null, { id: "callback-status", role: "status" }));
    form.addEventListener("submit", schedule);
    const anchor = $("#disposition");
    anchor.parentNode.insertBefore(form, anchor.nextSibling);
    words();
    return form;
  }

  function words() {
    document.querySelectorAll("[data-cb]").forEach((node) => { node.textContent = t()[node.dataset.cb]; });
  }

  async function schedule(ev) {
    ev.preventDefault();
    const f = ev.target;
    const status = $("#callback-status");
    const at = new Date(f.at.value);
    if (Number.isNaN(at.getTime())) return;
    const callId = $("#call-panel").dataset.callId || null;
    const body = { at: at.toISOString(), anyone: f.anyone.checked, call_id: callId };
    if (f.note.value.trim()) body.note = f.note.value.trim();
    try {
      const made = await Agent.api("/api/agent/callbacks", body);
      status.className = "";
      status.textContent = t().scheduled(new Date(made.due_at).toLocaleString(document.documentElement.lang));
      f.reset();
    } catch (err) {
      status.className = "error";
      status.textContent = (err.code && t().errors[err.code]) || Agent.reason(err);
    }
  }

  callbackForm();
  document.addEventListener("agent-call", () => { $("#callback-status").textContent = ""; });
  document.querySelector("#lang").addEventListener("change", () => setTimeout(words, 0));
  document.querySelector("#lang").addEventListener("change", () => setTimeout(() => draw(state.answer), 0));
  setInterval(ask, ASK_MS);
})();
