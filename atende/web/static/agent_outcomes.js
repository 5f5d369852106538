"use strict";
// The outcome forms inside the call: a sales order, a promise to pay, a service ticket. Each is
// stored as the call's outcome (POST /api/erp/outcomes) and delivered to the ERP by the outbox;
// the page follows it until the ERP answers and shows the answer (for an order: released, or
// blocked by credit 01/04 or stock 02, with the reason and the customer's position).
(() => {
  const $ = (sel) => document.querySelector(sel);
  const el = AgentView.el;
  const t = () => Agent.t();
  const form = { lines: [], callId: null, view: null };
  const FOLLOW_MS = 400;
  const FOLLOW_FOR_MS = 30000;

  function customer() {
    const reg = form.view.registration;
    return { customer_code: reg.code, customer_store: reg.store };
  }

  function isoDay(offset) {
    const d = new Date(Date.now() + offset * 86400000);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  }

  function fail(err) {
    const fields = (err.fields || []).map((f) => `${f.field}: ${f.problem}`).join("; ");
    $("#outcome-error").textContent = Agent.reason(err) + (fields ? ` (${fields})` : "");
  }

  // -- tabs -------------------------------------------------------------------------------
  document.querySelectorAll("[data-tab]").forEach((tab) => {
    tab.addEventListener("click", () => {
      document.querySelectorAll("form.outcome").forEach((f) => { f.hidden = f.id !== tab.dataset.tab; });
      document.querySelectorAll("[data-tab]").forEach((b) => b.setAttribute("aria-selected", String(b === tab)));
    });
  });

  // -- a new call, a new view -------------------------------------------------------------
  document.addEventListener("agent-call", (ev) => {
    form.callId = ev.detail.call_id;
    form.lines = [];
    drawLines();
    $("#products tbody").replaceChildren();
    document.querySelectorAll("form.outcome").forEach((f) => f.reset());
    $("#outcome-result").hidden = true;
    $("#outcome-error").textContent = "";
  });

  document.addEventListener("agent-view", (ev) => {
    const changed = !form.view || form.view.registration.code !== ev.detail.registration.code ||
      form.view.registration.store !== ev.detail.registration.store;
    form.view = ev.detail;
    if (changed) drawOverdue();
    const f = $("#order-form");
    if (!f.delivery_date.value) f.delivery_date.value = isoDay(0);  // due now: released at once
    const p = $("#promise-form");
    if (!p.promised_on.value) p.promised_on.value = isoDay(1);
  });

  // -- following an outcome until the ERP answers ---------------------------------------
  async function send(kind, payload) {
    $("#outcome-error").textContent = "";
    const box = $("#outcome-result");
    box.hidden = false;
    box.dataset.status = "pending";
    box.replaceChildren(el("p", t().pending));
    let stored;
    try {
      stored = await Agent.api("/api/erp/outcomes", { kind, payload, call_id: form.callId });
    } catch (err) {
      box.hidden = true;
      fail(err);
      return null;
    }
    const until = Date.now() + FOLLOW_FOR_MS;
    for (;;) {
      const outcome = await Agent.api(`/api/erp/outcomes/${encodeURIComponent(stored.id)}`).catch(() => null);
      if (outcome && outcome.status === "delivered") return outcome.result;
      if (outcome && outcome.status === "rejected") {
        box.dataset.status = "rejected";
        box.replaceChildren(el("p", t().rejected(outcome.reject_code, outcome.reject_message)));
        return null;
      }
      if (Date.now() > until) return null;  // still pending: the outbox keeps trying
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_MS));
    }
  }

  async function freshView() {
    const reg = form.view.registration;
    try {
      return await Agent.api(`/api/agent/customers/${encodeURIComponent(reg.code + "-" + reg.store)}/view`);
    } catch (err) { return null; }
  }

  // -- sales order ------------------------------------------------------------------------
  async function findProducts() {
    const search = $("#order-form").search.value.trim();
    $("#outcome-error").textContent = "";
    try {
      const found = await Agent.api("/api/erp/products?" + new URLSearchParams({ search }));
      AgentView.rows($("#products tbody"), found.products, (p) => {
        const qty = el("input", null, { name: "qty", value: "1", size: "5", inputmode: "decimal", "aria-label": t().quantity });
        const add = el("button", t().add, { type: "button", class: "add" });
        add.addEventListener("click", () => { form.lines.push({ product: p.code, description: p.description, quantity: qty.value.trim(), price: p.list_price }); drawLines(); });
        const holder = el("span");
        holder.appendChild(add);
        return [p.code, p.description, p.available, p.list_price, qty, holder];
      }, (p) => p.code);
    } catch (err) { fail(err); }
  }

  function drawLines() {
    AgentView.rows($("#order-lines tbody"), form.lines, (line) => {
      const remove = el("button", t().remove, { type: "button" });
      remove.addEventListener("click", () => { form.lines = form.lines.filter((x) => x !== line); drawLines(); });
      return [`${line.product} ${line.description}`, line.quantity, line.price, remove];
    }, (line) => line.product);
  }

  async function placeOrder(ev) {
    ev.preventDefault();
    if (!form.lines.length) { $("#outcome-error").textContent = t().order_lines + ": 0"; return; }
    const delivery = $("#order-form").delivery_date.value;
    const payload = Object.assign(customer(), {
      lines: form.lines.map((l) => ({ product: l.product, quantity: l.quantity, delivery_date: delivery })),
    });
    const result = await send("sales_order", payload);
    if (!result) return;
    form.lines = [];
    drawLines();
    const view = (await freshView()) || form.view;
    showOrder(result, view);
  }

  function showOrder(result, view) {
    const tt = t();
    const box = $("#outcome-result");
    box.dataset.status = result.status;
    const head = el("p", tt.order_result({ order: result.order, status_text: tt.order_status[result.status] || result.status }), { class: "result-head" });
    const why = el("p", result.credit_reason || result.stock_reason || "", { class: "result-reason" });
    const lines = el("table", null, { class: "result-lines" });
    AgentView.rows(lines.appendChild(el("tbody")), result.lines, (l) => [
      l.item, l.product, l.quantity, l.value,
      [l.credit_block, l.stock_block].filter(Boolean).map((c) => tt.block[c] || c).join(", ") || tt.order_status.released,
    ], (l) => l.item);
    const position = el("dl", null, { class: "facts result-position" });
    const c = view.credit;
    const f = tt.facts;
    AgentView.facts(position, [
      ["credit_limit", f.credit_limit, c.credit_limit], ["limit_balance", f.limit_balance, c.limit_balance],
      ["open_receivables", f.open_receivables, c.open_receivables], ["open_orders", f.open_orders, c.open_orders],
      ["overdue_amount", f.overdue_amount, c.overdue_amount],
      ["largest_delay_days", f.largest_delay_days, c.largest_delay_days],
      ["average_days_late", f.average_days_late, c.average_days_late],
    ]);
    box.replaceChildren(head, why, lines, el("h3", tt.position), position);
  }

  // -- promise to pay ---------------------------------------------------------------------
  function drawOverdue() {
    const overdue = form.view ? form.view.overdue_titles : [];
    AgentView.rows($("#promise-titles tbody"), overdue, (x) => {
      const box = el("input", null, { type: "checkbox", name: "title", value: AgentView.titleNo(x) });
      box.addEventListener("change", sumChosen);
      return [box, AgentView.titleNo(x), x.due, x.balance, x.days_late];
    }, AgentView.titleNo);
    $("#no-overdue").hidden = overdue.length > 0;
  }

  function chosenTitles() {
    const keys = [...document.querySelectorAll("#promise-titles input[name=title]:checked")].map((b) => b.value);
    return form.view.overdue_titles.filter((x) => keys.includes(AgentView.titleNo(x)));
  }

  function sumChosen() {
    const cents = chosenTitles().reduce((sum, x) => sum + Math.round(Number(x.balance) * 100), 0);
    $("#promise-form").amount.value = (cents / 100).toFixed(2);
  }

  async function promise(ev) {
    ev.preventDefault();
    const f = ev.target;
    const titles = chosenTitles().map((x) => [x.prefix, x.number, x.installment]);
    const payload = Object.assign(customer(), { titles, promised_on: f.promised_on.value, amount: f.amount.value.trim().replace(",", ".") });
    const result = await send("promise", payload);
    if (result) {
      $("#outcome-result").dataset.status = result.status;
      $("#outcome-result").replaceChildren(el("p", t().promise_result(result), { class: "result-head" }));
    }
  }

  // -- service ticket ---------------------------------------------------------------------
  async function ticket(ev) {
    ev.preventDefault();
    const f = ev.target;
    const payload = Object.assign(customer(), {
      product: f.product.value.trim(), serial: f.serial.value.trim(), description: f.description.value.trim(),
    });
    const result = await send("service_ticket", payload);
    if (result) {
      $("#outcome-result").dataset.status = result.status;
      $("#outcome-result").replaceChildren(el("p", t().ticket_result(result), { class: "result-head" }));
      f.reset();
    }
  }

  $("#btn-find-products").addEventListener("click", findProducts);
  $("#order-form").search.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); findProducts(); } });
  $("#order-form").addEventListener("submit", placeOrder);
  $("#promise-form").addEventListener("submit", promise);
  $("#ticket-form").addEventListener("submit", ticket);
})();
