"use strict";
// Each role's home page, where a sign-in lands, and the notice a page shows to a role that may
// not use it (with a link to that role's home).
const AtendeHome = (() => {
  const HOMES = {
    agent: "/agent.html",
    campaign_manager: "/campaigns.html",
    supervisor: "/",
    admin: "/",
  };
  const TEXT = {
    "pt-BR": {
      not_for_you: (role) => `Esta página não é para o perfil ${ROLE["pt-BR"][role] || role}.`,
      go_home: "Ir para a sua página",
    },
    en: {
      not_for_you: (role) => `This page is not for the ${ROLE.en[role] || role} role.`,
      go_home: "Go to your page",
    },
  };
  const ROLE = {
    "pt-BR": {
      agent: "agente", supervisor: "supervisor", campaign_manager: "gestor de campanhas",
      admin: "administrador",
    },
    en: { agent: "agent", supervisor: "supervisor", campaign_manager: "campaign manager", admin: "admin" },
  };

  function lang() {
    const chosen = localStorage.getItem("atende.lang");
    return TEXT[chosen] ? chosen : "pt-BR";
  }

  /** The page a user of ``role`` works on. */
  function of(role) { return HOMES[role] || "/"; }

  /** Show, in place of the page's sections, that ``role`` may not use this page. */
  function refuse(role) {
    const t = TEXT[lang()];
    document.querySelectorAll("main > *").forEach((el) => { el.hidden = true; });
    let box = document.getElementById("not-for-you");
    if (!box) {
      box = document.createElement("section");
      box.id = "not-for-you";
      box.setAttribute("role", "alert");
      document.querySelector("main").appendChild(box);
    }
    const p = document.createElement("p");
    p.textContent = t.not_for_you(role);
    const a = document.createElement("a");
    a.href = of(role);
    a.textContent = t.go_home;
    box.replaceChildren(p, a);
    box.hidden = false;
  }

  return { of, refuse };
})();
