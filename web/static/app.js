// The "My Orders" page: texts in Chinese or English, and the chat widget.
(function () {
  "use strict";

  var TEXTS = {
    zh: {
      pageTitle: "我的订单 - 小米商城", brand: "小米商城", navHome: "首页", navOrders: "我的订单",
      navHelp: "帮助中心", title: "我的订单", tabAll: "全部订单", tabUnpaid: "待支付",
      tabShipping: "待收货", tabDone: "已完成",
      notice: "想分期付款，或者更换订单的支付方式？点右下角的支付助手。",
      footer: "示例页面 · 客服热线 400-100-5678",
      orderNo: "订单号", placed: "下单时间", pay: "去支付", details: "订单详情",
      statuses: { unpaid: "待支付", shipped: "已发货", cancelled: "已取消" },
      chatTitle: "支付助手", chatSubtitle: "分期付款 · 更换支付方式",
      chatHint: "输入您的问题…", connecting: "正在连接…",
    },
    en: {
      pageTitle: "My Orders - Xiaomi Mall", brand: "Xiaomi Mall", navHome: "Home", navOrders: "My Orders",
      navHelp: "Help Center", title: "My Orders", tabAll: "All orders", tabUnpaid: "Unpaid",
      tabShipping: "On the way", tabDone: "Completed",
      notice: "Want to pay in installments or change an order's payment method? Ask the payment assistant at the bottom right.",
      footer: "Demo page · Hotline 400-100-5678",
      orderNo: "Order", placed: "Placed", pay: "Pay now", details: "Details",
      statuses: { unpaid: "Unpaid", shipped: "Shipped", cancelled: "Cancelled" },
      chatTitle: "Payment assistant", chatSubtitle: "Installments · payment methods",
      chatHint: "Type your question…", connecting: "Connecting…",
    },
  };

  // Illustrative orders for the page (the assistant reads the real ones from its database).
  var ORDERS = [
    { id: "5201121000000001", item: "Xiaomi 14 12GB+256GB", status: "unpaid", total: "¥3,999.00", date: "2026-11-01" },
    { id: "5201121000000003", item: "Redmi Note 13 Pro", status: "shipped", total: "¥1,299.00", date: "2026-11-01" },
    { id: "5201121000000005", item: "Xiaomi Pad 6", status: "cancelled", total: "¥2,999.00", date: "2026-11-01" },
  ];

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
      node.textContent = t[node.getAttribute("data-i18n")];
    });
    document.querySelectorAll(".lang-switch button").forEach(function (button) {
      button.classList.toggle("active", button.getAttribute("data-lang") === lang);
      button.addEventListener("click", function () {
        window.localStorage.setItem("mall.lang", button.getAttribute("data-lang"));
        window.location.search = "?lang=" + button.getAttribute("data-lang");
      });
    });
  }

  function renderOrders(lang) {
    var t = TEXTS[lang];
    document.getElementById("orders").innerHTML = ORDERS.map(function (order) {
      var closed = order.status === "cancelled" ? " closed" : "";
      return (
        '<article class="order">' +
        '<div class="order-head"><span>' + t.orderNo + " " + order.id + " · " + t.placed + " " + order.date +
        '</span><span class="order-status' + closed + '">' + t.statuses[order.status] + "</span></div>" +
        '<div class="order-body"><div><div class="order-item">' + order.item + "</div>" +
        '<div class="order-meta">' + (order.status === "unpaid" ? t.pay : t.details) + "</div></div>" +
        '<div class="order-total">' + order.total + "</div></div></article>"
      );
    }).join("");
  }

  function startWidget(lang) {
    var t = TEXTS[lang];
    var rasaPort = (window.ASSISTANT && window.ASSISTANT.rasaPort) || 5005;
    window.WebChat.default({
      selector: "#webchat",
      initPayload: "/greet",
      customData: { language: lang },  // the bot greets in the page's language
      socketUrl: window.location.protocol + "//" + window.location.hostname + ":" + rasaPort,
      socketPath: "/socket.io/",
      title: t.chatTitle,
      subtitle: t.chatSubtitle,
      inputTextFieldHint: t.chatHint,
      connectingText: t.connecting,
      params: { storage: "local" },  // a reload continues the same conversation
      customMessageDelay: function () { return 0; },
      showMessageDate: false,
      displayUnreadCount: true,
    }, null);
  }

  var lang = pageLanguage();
  window.localStorage.setItem("mall.lang", lang);
  renderTexts(lang);
  renderOrders(lang);
  startWidget(lang);
})();
