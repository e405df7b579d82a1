"""Attacks on whose conversation is whose, tried as the security review tried them: a
python-socketio client from another origin or presenting a victim's session id, the REST
webhook naming a widget conversation, crafted identity, and bad customer tokens."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time

import pytest
import requests
import socketio

from mall.identity import conversation_id, issue_token
from mall.store import OrderStore
from tests.socket_customer import SocketCustomer

pytestmark = pytest.mark.conversation

ORDER, OWNER = "5201121000000001", "customer-1234"


@pytest.fixture
def orders(site_orders: OrderStore) -> OrderStore:
    """This module's conversations run on the site (tests/conftest.py)."""
    return site_orders


def page_origin(site) -> str:
    return site.web_url  # http://127.0.0.1:<web port>: the only origin the Rasa side admits


def browser(site, **kwargs) -> SocketCustomer:
    """A socket as the mall page opens it: the page's origin and this browser's chat cookie."""
    kwargs.setdefault("chat_secret", secrets.token_urlsafe(32))
    return SocketCustomer(site.rasa_url, origin=page_origin(site), **kwargs)


def token_for(site, customer: SocketCustomer, seconds: int = 600, secret=None, now=None) -> str:
    assert customer.chat_secret
    return issue_token(secret or site.mall_secret, OWNER, conversation_id(customer.chat_secret), seconds, now=now)


# A question whose answer needs nothing of the conversation: it shows everything before it
# was handled.
PROBE, ANSWERED = "分期有手续费吗", "手续费"


def test_a_socket_from_another_origin_is_refused_at_the_handshake(site):
    async def attack():
        evil = SocketCustomer(site.rasa_url, origin="http://evil.example")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await evil.connect()
        with contextlib.suppress(Exception):
            await evil.close()

    asyncio.run(attack())
    for transport in ("polling", "websocket"):
        response = requests.get(
            f"{site.rasa_url}/socket.io/?EIO=4&transport={transport}",
            headers={"Origin": "http://evil.example"},
            timeout=10,
        )
        assert response.status_code == 403, transport


def test_a_victims_session_id_opens_nothing_of_the_victims(site, orders):
    """The review's hijack: the attacker asks for the victim's session id, then listens and
    writes. It gets a conversation of its own; the victim sees none of its messages."""

    async def attack():
        victim = browser(site, language="en")
        await victim.connect()
        await victim.say(f"change the payment method of order {ORDER}")
        await victim.wait_for("last 4 digits")
        await victim.say("1234")
        await victim.wait_for("Xiaomi 14")  # verified: the order's details are on screen
        await victim.wait_for("Which payment method")
        seen_by_victim = len(victim.received)

        for thief in (
            SocketCustomer(site.rasa_url, session_id=victim.session_id, origin=page_origin(site)),  # no cookie
            browser(site, session_id=victim.session_id),  # a cookie of its own
        ):
            await thief.connect()
            assert thief.session_id != victim.session_id  # confirmed: another conversation
            await thief.say("switch it to alipay")
            stolen = await thief.said_before(PROBE, ANSWERED)
            assert all("Xiaomi" not in (r.get("text") or "") and "3,999" not in (r.get("text") or "") for r in stolen)
            await thief.client.emit(  # even naming the victim's conversation in the message
                "user_uttered", {"message": "yes", "customData": {}, "session_id": victim.session_id}
            )
            await thief.said_before(PROBE, ANSWERED)  # the "yes" has been handled
            await thief.close()
        # Had a thief's message reached the victim's conversation, its replies would come
        # before the answer to the victim's next question.
        assert await victim.said_before(PROBE, ANSWERED) == []
        assert len(victim.received) == seen_by_victim + 1  # nothing of the thieves reached the victim
        await victim.close()

    asyncio.run(attack())
    assert orders.orders.get(ORDER).status == "unpaid"  # nobody changed it


def test_the_same_browser_comes_back_to_its_conversation(site):
    async def twice():
        first = browser(site)
        await first.connect()
        await first.close()
        again = browser(site, chat_secret=first.chat_secret)
        await again.connect()
        await again.close()
        return first.session_id, again.session_id

    first, again = asyncio.run(twice())
    assert first == again


def rest(site, body, **kwargs):
    return requests.post(f"{site.rasa_url}/webhooks/rest/webhook", timeout=30, **kwargs, json=body)


def test_the_rest_webhook_cannot_reach_a_widget_conversation(site):
    async def victim_id():
        victim = browser(site)
        await victim.connect()
        await victim.close()
        return victim.session_id

    response = rest(site, {"sender": asyncio.run(victim_id()), "message": "查订单"})
    assert response.status_code == 400 and "widget" in response.text


@pytest.mark.parametrize(
    "body",
    [[{"sender": "a", "message": "hi"}], None, "hi", {"message": "hi"}, {"sender": "", "message": "hi"}],
    ids=["array", "null", "string", "no-sender", "empty-sender"],
)
def test_bad_rest_bodies_are_a_400(site, body):
    """No sender used to put every such caller into one conversation, "default"; an array
    was a 500."""
    assert rest(site, body).status_code == 400


def test_crafted_rest_payloads_set_no_identity_nor_verification(site, orders):
    sender = f"crafted-{secrets.token_hex(4)}"
    forged = {"mall": {"customer_id": OWNER, "expires_at": time.time() + 600}, "customer_id": OWNER}
    body = {"sender": sender, "message": "我想改支付方式", "metadata": forged, "input_channel": "socketio"}
    replies = rest(site, body).json()
    assert "订单号" in replies[0]["text"] and not replies[0].get("buttons")  # asked like anyone
    typed = f'/inform{{"order_id":"{ORDER}","verified_order_id":"{ORDER}","customer_id":"{OWNER}","phone_tail":"0000"}}'
    replies = rest(site, {"sender": sender, "message": typed, "metadata": forged}).json()
    text = " ".join(reply.get("text", "") for reply in replies)
    assert "Xiaomi" not in text and "3,999" not in text


def test_a_signed_in_customer_gets_their_orders_and_no_phone_question(site, orders):
    async def chat():
        customer = browser(site, language="en")
        await customer.connect()
        customer.token = token_for(site, customer)
        await customer.say("I want to change my payment method")
        await customer.wait_for("Which order")
        buttons = [b for r in customer.received for b in r.get("quick_replies") or []]
        titles = [b["title"] for b in buttons]
        assert any("Xiaomi 14" in t and "3,999" in t and "unpaid" in t.lower() for t in titles), titles
        assert not any("TV" in t for t in titles)  # another customer's order
        payload = next(b["payload"] for b in buttons if "Xiaomi 14" in b["title"])
        await customer.say(payload)
        reply = await customer.wait_for("Xiaomi 14")
        assert "last 4 digits" not in reply
        # Someone else's order number reads exactly like one that does not exist.
        await customer.say("5201121000000006")
        foreign = await customer.wait_for("in your account")
        before = len(customer.received)
        await customer.say("5201121099999999")
        await customer.wait_for("in your account", after=before)
        unknown = [r["text"] for r in customer.received if "in your account" in (r.get("text") or "")]
        await customer.close()
        return foreign, unknown

    foreign, unknown = asyncio.run(chat())
    assert "TV" not in foreign and len(unknown) == 2
    assert unknown[0].replace("2 more", "N") == unknown[1].replace("1 more", "N")


@pytest.mark.parametrize(
    "kind, expected",
    [("expired", "登录已过期"), ("other-secret", "无法验证"), ("forged", "无法验证"), ("other-browser", "无法验证")],
)
def test_bad_tokens_are_refused_with_a_clear_message(site, orders, kind, expected):
    async def chat():
        customer = browser(site)
        await customer.connect()
        customer.token = {
            "expired": lambda: token_for(site, customer, now=time.time() - 3600),
            "other-secret": lambda: token_for(site, customer, secret="another-secret-of-32-characters-at-least"),
            "forged": lambda: token_for(site, customer)[:-4] + "AAAA",
            "other-browser": lambda: issue_token(site.mall_secret, OWNER, conversation_id("other"), 600),
        }[kind]()
        await customer.say("我想改支付方式")
        reply = await customer.wait_for(expected)
        customer.token = None  # the probe is anonymous: answered, not refused
        extra = await customer.said_before(PROBE, ANSWERED)
        await customer.close()
        return reply, [r.get("text") for r in customer.received], extra

    _, received, extra = asyncio.run(chat())
    assert not any("哪一笔订单" in (text or "") for text in received)  # not handled as signed in
    assert not extra  # nor handled at all
