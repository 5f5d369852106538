"use strict";
// The chosen campaign's leads on the campaign manager's page (GET /api/campaigns/{id}/leads):
// each with its status as the dialer left it (new, retry with its next try, done, settled),
// the last reason and the attempts by result; filtered by status, a page at a time. The
// section is this module's own, placed after the live figures; it follows the campaign the
// page shows (``chosen`` of campaigns.js).
(() => {
  const PAGE = 50;
  const TEXT = {
    "pt-BR": {
      leads: "Leads da campanha", all: "Todos", new: "Novo", retry: "Nova tentativa",
      done: "Concluído", settled: "Quitado", name: "Nome", status: "Situação", reason: "Motivo",
      attempts: "Tentativas", next_try: "Próxima tentativa", refresh: "Atualizar", more: "Mais",
    },
    en: {
      leads: "Campaign leads", all: "All", new: "New", retry: "Retry",
      done: "Done", settled: "Settled", name: "Name", status: "Status", reason: "Reason",
      attempts: "Attempts", next_try: "Next try", refresh: "Refresh", more: "More",
    },
  };
  const view = { campaign: null, after: 0 };
  const tx = (key) => (TEXT[document.documentElement.lang] || TEXT["pt-BR"])[key] || key;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function section() {
    let s = document.querySelector("#leads");
    if (s) return s;
    s = el("section", { id: "leads" });
    s.hidden = true;
    const filter = el("select", { name: "status", "aria-label": "status" });
    ["", "new", "retry", "done", "settled"].forEach((v) => filter.appendChild(el("option", { value: v })));
    filter.addEventListener("change", () => load(true));
    const refresh = el("button", { type: "button", id: "leads-refresh", "data-l": "refresh" });
    refresh.addEventListener("click", () => load(true));
    const more = el("button", { type: "button", id: "leads-more", "data-l": "more" });
    more.hidden = true;
    more.addEventListener("click", () => load(false));
    const head = el("tr");
    ["name", "status", "reason", "attempts", "next_try"].forEach((k) => head.appendChild(el("th", { "data-l": k })));
    const table = el("table", { id: "lead-list" });
    table.append(el("thead"), el("tbody"));
    table.tHead.appendChild(head);
    s.append(el("h2", { "data-l": "leads" }), filter, refresh, table, more);
    const figures = document.querySelector("#figures");
    figures.parentNode.insertBefore(s, figures.nextSibling);
    return s;
  }

  function words() {
    const s = section();
    s.querySelectorAll("[data-l]").forEach((node) => { node.textContent = tx(node.dataset.l); });
    s.querySelectorAll("select[name=status] option").forEach((o) => { o.textContent = tx(o.value || "all"); });
  }

  function row(lead) {
    const tr = el("tr", { "data-lead": String(lead.id), "data-status": lead.status });
    const attempts = Object.entries(lead.attempts).map(([k, n]) => `${k}: ${n}`).join(", ");
    const next = lead.next_try ? new Date(lead.next_try).toLocaleString(document.documentElement.lang) : "";
    [lead.name, tx(lead.status), lead.reason, attempts, next].forEach((v) => tr.appendChild(el("td", {}, v)));
    return tr;
  }

  async function load(fresh) {
    if (view.campaign === null) return;
    const s = section();
    if (fresh) view.after = 0;
    const status = s.querySelector("select[name=status]").value;
    const query = new URLSearchParams({ limit: String(PAGE), after: String(view.after) });
    if (status) query.set("status", status);
    try {
      const page = await api(`/api/campaigns/${view.campaign}/leads?${query}`);
      const body = s.querySelector("#lead-list tbody");
      const rows = page.leads.map(row);
      if (fresh) body.replaceChildren(...rows); else body.append(...rows);
      view.after = page.next_after || 0;
      s.querySelector("#leads-more").hidden = !page.next_after;
    } catch (err) {
      document.querySelector("#campaign-error").textContent = err.message;
    }
  }

  // follow the campaign the page shows
  setInterval(() => {
    const shown = typeof chosen === "undefined" ? null : chosen;
    if (shown === view.campaign) return;
    view.campaign = shown;
    section().hidden = shown === null;
    words();
    load(true);
  }, 300);
  document.querySelector("#lang").addEventListener("change", () => setTimeout(() => { words(); load(true); }, 0));
})();
