// The console's other pages: the history of ended tickets (every agent), canned replies (every
// agent reads them, supervisors change them), agents' accounts and the audit trail
// (supervisors). A new password is shown once, here, and never again.

import {
  $, HELPDESK, agentName, api, auditDetail, button, element, isSupervisor, label, post, reasonLabel, refreshColleagues,
  showError, state, when,
} from "./common.js";
import { select } from "./conversation.js";
import { orderLabel } from "./tickets.js";

// -- history ------------------------------------------------------------------------------

async function searchHistory(event) {
  if (event) event.preventDefault();
  const query = new URLSearchParams({ q: $("history-q").value.trim(), agent: $("history-agent").value,
    date: $("history-date").value });
  const body = await api("/api/history?" + query.toString());
  const list = $("history-results");
  list.textContent = "";
  body.tickets.forEach(function (ticket) {
    const item = element("li", "result");
    item.dataset.ticket = ticket.ticket_id;
    item.appendChild(element("strong", "", ticket.ticket_id));
    const parts = [orderLabel(ticket, "订单 Order ").slice(3), reasonLabel(ticket.reason).split(" · ")[0],
      when(ticket.created_at), label(HELPDESK.ticketStatuses, ticket.status), agentName(ticket.closed_by)];
    item.appendChild(element("span", "", parts.filter(Boolean).join(" · ")));
    item.addEventListener("click", function () { showView("tickets"); select(ticket.ticket_id); });
    list.appendChild(item);
  });
  $("history-empty").hidden = body.tickets.length > 0;
}

function fillAgentChoice() {
  const choice = $("history-agent");
  const chosen = choice.value;
  choice.length = 1;
  Object.values(state.colleagues).forEach(function (agent) {
    const option = element("option", "", agent.display_name + " (" + agent.name + ")");
    option.value = agent.name;
    choice.appendChild(option);
  });
  choice.value = chosen;
}

// -- canned replies -----------------------------------------------------------------------

async function refreshCanned() {
  const body = await api("/api/canned");
  $("canned-variables").textContent = body.variables.map(function (name) { return "{" + name + "}"; }).join(" ");
  const rows = $("canned-rows");
  rows.textContent = "";
  body.replies.forEach(function (reply) {
    const row = element("tr");
    row.dataset.name = reply.name;
    [("/" + reply.name), reply.text_zh, reply.text_en].forEach(function (text) { row.appendChild(element("td", "", text)); });
    const actions = element("td", "actions");
    if (isSupervisor()) {
      actions.appendChild(button("编辑 · Edit", function () {
        $("canned-name").value = reply.name; $("canned-zh").value = reply.text_zh; $("canned-en").value = reply.text_en;
      }));
      actions.appendChild(button("删除 · Delete", async function () {
        await api("/api/canned/" + encodeURIComponent(reply.name), { method: "DELETE" });
        refreshCanned();
      }));
    }
    row.appendChild(actions);
    rows.appendChild(row);
  });
}

async function saveCanned(event) {
  event.preventDefault();
  $("canned-error").textContent = "";
  try {
    await post("/api/canned", { name: $("canned-name").value, text_zh: $("canned-zh").value, text_en: $("canned-en").value });
    $("canned-form").reset();
    refreshCanned();
  } catch (failure) { showError("canned-error", failure); }
}

// -- agents -------------------------------------------------------------------------------

function showPassword(name, password) {
  $("agent-password").hidden = false;
  $("agent-password").textContent = name + " 的密码（只显示这一次）· password for " + name + " (shown once): " + password;
}

async function changeAgent(name, change) {
  $("agent-error").textContent = "";
  try {
    const body = await post("/api/agents/" + encodeURIComponent(name) + "/" + change);
    if (body.password) showPassword(name, body.password);
    refreshAgents();
  } catch (failure) { showError("agent-error", failure); }
}

async function refreshAgents() {
  const body = await api("/api/agents");
  const rows = $("agent-rows");
  rows.textContent = "";
  body.agents.forEach(function (agent) {
    const row = element("tr");
    row.dataset.agent = agent.name;
    const state_ = agent.disabled ? "已停用 · disabled" : (agent.online ? "● 在线 · online" : "○ 离线 · offline");
    [agent.name, agent.display_name + (agent.display_name_en ? " / " + agent.display_name_en : ""),
      label(HELPDESK.roles, agent.role), state_, String(agent.open_tickets)].forEach(function (text) {
      row.appendChild(element("td", "", text));
    });
    const actions = element("td", "actions");
    if (agent.name !== state.agent.name) {
      actions.appendChild(agent.disabled ? button("启用 · Enable", function () { changeAgent(agent.name, "enable"); })
        : button("停用 · Disable", function () { changeAgent(agent.name, "disable"); }, "secondary disable"));
    }
    actions.appendChild(button("重置密码 · Reset password", function () { changeAgent(agent.name, "reset"); }));
    row.appendChild(actions);
    rows.appendChild(row);
  });
}

async function addAgent(event) {
  event.preventDefault();
  $("agent-error").textContent = "";
  try {
    const body = await post("/api/agents", { name: $("agent-name").value, display_name: $("agent-display").value,
      display_name_en: $("agent-display-en").value, role: $("agent-role").value });
    showPassword(body.agent.name, body.password);
    $("agent-form").reset();
    refreshAgents();
  } catch (failure) { showError("agent-error", failure); }
}

// -- audit --------------------------------------------------------------------------------

async function refreshAudit() {
  const rows = $("audit-rows");
  const body = await api("/api/audit");
  rows.textContent = "";
  body.entries.forEach(function (entry) {
    const row = element("tr");
    [when(entry.at), agentName(entry.actor), label(HELPDESK.auditActions, entry.action), entry.ticket_id || "",
      entry.subject || "", auditDetail(entry)].forEach(function (text) { row.appendChild(element("td", "", text)); });
    rows.appendChild(row);
  });
}

// -- the pages ----------------------------------------------------------------------------

const REFRESH = { history: function () { fillAgentChoice(); return searchHistory(); }, canned: refreshCanned,
  agents: refreshAgents, audit: refreshAudit };
let currentView = "tickets";

export function showView(name) {
  currentView = name;
  document.querySelectorAll(".tab").forEach(function (tab) { tab.classList.toggle("active", tab.dataset.view === name); });
  document.querySelectorAll(".view").forEach(function (view) { view.hidden = view.id !== "view-" + name; });
  if (REFRESH[name]) refreshColleagues().then(REFRESH[name]).catch(function () {});
  document.dispatchEvent(new CustomEvent("console:view", { detail: name }));  // for the tabs with modules of their own
}

// The page shown again when something changed (the live channel says so).
export function refreshView() {
  if (currentView === "agents" || currentView === "audit") REFRESH[currentView]().catch(function () {});
}

export function setUpAdmin() {
  document.querySelectorAll(".tab").forEach(function (tab) {
    tab.addEventListener("click", function () { showView(tab.dataset.view); });
  });
  $("history-search").addEventListener("submit", searchHistory);
  $("canned-form").addEventListener("submit", saveCanned);
  $("agent-form").addEventListener("submit", addAgent);
  Object.keys(HELPDESK.roles).forEach(function (role) {
    $("agent-role").appendChild(element("option", "", label(HELPDESK.roles, role))).value = role;
  });
}
