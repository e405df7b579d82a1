// The "My Orders" page: texts in Chinese or English, the orders, and the chat widget.
// Facts (hotline, status names, the orders) come from the server: window.MALL (/config.js)
// and /api/orders.
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

  function startWidget(lang) {
    var t = TEXTS[lang];
    var rasaPort = MALL.rasaPort;
    window.WebChat.default({
      selector: "#webchat",
      initPayload: "/greet",
      customData: { language: lang },  // the bot greets in the page's language
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
  }

  var lang = pageLanguage();
  window.localStorage.setItem("mall.lang", lang);
  renderTexts(lang);
  fetch("/api/orders").then(function (response) { return response.json(); })
    .then(function (body) { renderOrders(lang, body.orders); });
  startWidget(lang);
})();
