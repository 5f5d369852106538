"use strict";
// Drawing the customer view (the screen-pop document) into the agent page. Text only goes in
// through textContent: nothing the ERP holds is ever read as HTML.
const AgentView = (() => {
  const $ = (sel) => document.querySelector(sel);

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    return node;
  }

  /** Fill a <dl> with [key, label, value-or-node] triples; each <dd> carries data-fact=key. */
  function facts(dl, items) {
    dl.replaceChildren(...items.flatMap(([key, label, value]) => {
      const dd = el("dd", null, { "data-fact": key });
      if (value instanceof Node) dd.appendChild(value); else dd.textContent = value === null || value === undefined ? "-" : String(value);
      return [el("dt", label), dd];
    }));
  }

  function rows(tbody, list, cells, keyOf) {
    tbody.replaceChildren(...list.map((item) => {
      const tr = el("tr");
      if (keyOf) tr.dataset.key = keyOf(item);
      cells(item).forEach((c) => tr.appendChild(c instanceof Node ? wrapTd(c) : el("td", c)));
      return tr;
    }));
  }

  function wrapTd(node) { const td = el("td"); td.appendChild(node); return td; }

  function titleNo(t) { return [t.prefix, t.number, t.installment].filter(Boolean).join("-"); }

  function blocks(order, t) {
    const codes = new Set();
    order.rows.forEach((r) => { if (r.credit_block) codes.add(r.credit_block); if (r.stock_block) codes.add(r.stock_block); });
    return [...codes].sort().map((c) => t.block[c] || c).join(", ") || "-";
  }

  /** The view of one customer store; ``dial(number)`` is called by the phone buttons. */
  function render(view, t, dial) {
    $("#view").hidden = false;
    $("#view").dataset.customer = view.registration.code + "-" + view.registration.store;
    const stale = $("#stale");
    stale.hidden = !view.stale;
    stale.textContent = view.stale ? t.stale(view.age_seconds) : "";
    const reg = view.registration;
    const f = t.facts;
    const phones = el("span");
    reg.phones.forEach((number) => {
      const b = el("button", t.call_phone + " " + number, { type: "button", class: "dial", "data-number": number });
      b.addEventListener("click", () => dial(number, reg.code + "-" + reg.store));
      phones.appendChild(b);
    });
    facts($("#registration"), [
      ["name", f.name, reg.name], ["code", f.code, reg.code + "-" + reg.store],
      ["tax_id", f.tax_id, reg.tax_id], ["phones", f.phones, phones],
      ["seller", f.seller, reg.seller], ["blocked", f.blocked, reg.blocked ? t.yes : t.no],
    ]);
    const c = view.credit;
    facts($("#credit"), [
      ["risk", f.risk, c.risk], ["credit_limit", f.credit_limit, c.credit_limit],
      ["credit_limit_expiry", f.credit_limit_expiry, c.credit_limit_expiry],
      ["limit_balance", f.limit_balance, c.limit_balance],
      ["open_receivables", f.open_receivables, c.open_receivables],
      ["open_orders", f.open_orders, c.open_orders], ["overdue_amount", f.overdue_amount, c.overdue_amount],
      ["largest_delay_days", f.largest_delay_days, c.largest_delay_days],
      ["average_days_late", f.average_days_late, c.average_days_late],
      ["last_purchase", f.last_purchase, c.last_purchase],
    ]);
    rows($("#titles tbody"), view.open_titles, (x) => [titleNo(x), x.due, x.value, x.balance, x.days_late, x.interest], titleNo);
    $("#titles tbody").querySelectorAll("tr").forEach((tr, i) => { tr.classList.toggle("overdue", view.open_titles[i].overdue); });
    rows($("#orders tbody"), view.recent_orders, (o) => [o.number, o.issued, t.order_status[o.status] || o.status, o.total, blocks(o, t)], (o) => o.number);
    if (!view.orders_available) $("#orders tbody").replaceChildren(note(t.orders_unavailable, 5));
    rows($("#tickets tbody"), view.open_tickets, (k) => [k.number, k.opened_on, k.product, k.description, k.status], (k) => k.number);
    if (!view.tickets_available) $("#tickets tbody").replaceChildren(note(t.tickets_unavailable, 5));
    rows($("#interactions tbody"), view.interactions, (i) => [
      new Date(i.started_at).toLocaleString(), i.agent, i.queue, i.disposition || "-", i.outcome_ref || "-",
    ], (i) => i.call_id);
  }

  function note(text, span) {
    const tr = el("tr");
    tr.appendChild(el("td", text, { colspan: String(span) }));
    return tr;
  }

  /** A customer store as CODE-STORE (how the API names it). */
  function keyOf(c) {
    return String(c.customer_id).includes("-") ? c.customer_id : c.customer_id + "-" + (c.store || "01");
  }

  /** The candidates of one number: a button each; ``pick(candidate)`` on a click. */
  function candidates(list, pick) {
    $("#candidates").hidden = list.length < 2;
    $("#candidates ul").replaceChildren(...list.map((c) => {
      const li = el("li");
      const b = el("button", `${c.name} (${keyOf(c)})`, { type: "button", "data-customer": keyOf(c) });
      b.addEventListener("click", () => pick(c));
      li.appendChild(b);
      return li;
    }));
  }

  return { render, candidates, facts, rows, el, titleNo, keyOf };
})();
