"""A customer handed off in the widget and an agent in the console, in two browser pages."""

from __future__ import annotations

import re

import pytest

from mall import support
from mall.store import OrderStore
from tests.browser import TIMEOUT_MS, Console, Widget
from tests.console_support import ACCOUNTS

pytestmark = pytest.mark.browser
PASSWORD = ACCOUNTS["wang"][3]


def test_agent_takes_over_and_hands_back(site, site_orders, new_page):
    orders = OrderStore(site.orders_db)
    customer_page, agent_page = new_page(), new_page()

    customer = Widget(customer_page)
    customer.load(site.web_url)
    customer.open()
    customer.wait_for_bot("支付助手")
    customer.send("我要转人工")
    handoff = customer.wait_for_bot("工单号")
    assert support.HOTLINE in handoff and support.agent_hours() in handoff
    ticket_id = re.search(r"HT\d{10}", handoff).group()
    assert orders.tickets.get(ticket_id).status == "open"

    # While the agent is on the way the assistant only acknowledges (the place in the queue),
    # and keeps what the customer says for the agent.
    assert "排在第 1 位" in customer.wait_for_bot("排在第")
    customer.send("订单5201121000000002，手机号13800001234，想换成支付宝")
    assert ticket_id in customer.wait_for_bot("已经转给客服")

    agent = Console(agent_page, site.web_url)
    agent.sign_in("wang", "not-the-password")
    agent_page.locator("#login-error", has_text="Wrong name or password").wait_for(timeout=TIMEOUT_MS)
    assert agent_page.locator("#console").is_hidden()

    agent.signed_in_as("wang", PASSWORD)  # online: the queued ticket is theirs
    agent.open(ticket_id)
    waiting = agent_page.locator(".message.customer", has_text="想换成支付宝")
    waiting.wait_for(timeout=TIMEOUT_MS)
    assert "138****1234" in waiting.inner_text()
    assert "13800001234" not in agent_page.content()

    agent_page.locator("#reply-text").fill("您好，我是客服小王，马上帮您处理。")
    agent_page.locator("#send").click()
    customer.wait_for_bot("客服小王")
    agent_page.locator(".message.agent", has_text="客服小王").wait_for(timeout=TIMEOUT_MS)
    # What an agent writes is shown as written: no link, no image fetched from anywhere.
    written = "点这里 [help](javascript:alert(1)) ![x](http://127.0.0.1:9/t.png) **好** <b>粗</b> https://example.com"
    agent_page.locator("#reply-text").fill(written)
    agent_page.locator("#send").click()
    assert customer.wait_for_bot("点这里").replace("\u2060", "") == "小王：" + written
    message = customer_page.locator(".rw-response", has_text="点这里").last
    assert message.locator("a, img, strong, b").count() == 0
    # Once the agent has joined, the assistant says nothing more.
    before = customer.bot_message_count()
    customer.send("好的，谢谢")
    agent_page.locator(".message.customer", has_text="好的，谢谢").wait_for(timeout=TIMEOUT_MS)
    assert customer.bot_message_count() == before

    agent_page.locator("#close").click()
    customer.wait_for_bot("智能助手回来了")
    agent_page.locator(f"[data-ticket='{ticket_id}']").wait_for(state="detached", timeout=TIMEOUT_MS)
    assert orders.tickets.get(ticket_id).status == "closed"

    customer.send("怎么分期付款")
    customer.wait_for_bot("去结算")


def test_agent_replies_sent_while_the_tab_was_closed_are_there_on_return(site, site_orders, new_page):
    customer_page, agent_page = new_page(), new_page()
    customer = Widget(customer_page)
    customer.load(site.web_url)
    customer.open()
    customer.wait_for_bot("支付助手")
    customer.send("我要转人工")
    ticket_id = re.search(r"HT\d{10}", customer.wait_for_bot("工单号")).group()

    Console(agent_page, site.web_url).signed_in_as("wang", PASSWORD).open(ticket_id)
    agent_page.locator("#ticket-meta .presence", has_text="在线").wait_for(timeout=TIMEOUT_MS)

    storage = customer_page.context
    customer_page.close()  # the customer closes the tab
    agent_page.locator("#ticket-meta .presence", has_text="离线").wait_for(timeout=TIMEOUT_MS)
    agent_page.locator("#reply-text").fill("您好，我是客服小张，已经查到您的订单了。")
    agent_page.locator("#send").click()
    agent_page.locator(".message.agent", has_text="客服小张").wait_for(timeout=TIMEOUT_MS)

    back = Widget(storage.new_page())  # the same browser: the same conversation
    back.load(site.web_url)
    back.open()
    assert "已经查到您的订单了" in back.wait_for_bot("客服小张")
    assert "我要转人工" in back.transcript()  # with what came before
    agent_page.locator("#ticket-meta .presence", has_text="在线").wait_for(timeout=TIMEOUT_MS)
    agent_page.locator("#close").click()
    back.wait_for_bot("智能助手回来了")
