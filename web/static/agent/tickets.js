// The ticket lists: the agent's own, the queue, and (for supervisors) everyone else's.

import { $, api, agentName, element, reasonLabel, refreshColleagues, state } from "./common.js";
import { announce } from "./live.js";
import { select, selected } from "./conversation.js";

const opened = new Map();  // ticket -> its assigned_at when it was last opened in this page
export const unseen = new Set();  // the agent's new tickets

function presenceLabel(ticket) {
  if (ticket.customer_online === true) return "● 在线 · online";
  if (ticket.customer_online === false) return "○ 离线 · offline";
  return "";
}

export function orderLabel(ticket, prefix) {
  if (ticket.order_id) return " · " + prefix + ticket.order_id;
  if (ticket.claimed_order_id) return " · " + prefix + ticket.claimed_order_id + "（未验证 · unverified）";
  return "";
}

function item(ticket) {
  const node = element("li", "ticket" + (selected() === ticket.ticket_id ? " selected" : "") +
    (unseen.has(ticket.ticket_id) ? " new" : ""));
  node.dataset.ticket = ticket.ticket_id;
  node.appendChild(element("div", "id", ticket.ticket_id + (unseen.has(ticket.ticket_id) ? " ● 新 New" : "")));
  node.appendChild(element("div", "meta", reasonLabel(ticket.reason).split(" · ")[0] + orderLabel(ticket, "")));
  const where = ticket.assigned_to ? "→ " + agentName(ticket.assigned_to)
    : (ticket.live ? "排队中 · queued" : "待回电 · call back");
  node.appendChild(element("div", "meta", ticket.created_at.replace("T", " ").slice(5, 16) + " · " +
    (ticket.language === "en" ? "English" : "中文") + " · " + where));
  if (ticket.previous_ticket_id) node.appendChild(element("div", "meta returning", "↩ 7天内再次求助 · Returning"));
  const presence = presenceLabel(ticket);
  if (presence) node.appendChild(element("div", "presence " + (ticket.customer_online ? "online" : "offline"), presence));
  node.addEventListener("click", function () { select(ticket.ticket_id); });
  return node;
}

function fill(listId, countId, tickets) {
  const list = $(listId);
  list.textContent = "";
  tickets.forEach(function (ticket) { list.appendChild(item(ticket)); });
  $(countId).textContent = tickets.length ? "(" + tickets.length + ")" : "";
}

// New for the agent: their tickets nobody has answered since they got them, and that they
// have not opened since. Counted in the tab title; a sound when one more arrives (one given
// to them as they came online, or transferred to them, too).
function noticeNew(mine) {
  const ids = new Set(mine.map(function (ticket) { return ticket.ticket_id; }));
  let arrived = false;
  mine.forEach(function (ticket) {
    const id = ticket.ticket_id;
    const answered = ticket.last_agent_message_at && ticket.last_agent_message_at >= ticket.assigned_at;
    if (!answered && opened.get(id) !== ticket.assigned_at && id !== selected() && !unseen.has(id)) {
      unseen.add(id);
      arrived = true;
    }
  });
  [...unseen].forEach(function (id) { if (!ids.has(id)) unseen.delete(id); });
  if (arrived) announce();
  updateTitle();
}

export function updateTitle() {
  const base = "客服工作台 · Agent console";
  document.title = unseen.size ? "(" + unseen.size + ") " + base : base;
}

export function seen(ticket) {
  opened.set(ticket.ticket_id, ticket.assigned_at);
  if (unseen.delete(ticket.ticket_id)) updateTitle();
}

export async function refreshTickets() {
  await refreshColleagues();
  const body = await api("/api/tickets");
  const me = state.agent.name;
  const mine = body.tickets.filter(function (t) { return t.assigned_to === me; });
  const queue = body.tickets.filter(function (t) { return !t.assigned_to; });
  const others = body.tickets.filter(function (t) { return t.assigned_to && t.assigned_to !== me; });
  noticeNew(mine);
  fill("mine-list", "mine-count", mine);
  fill("queue-list", "queue-count", queue);
  fill("others-list", "others-count", others);
}

export function resetTickets() {
  opened.clear();
  unseen.clear();
  updateTitle();
}
