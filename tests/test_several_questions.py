"""Several questions in one message are several questions (rasa_addons.multiple_questions,
read at the door). Through a running assistant: tests/test_real_customer_messages.py."""

import pytest

from rasa_addons.multiple_questions import are_separate_questions, clauses


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


def parsed(*intents):
    return [{"intent": {"name": intent}} for intent in intents]


def test_only_different_questions_answered_from_knowledge_are_split():
    assert are_separate_questions(parsed("ask_installment_fees", "ask_repayment"))
    assert not are_separate_questions(parsed("ask_installment_fees", "ask_installment_fees"))
    assert not are_separate_questions(parsed("ask_installment_fees", "change_payment_method"))
    assert not are_separate_questions(parsed("ask_repayment", "nlu_fallback"))
