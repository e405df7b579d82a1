"""What real customers write, through the REST channel: unsure readings repaired with
guesses, corrections inside the flow, typed button labels, several questions at once, and
the near-domain requests that are not this assistant's job. Both languages."""

from __future__ import annotations

import pytest

from mall import review
from tests.support import Chat, chinese, new_orders

pytestmark = pytest.mark.conversation

UNPAID, UNPAID_TAIL = "5201121000000001", "1234"


def at_the_periods(assistant, start: str) -> Chat:
    chat = Chat(assistant)
    chat.say(start)
    chat.say(UNPAID_TAIL)
    return chat


def test_a_typed_button_label_is_the_button(assistant, orders):
    chat = Chat(assistant)
    chat.say(f"change the payment method of order {UNPAID}")
    chat.say(UNPAID_TAIL)
    summary = chat.say("WeChat Pay")
    assert "Please confirm" in summary and "WeChat Pay" in summary


def test_an_unsure_goodbye_that_names_the_periods_answers_the_question(assistant, orders):
    chat = at_the_periods(assistant, f"change order {UNPAID} to credit card")
    summary = chat.say("ok 24 then")
    assert "Please confirm" in summary and "24 monthly installments" in summary


@pytest.mark.parametrize(
    "start, correction, expected",
    [
        (f"把订单{UNPAID}改成信用卡", "不对，是6期", "分6期"),
        (f"change order {UNPAID} to credit card", "no no, 6 months", "6 monthly installments"),
    ],
)
def test_a_correction_of_the_periods_goes_on_from_there(assistant, orders, start, correction, expected):
    chat = at_the_periods(assistant, start)
    chat.say("12")
    summary = chat.say(correction)
    assert expected in summary
    chat.click("确认" if chinese(summary) else "Yes, go ahead")
    (created,) = new_orders(orders)
    assert (created["payment_method"], created["installments"]) == ("credit_card", 6)


def test_another_method_at_the_confirmation(assistant, orders):
    chat = at_the_periods(assistant, f"change order {UNPAID} to credit card")
    chat.say("12")
    summary = chat.say("actually make it Alipay")
    assert "Alipay (paid in full)" in summary
    assert new_orders(orders) == []


@pytest.mark.parametrize(
    "message, expected",
    [
        ("订单号输错了，是5201121000000008", "我们来看订单 5201121000000008"),
        ("wait, what about order 5201121000000006? is it paid?", "let's look at order 5201121000000006"),
    ],
)
def test_another_order_mid_change_is_looked_at_and_nothing_changes(assistant, orders, message, expected):
    chat = Chat(assistant)
    chat.say("我想换个支付方式" if chinese(message) else "I want to change my payment method")
    chat.say(UNPAID)
    chat.say(UNPAID_TAIL)
    reply = chat.say(message)
    assert expected in reply and ("后4位" in reply or "last 4 digits" in reply)
    assert orders.orders.get(UNPAID).status == "unpaid" and orders.ownership.recent_failures(UNPAID) == 0


def test_two_order_numbers_at_once_are_taken_one_at_a_time(assistant, orders):
    chat = Chat(assistant)
    reply = chat.say("订单5201121000000001和5201121000000006都改成支付宝")
    assert "一个一个来" in reply
    assert {b["title"] for b in chat.buttons} == {"5201121000000001", "5201121000000006"}
    assert "后4位" in chat.click("5201121000000001")
    assert "请确认" in chat.say(UNPAID_TAIL)
    assert orders.ownership.recent_failures(UNPAID) == 0


@pytest.mark.parametrize(
    "message, expected",
    [
        ("change order 5201121000000001 to credit card over 36 months", "36 months isn't offered"),
        ("订单5201121000000001改成信用卡分36期", "不支持分36期"),
    ],
)
def test_a_period_not_offered_is_named(assistant, orders, message, expected):
    chat = Chat(assistant)
    chat.say(message)
    assert expected in chat.say(UNPAID_TAIL)


@pytest.mark.parametrize("yes", ["好", "OK"])
def test_a_short_yes_confirms(assistant, orders, yes):
    chat = Chat(assistant)
    chat.say(f"把订单{UNPAID}改成支付宝，尾号{UNPAID_TAIL}")
    chat.say(yes)
    assert len(new_orders(orders)) == 1


@pytest.mark.parametrize("tail", ["1 2 3 4", "my phone is 138-0000-1234", "+86 138 0000 1234"])
def test_a_phone_tail_written_another_way_is_read(assistant, orders, tail):
    chat = Chat(assistant)
    chat.say(f"change order {UNPAID} to alipay")
    assert "Please confirm" in chat.say(tail)


def test_a_number_that_is_not_16_digits_gets_the_hint(assistant, orders):
    chat = Chat(assistant)
    chat.say("我想换个支付方式")
    assert "16位数字" in chat.say("52011210000000011")


@pytest.mark.parametrize(
    "message, answers",
    [("分期有手续费吗 能提前还吗", ["手续费", "还款"]), ("are there any fees? how do I repay?", ["fee", "repay"])],
)
def test_two_questions_in_one_message_get_two_answers(assistant, message, answers):
    chat = Chat(assistant)
    chat.say(message)
    assert len(chat.replies) >= 2
    assert all(any(word in reply.get("text", "") for reply in chat.replies) for word in answers)


@pytest.mark.parametrize(
    "message, where",
    [
        ("cancel my order 5201121000000001", "My Orders"),
        ("我要取消订单", "我的订单"),
        ("怎么更改花呗手机号码", "支付平台"),
    ],
)
def test_cancelling_and_account_changes_are_pointed_elsewhere(assistant, orders, message, where):
    reply = Chat(assistant).say(message)
    assert where in reply
    assert "16" not in reply  # no order number asked for: no flow started
    assert orders.orders.get(UNPAID).status == "unpaid"


def test_a_chinese_word_in_an_english_conversation_keeps_it_english(assistant):
    chat = Chat(assistant)
    chat.say("how do I pay in installments?")
    assert not chinese(chat.say("huabei 6期"))


def test_an_unsure_message_offers_guesses_and_a_click_goes_on(assistant, orders):
    chat = Chat(assistant)
    reply = chat.say("分期的事")  # installments, but fees, how-to or a review? The classifier is unsure
    assert "哪一个" in reply and "都不是" in {b["title"] for b in chat.buttons}
    guess = next(b["title"] for b in chat.buttons if b["title"] != "都不是")
    assert chat.click(guess).strip()
    assert "换个说法" not in chat.text


def test_none_of_the_guesses_twice_offers_a_human(assistant, orders):
    chat = Chat(assistant)
    chat.say("installment")  # unsure: order details or the plans?
    assert "another way" in chat.click("Something else")
    chat.say("that stuff thing")
    assert "human agent" in chat.text


def test_misses_are_kept_for_review(assistant, orders):
    before = len(orders.misses.since())
    chat = Chat(assistant)
    chat.say("那个东西怎么弄来着 之前打过13800001234也没人说清楚")
    misses = orders.misses.since()[before:]
    assert [miss.text for miss in misses] == ["那个东西怎么弄来着 之前打过138****1234也没人说清楚"]
    assert misses[0].guesses and "- 那个东西怎么弄来着 之前打过138****1234也没人说清楚" in review.report(misses)
