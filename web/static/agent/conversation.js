// One ticket: the conversation with the customer, internal notes between its lines, who did
// what, the ticket before it; and what the agent does with it: claim, reply (with canned
// replies after "/"), note, transfer, close. The server decides who may (403 otherwise).

import {
  $, HELPDESK, agentName, api, auditDetail, button, element, isSupervisor, label, post, reasonLabel, showError, state,
  when,
} from "./common.js";
import { orderLabel, refreshTickets, seen } from "./tickets.js";
import { attachCanned, loadCanned } from "./canned_menu.js";

const LABELS = { customer: "客户 · Customer", assistant: "助手 · Assistant", agent: "客服 · Agent", system: "" };
let current = null;  // the ticket shown, as the server sent it
let pinned = true;  // the conversation is scrolled to its end: it stays there as lines arrive

export function selected() { return current && current.ticket_id; }

export async function select(ticketId) {
  current = { ticket_id: ticketId };
  pinned = true;
  $("reply-text").value = "";
  $("action-error").textContent = "";
  await Promise.all([refreshConversation(), loadCanned(ticketId)]);
  refreshTickets().catch(function () {});
}

function line(className, who, text) {
  const node = element("li", className);
  node.appendChild(element("span", "who", who));
  node.appendChild(document.createTextNode(text));
  return node;
}

function renderMessages(body) {
  const list = $("messages");
  list.textContent = "";
  const ticket = body.ticket;
  const notes = body.notes.slice();
  let dividerShown = false;
  function notesUpTo(at) {
    while (notes.length && (at === null || notes[0].created_at < at)) {  // a tie: after the line
      const note = notes.shift();
      list.appendChild(line("message note", "内部备注 · Internal note — " + agentName(note.author), note.text));
    }
  }
  body.messages.forEach(function (message) {
    notesUpTo(message.at);
    if (!dividerShown && message.at >= ticket.created_at) {
      list.appendChild(element("li", "divider", "转人工 · handed over " + ticket.created_at.slice(11, 19)));
      dividerShown = true;
    }
    list.appendChild(line("message " + message.from, LABELS[message.from] || message.from, message.text));
  });
  notesUpTo(null);
  if (pinned) list.scrollTop = list.scrollHeight;
}

function renderHead(body) {
  const ticket = body.ticket;
  $("ticket-head").classList.remove("muted");
  $("ticket-head").textContent = ticket.ticket_id + " · " + reasonLabel(ticket.reason) +
    orderLabel(ticket, "订单 Order ");
  const meta = $("ticket-meta");
  meta.textContent = "";
  let where;
  if (ticket.status !== "open") {
    where = label(HELPDESK.ticketStatuses, ticket.status) + " " + when(ticket.closed_at) +
      (ticket.closed_by ? " · " + agentName(ticket.closed_by) : "") +
      (ticket.close_reason ? " · " + label(HELPDESK.closeReasons, ticket.close_reason) : "");
  } else if (ticket.assigned_to) {
    where = "负责 · Assigned: " + agentName(ticket.assigned_to);
  } else {
    where = body.queue_position ? "排队第 " + body.queue_position + " 位 · Queued #" + body.queue_position
      : "待领取 · Waiting to be claimed";
  }
  meta.appendChild(element("span", "where", where));
  if (ticket.customer_online !== null && ticket.status === "open") {
    meta.appendChild(element("span", "presence " + (ticket.customer_online ? "online" : "offline"),
      ticket.customer_online ? "● 客户在线 · customer online" : "○ 客户离线 · customer offline（回来后会看到回复 · sees replies on return）"));
  }
  if (body.previous) {
    const link = button("↩ 7天内再次求助，上次工单 · Returning, previous: " + body.previous.ticket_id,
      function () { select(body.previous.ticket_id); }, "link previous-ticket");
    meta.appendChild(link);
  }
  const entries = $("history-entries");
  entries.textContent = "";
  body.history.forEach(function (entry) {
    const on = entry.subject ? " → " + agentName(entry.subject) : "";
    entries.appendChild(element("li", "", when(entry.at) + " · " + agentName(entry.actor) + " · " +
      label(HELPDESK.auditActions, entry.action) + on + (entry.detail ? " (" + auditDetail(entry) + ")" : "")));
  });
  $("ticket-history").hidden = body.history.length === 0;
}

function renderActions(ticket) {
  const me = state.agent.name;
  const open = ticket.status === "open";
  const mayAct = open && (ticket.assigned_to === me || isSupervisor());
  $("ticket-actions").hidden = !open;
  $("claim").hidden = !open || Boolean(ticket.assigned_to);
  $("transfer-box").hidden = !mayAct;
  $("reply").hidden = !mayAct;
  const choice = $("transfer-to");
  const chosen = choice.value;
  choice.textContent = "";
  choice.appendChild(element("option", "", isSupervisor() && ticket.assigned_to !== me ? "改派给… · Reassign to…"
    : "转交给… · Transfer to…")).value = "";
  Object.values(state.colleagues).forEach(function (agent) {
    if (agent.name === ticket.assigned_to) return;
    const option = element("option", "", agent.display_name + " (" + agent.name + ") · " +
      (agent.online ? "在线 online" : "离线 offline") + " · " + agent.open_tickets);
    option.value = agent.name;
    choice.appendChild(option);
  });
  choice.value = chosen;
}

export async function refreshConversation() {
  if (!current) return;
  const shown = current.ticket_id;
  try {
    const body = await api("/api/tickets/" + encodeURIComponent(shown));
    if (selected() !== shown) return;  // another ticket was picked meanwhile
    current = body.ticket;
    seen(body.ticket);
    renderHead(body);
    renderActions(body.ticket);
    renderMessages(body);  // last: scrolled to its end once everything around it has its size
  } catch (failure) {
    showError("action-error", failure);
  }
}

export function clearConversation(text) {
  current = null;
  $("reply").hidden = true;
  $("ticket-actions").hidden = true;
  $("ticket-history").hidden = true;
  $("messages").textContent = "";
  $("ticket-meta").textContent = "";
  $("ticket-head").textContent = text || "选择左侧工单 · Pick a ticket";
}

function ticketPath(action) { return "/api/tickets/" + encodeURIComponent(selected()) + "/" + action; }

async function act(action, body) {
  $("action-error").textContent = "";
  try {
    await post(ticketPath(action), body);
    return true;
  } catch (failure) {
    showError("action-error", failure);
    return false;
  }
}

export function setUpConversation() {
  $("reply").addEventListener("submit", async function (event) {
    event.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text || !selected()) return;
    if (await act("reply", { text: text })) { $("reply-text").value = ""; refreshConversation(); }
  });
  $("add-note").addEventListener("click", async function () {
    const text = $("reply-text").value.trim();
    if (!text || !selected()) return;
    if (await act("note", { text: text })) { $("reply-text").value = ""; refreshConversation(); }
  });
  $("claim").addEventListener("click", async function () {
    if (await act("claim")) { refreshConversation(); refreshTickets(); }
  });
  $("transfer").addEventListener("click", async function () {
    const to = $("transfer-to").value;
    if (!to) return;
    if (await act("transfer", { to: to, note: $("transfer-note").value })) {
      $("transfer-note").value = "";
      refreshConversation();
      refreshTickets();
    }
  });
  $("close").addEventListener("click", async function () {
    if (await act("close")) { clearConversation("已结束 · Closed"); refreshTickets(); }
  });
  attachCanned($("reply-text"), $("canned-menu"));
  const list = $("messages");
  list.addEventListener("scroll", function () {
    pinned = list.scrollTop + list.clientHeight >= list.scrollHeight - 30;
  });
}
