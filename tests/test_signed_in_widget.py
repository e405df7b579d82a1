"""A signed-in customer on the mall page, and a second browser that copies their session."""

from __future__ import annotations

import json

import pytest

from mall import demo
from mall.store import OrderStore
from tests.browser import TIMEOUT_MS, Widget
from tests.support import new_orders

pytestmark = pytest.mark.browser

OWNER, ORDER = "customer-1234", "5201121000000001"


def test_a_signed_in_customer_changes_an_unpaid_order_by_clicking(site, new_page):
    orders = OrderStore(site.orders_db)
    demo.reset(orders)
    page = new_page()
    widget = Widget(page)
    widget.load(site.web_url)
    widget.sign_in(OWNER)
    page.locator("#customer-name", has_text="张伟").wait_for(timeout=TIMEOUT_MS)
    widget.open()
    widget.wait_for_bot("支付助手")

    widget.send("我想换个支付方式")
    widget.wait_for_bot("哪一笔订单")
    widget.click("Xiaomi 14")  # the button names the item, the amount and the status
    details = widget.wait_for_bot("还没有支付")
    assert "后4位" not in widget.transcript()  # the account proves the order is theirs
    assert "3,999" in details
    widget.click("支付宝")
    widget.wait_for_bot("请确认")
    widget.click("确认")
    widget.wait_for_bot("已办好")
    (created,) = new_orders(orders)
    assert (created["payment_method"], orders.orders.get(ORDER).status) == ("alipay", "cancelled")

    # Signed out: a new conversation, and the phone tail is asked again.
    widget.sign_out()
    assert page.locator("#sign-in").is_visible()
    widget.open()
    assert "已办好" not in widget.transcript()
    widget.send("我想改订单5201121000000008的支付方式")
    widget.wait_for_bot("后4位")


def test_a_browser_that_copies_a_session_id_sees_and_writes_nothing_there(site, new_page):
    demo.reset(OrderStore(site.orders_db))
    victim_page, thief_page = new_page(locale="en-US"), new_page(locale="en-US")
    victim = Widget(victim_page)
    victim.load(f"{site.web_url}/?lang=en")
    victim.open()
    victim.send(f"change the payment method of order {ORDER}")
    victim.wait_for_bot("last 4 digits")
    victim.send("1234")
    victim.wait_for_bot("Xiaomi 14")
    stored = victim_page.evaluate("window.localStorage.getItem('chat_session')")
    assert json.loads(stored)["session_id"]

    thief = Widget(thief_page)
    thief.load(f"{site.web_url}/?lang=en")
    thief_page.evaluate("stored => window.localStorage.setItem('chat_session', stored)", stored)
    thief.reload()
    thief.open()
    assert "Xiaomi 14" not in thief.transcript() and "3,999" not in thief.transcript()
    victim_count = victim.bot_message_count()
    thief.send("switch it to alipay please")
    thief.wait_for_bot("order number")  # asked like anyone: nothing was proved here
    assert "Xiaomi 14" not in thief.transcript()
    # Had the thief's message reached the victim's conversation, its reply would come before
    # the answer to the victim's next question.
    victim.send("分期有手续费吗")
    victim.wait_for_bot("手续费")
    assert "手续费" in victim_page.locator(".rw-response").nth(victim_count).inner_text()
    assert "alipay please" not in victim.transcript()
