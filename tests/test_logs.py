"""The server logs say what went wrong, not what customers told us: a whole change flow in
the widget's channel, with buttons and a disconnect, logs no error and no slot value."""

from __future__ import annotations

import asyncio

import pytest

from mall import demo
from mall.conversations import ConversationLog
from mall.store import OrderStore
from tests.socket_customer import SocketCustomer
from tests.support import wait_until

pytestmark = pytest.mark.conversation


def test_a_change_flow_with_buttons_logs_no_error_and_no_customer_data(site):
    demo.reset(OrderStore(site.orders_db))
    log = site.workdir / "rasa.log"
    start = log.stat().st_size

    async def chat():
        customer = SocketCustomer(site.rasa_url)
        await customer.connect()
        try:
            for said, expected in [
                ("我想换个支付方式", "订单号"),
                ("5201121000000001", "后4位"),
                ("1234", "还没有支付"),
                ('/inform{"payment_method":"huabei"}', "几期"),  # buttons, as the widget sends them
                ('/inform{"installments":"6"}', "请确认"),
                ("/deny", "没有任何改动"),
            ]:
                await customer.say(said)
                await customer.wait_for(expected)
                customer.received.clear()
        finally:
            await customer.close()
        return customer.session_id

    sender = asyncio.run(chat())
    presence = ConversationLog(site.workdir / "conversations.db")
    wait_until(lambda: not presence.presence(sender).online, 30, "the disconnect handled")
    with open(log, encoding="utf-8", errors="replace") as text:
        text.seek(start)
        written = text.read()
    assert " ERROR " not in written and "Traceback" not in written, written[-3000:]
    assert "5201121000000001" not in written and "'1234'" not in written and '"1234"' not in written
