"use strict";
// Preview campaigns on the agent's desk: while the agent is available the engine offers him
// the next lead of a preview campaign (GET /api/agent/preview, asked again every few seconds);
// he sees the lead (and the customer when the lead is a known one) and dials it (his phone
// rings first, then the lead with the campaign's caller id) or skips it. The panel is this
// module's own section, placed after the state panel.
(() => {
  const $ = (sel) => document.querySelector(sel);
  const el = AgentView.el;
  const ASK_MS = 2000;
  const TEXT = {
    "pt-BR": {
      title: "Campanha: próximo contato", dial: "Ligar", skip: "Pular", name: "Nome",
      number: "Telefone", state: "UF", campaign: "Campanha", caller_id: "Número apresentado",
      customer: "Cliente", risk: "Risco", overdue: "Vencido", limit: "Limite de crédito",
      dialing: "Ligando: atenda o seu telefone.", skipped: "Contato pulado.",
      errors: { no_preview_lead: "Este contato não está mais reservado para você.",
                agent_busy: "Você está em uma chamada.", dialer_unavailable: "O discador não está em execução." },
    },
    en: {
      title: "Campaign: next contact", dial: "Dial", skip: "Skip", name: "Name",
      number: "Phone", state: "State", campaign: "Campaign", caller_id: "Presented number",
      customer: "Customer", risk: "Risk", overdue: "Overdue", limit: "Credit limit",
      dialing: "Dialing: answer your phone.", skipped: "Contact skipped.",
      errors: { no_preview_lead: "This contact is no longer held for you.",
                agent_busy: "You are on a call.", dialer_unavailable: "The dialer is not running." },
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
    $("#preview-title").textContent = tt.title;
    $("#btn-preview-dial").textContent = tt.dial;
    $("#btn-preview-skip").textContent = tt.skip;
    const lead = answer ? answer.lead : null;
    state.lead = lead;
    state.answer = lead ? answer : null;
    section.hidden = !lead;
    if (!lead) {
      delete section.dataset.lead;
      delete section.dataset.customer;
      return;
    }
    section.dataset.lead = String(lead.lead_id);
    AgentView.facts($("#preview-lead"), [
      ["name", tt.name, lead.name], ["number", tt.number, lead.number],
      ["state", tt.state, lead.state], ["campaign", tt.campaign, lead.campaign_id],
      ["caller_id", tt.caller_id, lead.caller_id],
    ]);
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
      const answer = await Agent.api(path, { lead_id: lead.lead_id });
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
    if (!state.lead && (!me || me.state !== "available")) { draw(null); return; }
    try {
      draw(await Agent.api("/api/agent/preview"));
    } catch (err) {
      // an agent with no dialer, or signed out meanwhile: nothing to offer
      draw(null);
    }
  }

  document.querySelector("#lang").addEventListener("change", () => setTimeout(() => draw(state.answer), 0));
  setInterval(ask, ASK_MS);
})();
