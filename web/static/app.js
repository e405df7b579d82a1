// The "My Orders" page: texts in Chinese or English, the demo sign-in, the orders, and the
// chat widget. Facts (hotline, status names, the orders) come from the server: window.MALL
// (/config.js) and /api/orders. Who is signed in, this browser's conversation and the
// customer token come from /api/session (webapp/shop.py): the chat cookie itself is HttpOnly.
(function () {
  "use strict";

  var MALL = window.MALL;

  var TEXTS = {
    zh: {
      pageTitle: "我的订单 - 小米商城", brand: "小米商城", navHome: "首页", navOrders: "我的订单",
      navHelp: "帮助中心", title: "我的订单", tabAll: "全部订单", tabUnpaid: "待支付",
      tabShipping: "待收货", tabDone: "已完成",
      notice: "想分期付款，或者更换订单的支付方式？点右下角的支付助手。",
      footer: "示例页面 · 客服热线 {hotline}",
      orderNo: "订单号", placed: "下单时间", pay: "去支付", details: "订单详情",
      chatTitle: "支付助手", chatSubtitle: "分期付款 · 更换支付方式",
      chatHint: "输入您的问题…",
      // Shown by the widget whenever it is not connected (also while the assistant is
      // restarting): the conversation so far stays on screen.
      connecting: "正在连接支付助手…连不上的话，请拨打客服热线 {hotline}",
      signInAs: "演示登录", signIn: "登录", signOut: "退出登录", hello: "您好，",
    },
    en: {
      pageTitle: "My Orders - Xiaomi Mall", brand: "Xiaomi Mall", navHome: "Home", navOrders: "My Orders",
      navHelp: "Help Center", title: "My Orders", tabAll: "All orders", tabUnpaid: "Unpaid",
      tabShipping: "On the way", tabDone: "Completed",
      notice: "Want to pay in installments or change an order's payment method? Ask the payment assistant at the bottom right.",
      footer: "Demo page · Hotline {hotline}",
      orderNo: "Order", placed: "Placed", pay: "Pay now", details: "Details",
      chatTitle: "Payment assistant", chatSubtitle: "Installments · payment methods",
      chatHint: "Type your question…",
      connecting: "Connecting to the assistant… If it can't connect, call our hotline {hotline}",
      signInAs: "Demo sign-in", signIn: "Sign in", signOut: "Sign out", hello: "Hello, ",
    },
  };

  function pageLanguage() {
    var asked = new URLSearchParams(window.location.search).get("lang");
    var chosen = asked || window.localStorage.getItem("mall.lang") || "zh";
    return TEXTS[chosen] ? chosen : "zh";
  }

  function renderTexts(lang) {
    var t = TEXTS[lang];
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = t.pageTitle;
    document.querySelectorAll("[data-i18n]").forEach(function (node) {
      node.textContent = t[node.getAttribute("data-i18n")].replace("{hotline}", MALL.hotline);
    });
    document.querySelectorAll(".lang-switch button").forEach(function (button) {
      button.classList.toggle("active", button.getAttribute("data-lang") === lang);
      button.addEventListener("click", function () {
        window.localStorage.setItem("mall.lang", button.getAttribute("data-lang"));
        window.location.search = "?lang=" + button.getAttribute("data-lang");
      });
    });
  }

  function renderOrders(lang, orders) {
    var t = TEXTS[lang];
    var list = document.getElementById("orders");
    list.textContent = "";
    orders.forEach(function (order) {
      var article = element("article", "order");
      var head = element("div", "order-head");
      head.appendChild(element("span", "", t.orderNo + " " + order.id + " · " + t.placed + " " + order.date));
      var status = MALL.statuses[order.status];
      head.appendChild(element("span", "order-status" + (status.handling === "closed" ? " closed" : ""), status[lang]));
      var body = element("div", "order-body");
      var left = element("div");
      left.appendChild(element("div", "order-item", order.item));
      left.appendChild(element("div", "order-meta", order.status === "unpaid" ? t.pay : t.details));
      body.appendChild(left);
      body.appendChild(element("div", "order-total", order.total));
      article.appendChild(head);
      article.appendChild(body);
      list.appendChild(article);
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // rasa-webchat keeps the conversation it shows in localStorage under this key.
  var WIDGET_STORAGE = "chat_session";

  // The stored copy of a conversation stays only while it is this browser's current one:
  // after signing in or out, once the browser was closed (the chat cookie is a session
  // cookie, so the conversation changed) and after the idle time that ends a session on the
  // server (what was proved with a phone tail has to be proved again), it is dropped, so
  // the next person at this browser does not see order details.
  function dropStaleConversation(session) {
    var stored = null;
    try { stored = JSON.parse(window.localStorage.getItem(WIDGET_STORAGE) || "null"); } catch (e) { stored = {}; }
    if (!stored) return;
    var idle = Date.now() - (stored.lastUpdate || 0) > session.session_idle_minutes * 60 * 1000;
    if (stored.session_id !== session.conversation_id || idle) window.localStorage.removeItem(WIDGET_STORAGE);
  }

  function post(path) {
    var body = arguments.length > 1 ? arguments[1] : {};
    return fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    }).then(function (response) {
      if (!response.ok) throw new Error(response.statusText);
      return response.json();
    });
  }

  // A new conversation starts (the server gave this browser a new chat cookie): the widget
  // must not show the old one.
  function restartWith(request) {
    return request.then(function () {
      window.localStorage.removeItem(WIDGET_STORAGE);
      window.location.reload();
    });
  }

  function renderAccount(lang, session) {
    var t = TEXTS[lang];
    if (session.customer) {
      document.getElementById("customer-name").textContent = t.hello + session.customer.name[lang];
      document.getElementById("signed-in").hidden = false;
      document.getElementById("sign-out").addEventListener("click", function () { restartWith(post("/api/logout")); });
      return;
    }
    if (!session.sign_in) return;
    var form = document.getElementById("sign-in");
    fetch("/api/customers").then(function (response) { return response.json(); }).then(function (body) {
      var select = document.getElementById("customer");
      body.customers.forEach(function (customer) {
        var option = element("option", "", customer.name[lang] + " " + customer.phone);
        option.value = customer.id;
        select.appendChild(option);
      });
      form.hidden = body.customers.length === 0;
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      restartWith(post("/api/login", { customer_id: document.getElementById("customer").value }));
    });
  }

  // A fresh token before the old one expires; a sign-in that ended meanwhile (or a restart
  // of the mall's server) signs this browser out, into a new conversation.
  function keepTokenFresh(session, customData) {
    if (!session.customer) return;
    window.setInterval(function () {
      fetch("/api/session", { credentials: "same-origin" }).then(function (response) { return response.json(); })
        .then(function (fresh) {
          if (!fresh.customer || fresh.customer.id !== session.customer.id) return restartWith(post("/api/logout"));
          customData.token = fresh.token;  // the widget sends this object with every message
        });
    }, session.token_seconds * 1000 / 3);
  }

  function dropConversationWhenIdle(session) {
    window.setInterval(function () {
      var before = window.localStorage.getItem(WIDGET_STORAGE);
      dropStaleConversation(session);
      if (before && !window.localStorage.getItem(WIDGET_STORAGE)) window.location.reload();
    }, 60 * 1000);
  }

  function startWidget(lang, session) {
    var t = TEXTS[lang];
    var rasaPort = MALL.rasaPort;
    // The bot greets in the page's language; a signed-in customer's token goes with every message.
    var customData = { language: lang };
    if (session.token) customData.token = session.token;
    window.WebChat.default({
      selector: "#webchat",
      initPayload: "/greet",
      customData: customData,
      socketUrl: window.location.protocol + "//" + window.location.hostname + ":" + rasaPort,
      socketPath: "/socket.io/",
      title: t.chatTitle,
      subtitle: t.chatSubtitle,
      inputTextFieldHint: t.chatHint,
      connectingText: t.connecting.replace("{hotline}", MALL.hotline),
      // rasa-webchat hides itself, history and all, while it is not connected.
      hideWhenNotConnected: false,
      onSocketEvent: {
        connect: function () { document.body.dataset.chat = "connected"; },
        disconnect: function () { document.body.dataset.chat = "reconnecting"; },
        connect_error: function () { document.body.dataset.chat = "reconnecting"; },
      },
      params: { storage: "local" },  // a reload continues the same conversation
      customMessageDelay: function () { return 0; },
      showMessageDate: false,
      displayUnreadCount: true,
    }, null);
    keepTokenFresh(session, customData);
    dropConversationWhenIdle(session);
  }

  var lang = pageLanguage();
  window.localStorage.setItem("mall.lang", lang);
  renderTexts(lang);
  // The session first: it sets this browser's chat cookie, which the widget's socket brings.
  fetch("/api/session", { credentials: "same-origin" }).then(function (response) { return response.json(); })
    .then(function (session) {
      dropStaleConversation(session);
      document.body.dataset.customer = session.customer ? session.customer.id : "";
      renderAccount(lang, session);
      fetch("/api/orders").then(function (response) { return response.json(); })
        .then(function (body) { renderOrders(lang, body.orders); });
      startWidget(lang, session);
    });
})();
