"""Reading a message as the customer meant it: a typed button label is the button; several
questions in one message are several questions."""

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.multiple_questions import clauses
from rasa_addons.typed_buttons import pressed_button

METHODS = BotUttered(
    "Which payment method?",
    data={
        "buttons": [
            {"title": "WeChat Pay", "payload": '/inform{"payment_method":"wechat_pay"}'},
            {"title": "微信支付", "payload": '/inform{"payment_method":"wechat_pay"}'},
            {"title": "Pay in full", "payload": '/inform{"installments":"1"}'},
        ]
    },
)


def conversation(*events):
    return DialogueStateTracker.from_events("c", [ActionExecuted("action_listen"), *events])


@pytest.mark.parametrize(
    "typed", ["WeChat Pay", "wechat pay", " WECHAT PAY! ", "微信支付", "微信支付。", "pay in full"]
)
def test_a_typed_label_is_its_button(typed):
    assert pressed_button(typed, conversation(UserUttered("hi"), METHODS)) is not None


@pytest.mark.parametrize("typed", ["wechat", "I'd rather pay with WeChat Pay", "/inform", ""])
def test_anything_else_is_read_as_usual(typed):
    assert pressed_button(typed, conversation(UserUttered("hi"), METHODS)) is None


def test_only_the_latest_bot_message_counts():
    later = BotUttered("Please confirm")
    assert pressed_button("WeChat Pay", conversation(METHODS, UserUttered("x"), later)) is None


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
