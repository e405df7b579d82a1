"""A typed label of a button the assistant just showed is that button (rasa_addons.typed_buttons,
read at the door). Through a running assistant: tests/test_real_customer_messages.py."""

import asyncio

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from mall.conversations import ConversationLog
from rasa_addons.tracker_store import WindowedTrackerStore
from rasa_addons.typed_buttons import pressed_button
from tests.support import assistant_domain

METHODS = [
    {"title": "WeChat Pay", "payload": '/inform{"payment_method":"wechat_pay"}'},
    {"title": "微信支付", "payload": '/inform{"payment_method":"wechat_pay"}'},
    {"title": "Pay in full", "payload": '/inform{"installments":"1"}'},
]


@pytest.mark.parametrize(
    "typed", ["WeChat Pay", "wechat pay", " WECHAT PAY! ", "微信支付", "微信支付。", "pay in full"]
)
def test_a_typed_label_is_its_button(typed):
    assert pressed_button(typed, METHODS) is not None


@pytest.mark.parametrize("typed", ["wechat", "I'd rather pay with WeChat Pay", "/inform", ""])
def test_anything_else_is_read_as_usual(typed):
    assert pressed_button(typed, METHODS) is None


def test_the_buttons_are_those_of_the_assistants_latest_message(tmp_path):
    store = WindowedTrackerStore(assistant_domain(), db=str(tmp_path / "c.db"))
    asked = [ActionExecuted("action_listen"), UserUttered("hi"), BotUttered("Which one?", data={"buttons": METHODS})]
    ConversationLog(str(tmp_path / "c.db")).append("c", 0, [event.as_dict() for event in asked])
    assert asyncio.run(store.latest_buttons("c")) == METHODS
    later = [ActionExecuted("action_listen"), UserUttered("x"), BotUttered("Please confirm")]
    ConversationLog(str(tmp_path / "c.db")).append("c", len(asked), [event.as_dict() for event in later])
    assert asyncio.run(store.latest_buttons("c")) == []
    assert asyncio.run(store.latest_buttons("nobody")) == []
