// What every part of the agent console shares: the API with the session's CSRF token, the
// signed-in agent, building elements (customers' words always as text, never as HTML), and
// the labels, which come from /config.js (window.MALL), never spelled here.

export const MALL = window.MALL;
export const HELPDESK = MALL.helpdesk;

export const state = {
  csrf: null,  // the session's CSRF token (from /login or /api/me), sent with every change
  agent: null,  // {name, display_name, display_name_en, role}
  colleagues: {},  // name -> {display_name, online, open_tickets, ...}
};

export function $(id) { return document.getElementById(id); }

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

export function button(text, onClick, className) {
  const node = element("button", className || "secondary", text);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

// "中文 · English" from a {zh, en} label; the code itself when there is none.
export function label(labels, code) {
  const found = labels && labels[code];
  return found ? found.zh + " · " + found.en : (code || "");
}

// Why the assistant handed over ("中文 · English", from mall.outcomes).
export function reasonLabel(code) { return MALL.handoffReasons[code] || code || ""; }

// An audit entry's detail: an opened ticket's reason in words, else as recorded.
export function auditDetail(entry) {
  if (!entry.detail) return "";
  return entry.action === "open" ? reasonLabel(entry.detail) : entry.detail;
}

export function isSupervisor() { return state.agent && state.agent.role === "supervisor"; }

export function agentName(name) {
  if (!name) return "";
  const known = state.colleagues[name];
  return known ? known.display_name + " (" + name + ")" : name;
}

export function when(iso) { return iso ? iso.replace("T", " ").slice(0, 16) + " UTC" : ""; }

export class SignedOut extends Error {}

// A call of the console's API; a change carries the JSON body and the CSRF token.
export async function api(path, options) {
  options = Object.assign({ credentials: "same-origin" }, options || {});
  if (options.method && options.method !== "GET") {
    options.headers = { "Content-Type": "application/json" };
    if (state.csrf) options.headers["X-CSRF-Token"] = state.csrf;
    options.body = JSON.stringify(options.body || {});
  }
  const response = await fetch("/agent" + path, options);
  if (response.status === 401 && path !== "/login") {
    document.dispatchEvent(new CustomEvent("console:signed-out"));
    throw new SignedOut("signed out");
  }
  const text = await response.text();
  let body = {};
  try { body = text ? JSON.parse(text) : {}; } catch (notJson) { body = { error: text }; }
  if (!response.ok) {
    const failure = new Error(body.error || text || response.statusText);
    failure.status = response.status;
    throw failure;
  }
  if (body.csrf) state.csrf = body.csrf;
  return body;
}

export function post(path, body) { return api(path, { method: "POST", body: body }); }

export function showError(id, failure) {
  if (failure instanceof SignedOut) return;
  $(id).textContent = failure.status === 403 ? "无权操作 · Not yours to do (403)" : (failure.message || String(failure));
}

export async function refreshColleagues() {
  const body = await api("/api/colleagues");
  state.colleagues = {};
  body.agents.forEach(function (agent) { state.colleagues[agent.name] = agent; });
  return body.agents;
}
