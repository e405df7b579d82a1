// Agent console: signing in and out, and the parts put together (see the other modules).

import { $, api, isSupervisor, post, state } from "./common.js";
import { clearConversation, refreshConversation, selected, setUpConversation } from "./conversation.js";
import { connect, disconnect, setUpMute } from "./live.js";
import { refreshTickets, resetTickets } from "./tickets.js";
import { refreshView, setUpAdmin, showView } from "./admin.js";
import { setUpInsights } from "./insights.js";
import { setUpReview } from "./review.js";

// The tab the address names (/agent/insights opens /agent#insights), if this agent has it.
function openingView() {
  const named = location.hash.slice(1);
  const tab = Array.from(document.querySelectorAll(".tab")).find(function (each) { return each.dataset.view === named; });
  return tab && (isSupervisor() || !tab.classList.contains("supervisor-only")) ? named : "tickets";
}

function showLogin(message) {
  disconnect();
  state.agent = null;
  state.csrf = null;
  resetTickets();
  clearConversation();
  ["console", "logout", "tabs", "mute"].forEach(function (id) { $(id).hidden = true; });
  $("whoami").textContent = "";
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

function showConsole(body) {
  state.agent = body.agent;
  document.body.classList.toggle("supervisor", isSupervisor());
  $("whoami").textContent = body.agent.display_name + " (" + body.agent.name + ")";
  $("login").hidden = true;
  ["console", "logout", "tabs", "mute"].forEach(function (id) { $(id).hidden = false; });
  showView(openingView());
  connect({
    tickets: function () {
      refreshTickets().catch(function () {});
      refreshConversation();
      refreshView();
    },
    conversation: function (ticketId) { if (ticketId === selected()) refreshConversation(); },
    signedOut: function () { showLogin("您已被登出 · You have been signed out"); },
    lost: function () { api("/api/me").then(showConsole).catch(function () {}); },
  });
}

$("login").addEventListener("submit", async function (event) {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    showConsole(await post("/login", { name: $("name").value.trim(), password: $("password").value }));
    $("password").value = "";
  } catch (failure) {
    $("login-error").textContent = failure.status === 429
      ? "尝试次数过多，请稍后再试 · Too many attempts, try again shortly"
      : "账号或密码不对 · Wrong name or password";
  }
});

$("logout").addEventListener("click", async function () {
  await post("/logout").catch(function () {});
  showLogin();
});

// The address follows the tab shown, so a reload (or coming back online) keeps it.
document.addEventListener("console:view", function (event) {
  history.replaceState(null, "", event.detail === "tickets" ? "/agent" : "/agent#" + event.detail);
});

document.addEventListener("console:signed-out", function () {
  if (state.agent) showLogin("您已被登出 · You have been signed out");
});

setUpConversation();
setUpAdmin();
setUpInsights();
setUpReview();
setUpMute();
api("/api/me").then(showConsole).catch(function () { showLogin(); });
