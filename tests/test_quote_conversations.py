"""Installment quotes in whole conversations through the REST channel, against the trained
model and the action server: the figures the customer reads (issue 20's worked examples, the
demo configuration), the questions for what is missing, and the summary before a change."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mall.plans import Plan
from tests.support import Chat, chinese, new_orders

pytestmark = pytest.mark.conversation


def buttons(chat: Chat):
    return [button["title"] for button in chat.buttons]


# -- the worked examples -------------------------------------------------------------------


def test_a_price_on_huabei_over_12_periods_in_chinese(assistant, orders):
    reply = Chat(assistant).say("3999分12期花呗每期多少")
    assert "¥3,999.00 用花呗分12期：首期 ¥358.29，之后每期 ¥358.24，手续费 ¥299.93，含手续费共 ¥4,298.93。" in reply


def test_a_price_on_a_credit_card_in_english(assistant, orders):
    reply = Chat(assistant).say("how much per month if I pay 5499 by credit card over 12 months")
    assert (
        "¥5,499.00 with credit card, 12 monthly installments: ¥491.29 the first month, then ¥491.24 a month; "
        "a fee of ¥395.93, ¥5,894.93 in total including fees." in reply
    )


def test_the_tv_order_once_the_phone_tail_proves_it(assistant, orders):
    chat = Chat(assistant)
    asked = chat.say("我的订单5201121000000006分24期每个月还多少")
    assert "后4位" in asked and "¥" not in asked  # nothing about the order before the proof
    reply = chat.say("9012")
    assert (
        "订单 5201121000000006（Xiaomi TV S Pro 85 ×1，¥8,999.00）用信用卡分24期："
        "首期 ¥429.01，之后每期 ¥428.95，手续费 ¥1,295.86，含手续费共 ¥10,294.86。" in reply
    )


def test_the_xiaomi_14_order_is_interest_free_in_english(assistant, orders):
    chat = Chat(assistant)
    chat.say("how much do I pay each month for order 5201121000000001?")
    reply = chat.say("1234")
    assert "Huabei, 12 monthly installments: interest-free, ¥333.25 a month, ¥3,999.00 in total, no fee." in reply


def test_the_change_summary_shows_both_plans_with_their_fees(assistant, orders):
    chat = Chat(assistant)
    chat.say("我想把订单5201121000000001换成信用卡")
    chat.say("1234")
    summary = chat.click("6期")
    assert "现在：花呗分12期，免息，每期 ¥333.25，共 ¥3,999.00，没有手续费" in summary
    assert "改后：信用卡分6期，首期 ¥692.51，之后每期 ¥692.49，手续费 ¥155.96，含手续费共 ¥4,154.96" in summary
    assert "新方案比原来总共多付 ¥155.96。" in summary
    assert orders.orders.get("5201121000000001").status == "unpaid"  # nothing before the yes
    assert "已办好" in chat.click("确认")
    (new,) = new_orders(orders)
    assert (new["payment_method"], new["installments"], new["total"]) == ("credit_card", 6, 3999.0)


def test_paying_in_full_in_the_summary_shows_no_fee(assistant, orders):
    summary = Chat(assistant).say("please switch order 5201121000000006 to wechat pay, my phone ends with 9012")
    assert "After the change: WeChat Pay, paid in full: ¥8,999.00, no fee" in summary
    assert "The new plan costs ¥1,295.86 less in total." in summary


# -- what is missing is asked for, with buttons -----------------------------------------------


def test_every_piece_asked_for_with_buttons(assistant, orders):
    chat = Chat(assistant)
    assert "商品价格是多少" in chat.say("每期还多少钱")
    assert "用哪种方式分期" in chat.say("3999")
    assert buttons(chat) == ["花呗", "信用卡"]  # installment methods only
    assert "花呗分几期" in chat.click("花呗")
    assert buttons(chat) == ["3期", "6期", "12期", "24期"]  # that method's plans, from the store
    assert "首期 ¥358.29，之后每期 ¥358.24" in chat.click("12期")


def test_an_order_this_conversation_proved_is_offered_as_a_button(assistant, orders):
    chat = Chat(assistant)
    chat.say("what's the status of order 5201121000000006")
    chat.say("9012")
    assert "what's the price" in chat.say("how much would I pay a month?")
    assert buttons(chat) == ["Xiaomi TV S Pro 85 · ¥8,999.00 · unpaid"]
    reply = chat.click("Xiaomi TV S Pro 85 · ¥8,999.00 · unpaid")  # no new check: proved already
    assert "¥429.01 the first month, then ¥428.95 a month; a fee of ¥1,295.86" in reply


def test_an_unknown_plan_gets_the_plans_that_exist(assistant, orders):
    chat = Chat(assistant)
    reply = chat.say("花呗分36期每期多少")
    assert "花呗没有分36期的方案，可以选 3、6、12、24 期。" in reply and "商品价格是多少" in reply
    assert "花呗分几期" in chat.say("3999")


def test_a_method_without_installments_is_told_so(assistant, orders):
    chat = Chat(assistant)
    reply = chat.say("3999用支付宝分12期每期多少")
    assert "支付宝不能分期，只能一次付清" in reply and buttons(chat) == ["花呗", "信用卡"]
    assert "用信用卡分12期：首期 ¥357.29" in chat.click("信用卡")


def test_plans_the_mall_loads_are_offered_at_once(assistant, orders):
    plans = [plan for plan in orders.plans.plans() if plan.method != "credit_card"]
    orders.plans.replace_all([*plans, Plan("credit_card", 18, Decimal("0.1"))], [])
    chat = Chat(assistant)
    chat.say("5499 credit card, how much a month?")
    assert buttons(chat) == ["18 months"]
    assert "¥5,499.00 with credit card, 18 monthly installments" in chat.click("18 months")


# -- follow-ups, other flows, languages ------------------------------------------------------------


def test_follow_ups_change_one_piece_of_the_last_quote(assistant, orders):
    chat = Chat(assistant)
    chat.say("3999分12期花呗每期多少")
    assert "¥3,999.00 用花呗分24期" in chat.say("那24期呢")
    assert "¥3,999.00 用信用卡分24期" in chat.say("信用卡呢")
    assert "¥5,499.00 用信用卡分24期" in chat.say("那5499的呢")
    assert "¥8,999.00 with credit card, 24 monthly installments" in chat.say("what if it's 8999")


def test_asking_for_the_plan_just_quoted_starts_the_change(assistant, orders):
    chat = Chat(assistant)
    chat.say("我的订单5201121000000001每期多少")
    assert "免息，每期 ¥333.25" in chat.say("1234")
    assert "用信用卡分6期：首期 ¥692.51" in chat.say("信用卡6期呢")
    summary = chat.say("那帮我改成信用卡6期吧")  # proved already: straight to the summary
    assert "改后：信用卡分6期，首期 ¥692.51，之后每期 ¥692.49，手续费 ¥155.96" in summary and "确认吗" in summary
    assert new_orders(orders) == []


def test_a_quote_in_the_middle_of_a_change_is_answered_and_the_change_goes_on(assistant, orders):
    chat = Chat(assistant)
    chat.say("I'd like to change the payment method of order 5201121000000006, phone ends 9012")
    reply = chat.say("how much a month would it be with huabei over 12 months?")
    assert "with Huabei, 12 monthly installments: ¥806.17 the first month, then ¥806.16" in reply
    assert reply.rstrip().endswith("Which payment method would you like instead?")
    assert "Please confirm" in chat.say("alipay")
    assert new_orders(orders) == []


def test_mixed_language_and_typos(assistant, orders):
    chat = Chat(assistant)
    reply = chat.say("3999 huabei 分12期 per month 多少")
    assert "首期 ¥358.29" in reply and chinese(reply)
    assert "¥358.29" in Chat(assistant).say("每其还多少 3999 花贝 12期")


def test_stopping_the_quote(assistant, orders):
    chat = Chat(assistant)
    chat.say("how much is each installment")
    assert "I'm here whenever you need me" in chat.say("never mind")
