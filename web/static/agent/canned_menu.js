// Canned replies in the reply box: typing "/" and the start of a name lists the replies,
// already filled in for the ticket (order number, ticket number, the agent's name) in the
// customer's language; Enter, Tab or a click puts one in place of "/name", to send as it
// is or to edit first.

import { api, element } from "./common.js";

const TYPED = /(^|\s)\/([\w-]*)$/u;  // "/name" being typed at the end of the text
let replies = [];  // [{name, text}] for the ticket shown
let matches = [];
let chosen = 0;
let attached = null;  // {field, menu}

export async function loadCanned(ticketId) {
  replies = [];
  try {
    replies = (await api("/api/tickets/" + encodeURIComponent(ticketId) + "/canned")).replies;
  } catch (failure) { /* no canned replies: the agent types */ }
  if (attached) show(attached.menu, attached.field);  // "/name" may have been typed meanwhile
}

function typed(field) { return TYPED.exec(field.value.slice(0, field.selectionEnd)); }

function show(menu, field) {
  const found = typed(field);
  matches = found ? replies.filter(function (reply) { return reply.name.startsWith(found[2]); }) : [];
  chosen = Math.min(chosen, Math.max(matches.length - 1, 0));
  menu.textContent = "";
  matches.forEach(function (reply, index) {
    const option = element("li", "canned-option" + (index === chosen ? " chosen" : ""));
    option.setAttribute("role", "option");
    option.dataset.name = reply.name;
    option.appendChild(element("strong", "", "/" + reply.name + " "));
    option.appendChild(element("span", "", reply.text));
    option.addEventListener("mousedown", function (event) { event.preventDefault(); insert(menu, field, index); });
    menu.appendChild(option);
  });
  menu.hidden = matches.length === 0;
}

function insert(menu, field, index) {
  const reply = matches[index];
  const before = field.value.slice(0, field.selectionEnd);
  const found = TYPED.exec(before);
  if (!reply || !found) return;
  const start = found.index + found[1].length;
  field.value = field.value.slice(0, start) + reply.text + field.value.slice(field.selectionEnd);
  field.selectionStart = field.selectionEnd = start + reply.text.length;
  menu.hidden = true;
  matches = [];
  field.focus();
}

export function attachCanned(field, menu) {
  attached = { field: field, menu: menu };
  field.addEventListener("input", function () { chosen = 0; show(menu, field); });
  field.addEventListener("keydown", function (event) {
    if (menu.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      chosen = (chosen + (event.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
      show(menu, field);
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      insert(menu, field, chosen);
    } else if (event.key === "Escape") {
      menu.hidden = true;
    }
  });
  field.addEventListener("blur", function () { menu.hidden = true; });
}
