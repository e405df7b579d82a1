// Review and learn (supervisors): the messages the assistant missed, grouped by the intent it
// thought nearest (as `make review` groups them); each one's conversation a click away; a
// label (an intent of the domain, as the server lists them) makes it a training example and
// it leaves the list; the latest label can be undone. The server decides who may (403).

import { $, api, button, element, post, showError } from "./common.js";

const LINE_LABELS = { customer: "客户 · Customer", assistant: "助手 · Assistant", agent: "客服 · Agent" };
const CONVERSATIONS_SHOWN = 3;  // of a message said in many, the newest few
let intents = [];

function normalised(text) { return text.split(/\s+/).filter(Boolean).join(" "); }

async function showConversation(senderId, text) {
  $("review-error").textContent = "";
  const head = $("review-head");
  head.classList.remove("muted");
  head.textContent = "对话 · Conversation " + senderId + " — “" + text + "”";
  const list = $("review-messages");
  list.textContent = "";
  try {
    const body = await api("/api/review/conversations/" + encodeURIComponent(senderId));
    body.messages.forEach(function (message) {
      const missed = message.from === "customer" && normalised(message.text) === text;
      const node = element("li", "message " + message.from + (missed ? " missed" : ""));
      node.appendChild(element("span", "who", LINE_LABELS[message.from] || message.from));
      node.appendChild(document.createTextNode(message.text));
      list.appendChild(node);
    });
    const first = list.querySelector(".missed");
    if (first) first.scrollIntoView({ block: "center" });
  } catch (failure) { showError("review-error", failure); }
}

function intentChoice(nearest) {
  const choice = element("select", "review-intent");
  choice.setAttribute("aria-label", "意图 · Intent");
  choice.appendChild(element("option", "", "意图… · Intent…")).value = "";
  intents.forEach(function (name) { choice.appendChild(element("option", "", name)).value = name; });
  if (intents.indexOf(nearest) >= 0) choice.value = nearest;
  return choice;
}

function showLabelled(body) {
  const notice = $("review-notice");
  notice.textContent = "已标注 · Labelled: “" + body.text + "” → " + body.intent +
    (body.added ? "（已写入训练文件 · added to the training file）" : "（已是训练样例 · already an example）") + " ";
  notice.appendChild(button("撤销 · Undo", async function () {
    try {
      await post("/api/review/unlabel", { text: body.text });
      notice.hidden = true;
      refreshReview();
    } catch (failure) { showError("review-error", failure); }
  }, "secondary undo"));
  notice.hidden = false;
}

async function labelMiss(text, choice) {
  $("review-error").textContent = "";
  if (!choice.value) { $("review-error").textContent = "先选一个意图 · Pick an intent first"; return; }
  try {
    showLabelled(await post("/api/review/label", { text: text, intent: choice.value }));
    await refreshReview();
  } catch (failure) { showError("review-error", failure); }
}

function missItem(group, entry) {
  const item = element("li", "review-item");
  item.dataset.text = entry.text;
  const said = element("div", "review-text");
  said.appendChild(element("span", "", entry.text));
  if (entry.times > 1) said.appendChild(element("span", "times", " ×" + entry.times));
  item.appendChild(said);
  const actions = element("div", "review-actions");
  entry.conversations.slice(0, CONVERSATIONS_SHOWN).forEach(function (senderId, index) {
    const open = button("对话 · Conversation" + (entry.conversations.length > 1 ? " " + (index + 1) : ""),
      function () { showConversation(senderId, entry.text); }, "link conversation-link");
    actions.appendChild(open);
  });
  const choice = intentChoice(group.intent);
  actions.appendChild(choice);
  actions.appendChild(button("标注 · Label", function () { labelMiss(entry.text, choice); }, "label-button"));
  item.appendChild(actions);
  return item;
}

export async function refreshReview() {
  const body = await api("/api/review");
  intents = body.intents;
  const groups = $("review-groups");
  groups.textContent = "";
  let count = 0;
  body.groups.forEach(function (group) {
    groups.appendChild(element("h3", "", group.intent + " · " + group.total));
    const list = element("ul", "review-texts");
    group.texts.forEach(function (entry) { list.appendChild(missItem(group, entry)); count += 1; });
    groups.appendChild(list);
  });
  $("review-count").textContent = count ? String(count) : "";
  $("review-empty").hidden = count > 0;
}

function openReview() { refreshReview().catch(function (failure) { showError("review-error", failure); }); }

export function setUpReview() {
  document.addEventListener("console:view", function (event) { if (event.detail === "review") openReview(); });
}
