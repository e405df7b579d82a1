"""The chat widget on the mall page, in a real (headless) Chromium.

Starts the action server, the Rasa server (socketio, CORS for the page only) and the page
on free loopback ports, then chats the way a customer would: typing and clicking buttons.
"""

from __future__ import annotations

import pytest

from mall import demo
from mall.store import OrderStore
from tests.browser import Widget
from tests.support import SCREENSHOTS, new_orders

pytestmark = pytest.mark.browser

SCREENSHOT = SCREENSHOTS / "widget.png"


def test_chinese_customer_pays_in_installments_and_changes_the_method(site, new_page):
    orders = OrderStore(site.orders_db)
    demo.reset(orders)
    page = new_page()
    widget = Widget(page)
    widget.load(site.web_url)
    assert page.locator("h1").inner_text() == "我的订单"
    widget.open()
    widget.wait_for_bot("支付助手")  # greeting, in the page's language

    widget.send("怎么分期付款")
    widget.wait_for_bot("去结算")

    widget.send("我想换个支付方式")
    widget.wait_for_bot("订单号")
    widget.send("5201121000000006")
    widget.wait_for_bot("后4位")
    widget.send("9012")
    widget.wait_for_bot("还没有支付")
    widget.click("支付宝")
    widget.wait_for_bot("请确认")
    assert orders.orders.get("5201121000000006").status == "unpaid"
    widget.click("确认")
    widget.wait_for_bot("已办好")

    (created,) = new_orders(orders)
    assert (created["payment_method"], created["total"]) == ("alipay", 8999.0)
    old = orders.orders.get("5201121000000006")
    assert (old.status, old.replaced_by) == ("cancelled", created["order_id"])

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    # Start another question, reload, and answer it: the same conversation goes on.
    widget.send("还有一个订单也要改支付方式")
    widget.wait_for_bot("订单号")
    widget.reload()
    widget.open()
    assert "已办好" in widget.transcript()
    widget.send("5201121000000008")
    widget.wait_for_bot("后4位")


def test_english_page_gets_an_english_assistant(site, new_page):
    page = new_page("en-US")
    widget = Widget(page)
    widget.load(f"{site.web_url}/?lang=en")
    assert page.locator("h1").inner_text() == "My Orders"
    widget.open()
    widget.wait_for_bot("payment assistant")
    widget.send("how do I pay in installments?")
    widget.wait_for_bot("Huabei")
    widget.click("Any fees?")
    widget.wait_for_bot("fee")


def test_html_from_the_customer_is_shown_as_text(site, new_page):
    page = new_page()
    widget = Widget(page)
    widget.load(site.web_url)
    widget.open()
    widget.wait_for_bot("支付助手")
    before = widget.bot_message_count()
    widget.send("<img src=x onerror=\"document.title='pwned'\"> <b>hi</b>")
    widget.wait_for_bot_messages(before + 1)  # the message was shown long before the reply
    assert page.title() != "pwned"
    assert page.locator(".rw-client img").count() == 0
