"""Waiting for a human agent in the widget's channel: acknowledged, one ticket, typed
payloads kept for the agent, "never mind" hands back, and quiet once an agent has joined."""

from __future__ import annotations

import asyncio
import re

import pytest
import requests

from mall.conversations import ConversationLog
from mall.store import OrderStore
from tests.console_support import ACCOUNTS
from tests.socket_customer import SocketCustomer
from tests.support import until
from webapp.console_auth import CSRF_HEADER

pytestmark = pytest.mark.conversation


def stored_texts(site, sender: str) -> list:
    return [event.get("text") for event in ConversationLog(site.workdir / "conversations.db").events(sender)]


async def handed_off(site) -> tuple:
    customer = SocketCustomer(site.rasa_url)
    await customer.connect()
    await customer.say("我要转人工")
    ticket_id = re.search(r"HT\d{10}", await customer.wait_for("工单号")).group()
    await customer.wait_for("排在第 1 位")  # the handoff's last message: nobody is online
    customer.received.clear()
    return customer, ticket_id


def test_waiting_customer_is_acknowledged_and_can_change_their_mind(site, site_orders):
    store = OrderStore(site.orders_db)

    async def chat():
        customer, ticket_id = await handed_off(site)
        try:
            await customer.say("有人吗？？")
            assert ticket_id in await customer.wait_for("已经转给客服")
            await customer.wait_for("排在第 1 位")  # asked, so told again
            await customer.say("/restart")  # typed: kept for the agent, nothing else happens
            assert await customer.said_before("有人吗", "已经转给客服") == []
            before = len(customer.received)
            await customer.say("我要转人工")
            assert ticket_id in await customer.wait_for("已经转给客服", after=before)
            assert [t.ticket_id for t in store.tickets.listed() if t.sender_id == customer.session_id] == [ticket_id]
            await customer.say("算了，不用了")
            await customer.wait_for("已经取消转人工")
            assert store.tickets.get(ticket_id).status == "cancelled"
            customer.received.clear()
            await customer.say("分期有手续费吗")
            await customer.wait_for("手续费")  # the assistant is back
        finally:
            await customer.close()

    asyncio.run(chat())


def test_once_an_agent_has_joined_the_assistant_keeps_quiet(site, site_orders):
    console = requests.Session()
    signed_in = console.post(f"{site.web_url}/agent/login", json={"name": "li", "password": ACCOUNTS["li"][3]})
    signed_in.raise_for_status()
    console.headers[CSRF_HEADER] = signed_in.json()["csrf"]  # as the console's script sends it

    async def chat():
        customer, ticket_id = await handed_off(site)
        try:
            tickets = f"{site.web_url}/agent/api/tickets"
            console.post(f"{tickets}/{ticket_id}/claim", json={}).raise_for_status()
            await customer.wait_for("客服小李已接入")
            console.post(f"{tickets}/{ticket_id}/reply", json={"text": "您好，我是客服小李"}).raise_for_status()
            await customer.wait_for("小李：您好")
            await customer.say("不用了，谢谢")  # an answer to the agent, not a cancellation
            await until(lambda: "不用了，谢谢" in stored_texts(site, customer.session_id), 30, "the message stored")
            before = len(customer.received)
            # The agent's next message comes after anything the assistant would have said.
            console.post(f"{tickets}/{ticket_id}/reply", json={"text": "好的，还有别的问题吗"}).raise_for_status()
            await customer.wait_for("还有别的问题吗", after=before)
            (only,) = [reply.get("text") for reply in customer.received[before:]]
            assert only.endswith("好的，还有别的问题吗")
            assert OrderStore(site.orders_db).tickets.get(ticket_id).status == "open"
            listed = console.get(tickets).json()["tickets"]
            assert ticket_id in [t["ticket_id"] for t in listed]
            console.post(f"{tickets}/{ticket_id}/close", json={}).raise_for_status()
            await customer.wait_for("智能助手回来了")
        finally:
            await customer.close()

    asyncio.run(chat())
