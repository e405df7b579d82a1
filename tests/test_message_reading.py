"""Reading a message as the customer meant it: a typed button label is the button; several
questions in one message are several questions."""

import asyncio

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from mall.conversations import ConversationLog
from rasa_addons.multiple_questions import clauses
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


@pytest.mark.parametrize(
    "text, expected",
    [
        ("分期有手续费吗 能提前还吗", ["分期有手续费吗", "能提前还吗"]),
        ("分期有手续费吗？能提前还吗？", ["分期有手续费吗", "能提前还吗"]),
        ("分期有手续费吗，能提前还吗", ["分期有手续费吗", "能提前还吗"]),
        ("手续费多少 另外怎么还款", ["手续费多少", "怎么还款"]),
        ("are there fees? can I repay early?", ["are there fees", "can I repay early"]),
        ("我用花呗分期，手续费多少", ["我用花呗分期，手续费多少"]),  # one question
        ("Redmi Note 13 Pro 怎么分期", ["Redmi Note 13 Pro 怎么分期"]),
        ("订单5201121000000001 尾号1234", ["订单5201121000000001 尾号1234"]),
    ],
)
def test_a_message_splits_into_its_questions(text, expected):
    assert clauses(text) == expected
