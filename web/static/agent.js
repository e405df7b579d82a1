// Agent console: sign in, pick an open ticket, read the live conversation, reply, close.
// Everything from customers is inserted as text (textContent), never as HTML.
(function () {
  "use strict";

  var LABELS = { customer: "客户 Customer", assistant: "助手 Assistant", agent: "客服 Agent" };
  var REASONS = window.MALL.handoffReasons;  // from /config.js
  var METHODS = window.MALL.paymentMethods;
  var selected = null;
  var csrf = null;  // the session's CSRF token (from /login or /api/me), sent with every change

  function methodLabel(code) {
    var method = METHODS[code];
    return method ? method.zh + " " + method.en : code;
  }

  function $(id) { return document.getElementById(id); }

  // Whether the customer's chat is open now (null: not known to this console).
  function presenceLabel(ticket) {
    if (ticket.customer_online === true) return "● 在线 · online";
    if (ticket.customer_online === false) {
      var since = ticket.customer_left_at ? " " + ticket.customer_left_at.slice(11, 16) + " UTC" : "";
      return "○ 离线 · offline" + since + "（回来后会看到您的回复 · sees your replies on return）";
    }
    return "";
  }

  // The order the customer proved is theirs, or one they only mentioned (marked unverified).
  function orderLabel(ticket, prefix) {
    if (ticket.order_id) return " · " + prefix + ticket.order_id;
    if (ticket.claimed_order_id) return " · " + prefix + ticket.claimed_order_id + "（未验证 · unverified）";
    return "";
  }

  function api(path, options) {
    options = options || {};
    options.credentials = "same-origin";
    if (options.body) {
      options.headers = { "Content-Type": "application/json" };
      if (csrf) options.headers["X-CSRF-Token"] = csrf;
    }
    return fetch("/agent" + path, options).then(function (response) {
      if (response.status === 401 && path !== "/login") { showLogin(); throw new Error("signed out"); }
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) throw new Error(body.error || response.statusText);
        if (body.csrf) csrf = body.csrf;
        return body;
      });
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showLogin() {
    $("console").hidden = true; $("logout").hidden = true; $("login").hidden = false;
  }

  function showConsole() {
    $("login").hidden = true; $("console").hidden = false; $("logout").hidden = false;
    refreshTickets();
  }

  function refreshTickets() {
    return api("/api/tickets").then(function (body) {
      var list = $("ticket-list");
      list.textContent = "";
      $("no-tickets").hidden = body.tickets.length > 0;
      body.tickets.forEach(function (ticket) {
        var item = element("li", "ticket" + (selected === ticket.ticket_id ? " selected" : ""));
        item.dataset.ticket = ticket.ticket_id;
        item.appendChild(element("div", "id", ticket.ticket_id));
        item.appendChild(element("div", "meta", (REASONS[ticket.reason] || ticket.reason) + orderLabel(ticket, "")));
        item.appendChild(element("div", "presence " + (ticket.customer_online ? "online" : "offline"),
          presenceLabel(ticket)));
        item.appendChild(element("div", "meta", ticket.created_at.replace("T", " ").slice(0, 19) +
          " · " + (ticket.language === "en" ? "English" : "中文") +
          (ticket.requested_method ? " · → " + methodLabel(ticket.requested_method) : "")));
        item.addEventListener("click", function () { select(ticket.ticket_id); });
        list.appendChild(item);
      });
    }).catch(function () {});
  }

  function select(ticketId) {
    selected = ticketId;
    $("reply").hidden = false;
    refreshTickets();
    refreshConversation();
  }

  function refreshConversation() {
    if (!selected) return Promise.resolve();
    return api("/api/tickets/" + encodeURIComponent(selected)).then(function (body) {
      var ticket = body.ticket;
      $("ticket-head").classList.remove("muted");
      $("ticket-head").textContent = ticket.ticket_id + " · " + (REASONS[ticket.reason] || ticket.reason) +
        orderLabel(ticket, "订单 Order ");
      $("presence").textContent = presenceLabel(ticket);
      $("presence").className = "presence " + (ticket.customer_online ? "online" : "offline");
      var list = $("messages");
      var atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 10;
      list.textContent = "";
      var dividerShown = false;
      body.messages.forEach(function (line) {
        if (!dividerShown && line.at >= ticket.created_at) {
          list.appendChild(element("li", "divider", "转人工 · handed over " + ticket.created_at.slice(11, 19)));
          dividerShown = true;
        }
        var item = element("li", "message " + line.from);
        item.appendChild(element("span", "who", LABELS[line.from] || line.from));
        item.appendChild(document.createTextNode(line.text));
        list.appendChild(item);
      });
      if (atBottom) list.scrollTop = list.scrollHeight;
    }).catch(function () {});
  }

  $("login").addEventListener("submit", function (event) {
    event.preventDefault();
    $("login-error").textContent = "";
    api("/login", { method: "POST", body: JSON.stringify({ secret: $("secret").value }) })
      .then(showConsole)
      .catch(function (error) {
        $("login-error").textContent = /too many/.test(error.message)
          ? "尝试次数过多，请稍后再试 · Too many attempts, try again later"
          : "口令不对 · Wrong secret";
      });
  });

  $("logout").addEventListener("click", function () {
    api("/logout", { method: "POST", body: "{}" }).then(function () { csrf = null; showLogin(); });
  });

  $("reply").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("reply-text").value.trim();
    if (!text || !selected) return;
    api("/api/tickets/" + encodeURIComponent(selected) + "/reply",
        { method: "POST", body: JSON.stringify({ text: text }) })
      .then(function () { $("reply-text").value = ""; return refreshConversation(); });
  });

  $("close").addEventListener("click", function () {
    if (!selected) return;
    api("/api/tickets/" + encodeURIComponent(selected) + "/close", { method: "POST", body: "{}" })
      .then(function () {
        selected = null;
        $("reply").hidden = true;
        $("messages").textContent = "";
        $("ticket-head").textContent = "已结束 · Closed";
        refreshTickets();
      });
  });

  api("/api/me").then(showConsole).catch(showLogin);
  setInterval(refreshTickets, 3000);
  setInterval(refreshConversation, 2000);
})();
