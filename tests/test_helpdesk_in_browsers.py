"""The helpdesk in real browsers: customers in the widget, agents in the console, each in a
page of their own (Debian's Chromium, Playwright), against the real servers.

A Chinese customer with a paid order waits in the queue, sees their place, then the agent
who comes online take it; the agent's new ticket shows in the tab title with a sound, a
canned reply goes out filled in Chinese and signed, a note stays in the console; the ticket
is transferred to a second agent, who closes it; the closed ticket is found by its order
number. An English customer gets the English variant of it all. Another agent's reply to the
ticket is refused (403), and a disabled agent is signed out at once.
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from mall.store import OrderStore
from tests.browser import TIMEOUT_MS, Console, Widget
from tests.console_support import ACCOUNTS
from tests.support import SCREENSHOTS
from webapp.console_auth import CSRF_HEADER

pytestmark = pytest.mark.browser

PAID, TAIL = "5201121000000002", "1234"
SCREENSHOT = SCREENSHOTS / "agent-console.png"
NEW_TICKET = re.compile(r"^\(1\) ")  # the tab title's badge


def console(new_page, site, name: str) -> Console:
    return Console(new_page(), site.web_url).signed_in_as(name, ACCOUNTS[name][3])


def customer(new_page, site, locale: str = "zh-CN") -> Widget:
    widget = Widget(new_page(locale))
    widget.load(site.web_url if locale.startswith("zh") else f"{site.web_url}/?lang=en")
    widget.open()
    return widget


def api_session(site, name: str) -> requests.Session:
    """An agent signed in with their own browser (cookie and CSRF token), outside the page."""
    session = requests.Session()
    signed_in = session.post(f"{site.web_url}/agent/login", json={"name": name, "password": ACCOUNTS[name][3]})
    signed_in.raise_for_status()
    session.headers[CSRF_HEADER] = signed_in.json()["csrf"]
    return session


def open_from_history(console: Console, text: str, ticket_id: str) -> None:
    console.page.locator(".tab[data-view=history]").click()
    console.page.locator("#history-q").fill(text)
    console.page.locator("#history-search button[type=submit]").click()
    console.page.locator(f"#history-results [data-ticket='{ticket_id}']").click(timeout=TIMEOUT_MS)


def test_queue_join_canned_note_transfer_close_and_history_in_chinese(site, site_orders, new_page):
    shopper = customer(new_page, site)
    shopper.wait_for_bot("支付助手")
    shopper.send(f"订单{PAID}想换成支付宝")
    shopper.wait_for_bot("后4位")
    shopper.send(TAIL)
    handed_over = shopper.wait_for_bot("工单号")
    ticket_id = re.search(r"HT\d{10}", handed_over).group()
    assert "排在第 1 位" in shopper.wait_for_bot("排在第")  # nobody online yet: the queue

    wang = console(new_page, site, "wang")  # coming online takes the queue
    assert "客服小王已接入" in shopper.wait_for_bot("已接入")
    wang.ticket(ticket_id).wait_for(timeout=TIMEOUT_MS)
    expect(wang.page).to_have_title(NEW_TICKET, timeout=TIMEOUT_MS)
    assert wang.page.evaluate("document.body.dataset.chimes") == "1"
    wang.open(ticket_id)
    assert wang.page.title().startswith("客服工作台")  # opened: no longer new
    wang.wait_for_line("customer", TAIL)

    filled = wang.canned("order")
    assert filled == f"我查到了您的订单 {PAID}，正在为您处理，请不要关闭聊天窗口。"
    wang.page.locator("#send").click()
    assert shopper.wait_for_bot("小王：我查到了您的订单") == f"小王：{filled}"
    wang.wait_for_line("agent", "小王：我查到了")

    wang.type_reply("客户很着急，回电 13800001234")
    wang.page.locator("#add-note").click()
    assert "138****1234" in wang.wait_for_line("note", "客户很着急")
    wang.page.locator("#reply-text").press_sequentially("/b")  # a canned reply offered, for the README's picture
    wang.page.locator("#canned-menu [data-name='bye']").wait_for(timeout=TIMEOUT_MS)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    wang.page.screenshot(path=str(SCREENSHOT))
    wang.type_reply("")

    li = console(new_page, site, "li")
    assert li.ticket(ticket_id).count() == 0  # another agent's ticket is not in their list
    forged = api_session(site, "li").post(f"{site.web_url}/agent/api/tickets/{ticket_id}/reply", json={"text": "hi"})
    assert forged.status_code == 403

    wang.page.locator("#transfer-to").select_option("li")
    wang.page.locator("#transfer-note").fill("请帮忙处理退款")
    wang.page.locator("#transfer").click()
    assert "客服小李已接入" in shopper.wait_for_bot("客服小李")
    wang.ticket(ticket_id).wait_for(state="detached", timeout=TIMEOUT_MS)
    expect(li.page).to_have_title(NEW_TICKET, timeout=TIMEOUT_MS)
    li.open(ticket_id)
    li.wait_for_line("note", "请帮忙处理退款")
    li.page.locator("#close").click()
    shopper.wait_for_bot("智能助手回来了")
    shopper.wait_for_bot("打个分")  # a closed ticket asks for a rating (issue 22)
    li.ticket(ticket_id).wait_for(state="detached", timeout=TIMEOUT_MS)  # closed
    assert "客户很着急" not in shopper.transcript() and "请帮忙处理退款" not in shopper.transcript()
    closed = OrderStore(site.orders_db).tickets.get(ticket_id)
    assert (closed.status, closed.closed_by, closed.order_id) == ("closed", "li", PAID)
    assert closed.agent_joined_at and closed.assigned_at

    open_from_history(wang, PAID, ticket_id)
    wang.wait_for_line("note", "请帮忙处理退款")  # the whole history: notes, transcript, who did what
    wang.wait_for_line("agent", "小王：我查到了")
    assert "小李 (li)" in wang.page.locator("#ticket-meta").inner_text()


def test_an_english_customer_gets_the_agents_english_name_and_canned_reply(site, site_orders, new_page):
    wang = console(new_page, site, "wang")
    wang.page.locator("#mute").click()  # the badge still counts; no chime
    expect(wang.page.locator("#mute")).to_have_attribute("aria-pressed", "true")
    shopper = customer(new_page, site, "en-US")
    shopper.wait_for_bot("Hi")
    shopper.send("I want to talk to a person")
    ticket_id = re.search(r"HT\d{10}", shopper.wait_for_bot("ticket number")).group()
    assert "Wang has joined" in shopper.wait_for_bot("has joined")
    expect(wang.page).to_have_title(NEW_TICKET, timeout=TIMEOUT_MS)
    assert wang.page.evaluate("document.body.dataset.chimes") is None
    wang.open(ticket_id)
    filled = wang.canned("hello")
    assert filled == f"Hi, I'm Wang and I'll take care of ticket {ticket_id}. Give me a moment to look at it."
    wang.page.locator("#send").click()
    assert shopper.wait_for_bot("Wang: Hi, I'm Wang") == f"Wang: {filled}"
    wang.page.locator("#close").click()
    shopper.wait_for_bot("I'm back")
    shopper.wait_for_bot("how satisfied")
    wang.ticket(ticket_id).wait_for(state="detached", timeout=TIMEOUT_MS)


def test_a_disabled_agent_is_signed_out_at_once(site, site_orders, new_page):
    li = console(new_page, site, "li")
    chen = console(new_page, site, "chen")
    chen.page.locator(".tab[data-view=agents]").click()
    chen.page.locator("#agent-rows tr[data-agent=li] button.disable").click(timeout=TIMEOUT_MS)
    li.page.locator("#login-error", has_text="signed out").wait_for(timeout=TIMEOUT_MS)
    assert li.page.locator("#console").is_hidden()
    li.sign_in("li", ACCOUNTS["li"][3])
    li.page.locator("#login-error", has_text="Wrong name or password").wait_for(timeout=TIMEOUT_MS)
    chen.page.locator("#agent-rows tr[data-agent=li] button", has_text="Enable").click()
    li.signed_in_as("li", ACCOUNTS["li"][3])
    audit = [(e.actor, e.action, e.subject) for e in OrderStore(site.orders_db).audit.recent(2)]
    assert audit == [("chen", "agent_enable", "li"), ("chen", "agent_disable", "li")]
