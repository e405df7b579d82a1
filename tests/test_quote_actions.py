"""The quote actions (actions/quotes.py), every branch, and the replies they make as the
Rasa server renders them (rasa_addons.nlg), in Chinese and English, with the figures of
the demo configuration (issue 20's worked examples)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.quotes import (
    ActionAskQuoteInstallments,
    ActionAskQuotePaymentMethod,
    ActionAskQuotePrice,
    ActionGiveQuote,
    ActionQuoteInFlow,
    ActionStartQuote,
    ValidateInstallmentQuoteForm,
)
from mall.plans import Plan
from tests.support import ActionResult, assistant_domain, entity, form_turn, rendered, run, signed_in, tracker

FORM = "installment_quote_form"
XIAOMI_14 = "5201121000000001"  # huabei 12, ¥3,999, interest-free with huabei 3/6/12; phone tail 1234
TV = "5201121000000006"  # credit card 24, ¥8,999; phone tail 9012
WATCH = "5201121000000008"  # debit card, paid in full, ¥1,999; phone tail 3456
CANCELLED = "5201121000000005"  # phone tail 9012
TAILS = {XIAOMI_14: "1234", TV: "9012", WATCH: "3456", CANCELLED: "9012"}


def verified(order_id: str) -> Dict[str, Any]:
    """This conversation proved it owns the order, and asks about it."""
    return {
        "order_id": order_id,
        "phone_tail": TAILS[order_id],
        "verified_order_id": order_id,
        "quote_order_id": order_id,
    }


def give(domain, slots: Dict[str, Any]) -> ActionResult:
    return run(ActionGiveQuote(), tracker(slots), domain)


# -- the worked examples, in replies ------------------------------------------------------


def test_a_price_on_huabei_over_12_periods(store, domain):
    result = give(domain, {"quote_price": "3999", "quote_payment_method": "huabei", "quote_installments": 12})
    assert result.responses == ["utter_quote_price"] and result.events == []
    assert rendered(result, "zh")[0].startswith(
        "¥3,999.00 用花呗分12期：首期 ¥358.29，之后每期 ¥358.24，手续费 ¥299.93，含手续费共 ¥4,298.93。"
    )
    assert rendered(result, "en")[0].startswith(
        "¥3,999.00 with Huabei, 12 monthly installments: ¥358.29 the first month, then ¥358.24 a month; "
        "a fee of ¥299.93, ¥4,298.93 in total including fees."
    )


def test_the_xiaomi_14_order_is_interest_free(store, domain):
    result = give(domain, verified(XIAOMI_14))
    assert result.responses == ["utter_quote_order"]
    assert rendered(result, "zh")[0].startswith(
        "订单 5201121000000001（Xiaomi 14 12GB+256GB ×1，¥3,999.00）用花呗分12期："
        "免息，每期 ¥333.25，共 ¥3,999.00，没有手续费。"
    )
    assert (
        "Huabei, 12 monthly installments: interest-free, ¥333.25 a month, ¥3,999.00 in total, no fee."
        in (rendered(result, "en")[0])
    )


def test_the_tv_order_on_its_own_plan(store, domain):
    result = give(domain, verified(TV))
    assert rendered(result, "zh")[0].startswith(
        "订单 5201121000000006（Xiaomi TV S Pro 85 ×1，¥8,999.00）用信用卡分24期："
        "首期 ¥429.01，之后每期 ¥428.95，手续费 ¥1,295.86，含手续费共 ¥10,294.86。"
    )
    assert "¥429.01 the first month, then ¥428.95 a month; a fee of ¥1,295.86" in rendered(result, "en")[0]


def test_a_price_on_a_credit_card_over_12_periods(store, domain):
    result = give(domain, {"quote_price": "5499", "quote_payment_method": "credit_card", "quote_installments": 12})
    assert "¥491.29 the first month, then ¥491.24 a month; a fee of ¥395.93, ¥5,894.93" in rendered(result, "en")[0]
    assert "首期 ¥491.29，之后每期 ¥491.24，手续费 ¥395.93，含手续费共 ¥5,894.93" in rendered(result, "zh")[0]


def test_the_plan_named_wins_over_the_orders_own(store, domain):
    slots = {**verified(XIAOMI_14), "quote_payment_method": "credit_card", "quote_installments": 6}
    (text,) = rendered(give(domain, slots), "zh")
    assert "用信用卡分6期：首期 ¥692.51，之后每期 ¥692.49，手续费 ¥155.96" in text


def test_every_period_the_same_shows_one_amount(store, domain):
    result = give(domain, {"quote_price": "3600", "quote_payment_method": "huabei", "quote_installments": 3})
    assert result.messages[0]["terms"]["response"] == "utter_part_even"
    assert rendered(result, "zh")[0].startswith(
        "¥3,600.00 用花呗分3期：每期 ¥1,227.60，手续费 ¥82.80，含手续费共 ¥3,682.80"
    )


def test_paying_in_full_shows_no_fee(store, domain):
    with_method = give(domain, {"quote_price": "3999", "quote_payment_method": "alipay", "quote_installments": 1})
    assert rendered(with_method, "zh")[0].startswith("¥3,999.00 用支付宝一次付清：共 ¥3,999.00，没有手续费。")
    without = give(domain, {"quote_price": "3999", "quote_installments": 1})
    assert without.responses == ["utter_quote_in_full"]
    assert rendered(without, "en")[0].startswith("¥3,999.00 paid in full: ¥3,999.00, no fee.")


# -- what cannot be quoted -------------------------------------------------------------------


def test_an_order_not_proved_is_not_quoted(store, domain):
    slots = {**verified(XIAOMI_14), "phone_tail": "0000"}
    result = give(domain, slots)
    assert result.responses == ["utter_order_not_verified"] and result.slots == {"quote_order_id": None}


def test_missing_pieces_are_not_guessed(store, domain):
    assert give(domain, {"quote_price": "3999", "quote_payment_method": "huabei"}).responses == [
        "utter_quote_needs_details"
    ]


def test_a_plan_withdrawn_before_the_answer_names_those_left(store, domain):
    store.plans.replace_all([Plan("huabei", 3, Decimal("0.023"))], [])
    result = give(domain, {"quote_price": "3999", "quote_payment_method": "huabei", "quote_installments": 12})
    assert result.responses == ["utter_quote_plan_not_offered"] and result.slots == {"quote_installments": None}
    assert rendered(result, "zh") == ["花呗没有分12期的方案，可以选 3 期。"]
    assert rendered(result, "en") == ["There's no 12-month plan with Huabei; you can choose 3 months."]


# -- what a question names ------------------------------------------------------------------


def start(domain, text, entities, before=None, intent="ask_installment_quote", in_form=False) -> Dict[str, Any]:
    if in_form:
        turn = form_turn(FORM, before or {}, {}, text=text, entities=entities)
    else:
        turn = tracker(before or {}, text=text, intent=intent, entities=entities)
    turn.latest_message["intent"] = {"name": intent, "confidence": 0.95}
    return run(ActionStartQuote(), turn, domain).slots


LAST_QUOTE = {"quote_price": "3999", "quote_payment_method": "huabei", "quote_installments": 12}


def test_a_question_naming_a_price_starts_afresh(store, domain):
    slots = start(domain, "5499分6期每期多少", [entity("price", "5499"), entity("installments", "6")], LAST_QUOTE)
    assert slots == {
        "quote_price": "5499",
        "quote_order_id": None,
        "quote_payment_method": None,
        "quote_installments": "6",
    }


def test_a_question_naming_an_order_asks_about_that_order(store, domain):
    slots = start(domain, "订单5201121000000006每期多少", [entity("order_id", TV)], LAST_QUOTE)
    assert slots == {
        "quote_price": None,
        "quote_order_id": TV,
        "quote_payment_method": None,
        "quote_installments": None,
    }


def test_a_question_naming_only_the_plan_follows_the_last_quote(store, domain):
    assert start(domain, "那24期呢", [entity("installments", "24")], LAST_QUOTE) == {"quote_installments": "24"}
    answer = start(domain, "信用卡", [entity("payment_method", "credit_card")], LAST_QUOTE, intent="inform")
    assert answer == {"quote_payment_method": "credit_card"}


def test_a_follow_up_naming_an_order_asks_about_that_orders_own_plan(store, domain):
    slots = start(domain, "5201121000000006", [entity("order_id", TV)], LAST_QUOTE, intent="inform")
    assert slots == dict.fromkeys(("quote_price", "quote_payment_method", "quote_installments"), None) | {
        "quote_order_id": TV
    }


@pytest.mark.parametrize("intent", ["inform", "ask_installment_quote"])
def test_a_follow_up_naming_only_a_price_keeps_the_plan(store, domain, intent):
    slots = start(domain, "what if it's 5499", [entity("price", "5499")], LAST_QUOTE, intent=intent)
    assert slots == {"quote_price": "5499", "quote_order_id": None}


def test_a_follow_up_naming_nothing_for_a_quote_asks_which_price(store, domain):
    slots = start(domain, "5499", [entity("phone_tail", "5499")], LAST_QUOTE, intent="inform")
    assert slots == {"quote_price": None, "quote_order_id": None}


def test_a_question_while_the_form_asks_adds_to_it(store, domain):
    before = {"quote_payment_method": "huabei", "quote_installments": 12, "requested_slot": "quote_price"}
    slots = start(domain, "3999的每期多少", [entity("price", "3999")], before, in_form=True)
    assert slots == {"quote_price": "3999", "quote_order_id": None}


def test_several_values_go_to_the_validators_to_choose(store, domain):
    entities = [entity("payment_method", "huabei"), entity("payment_method", "credit_card")]
    entities += [entity("installments", "14"), entity("installments", "12")]
    slots = start(domain, "小米14花呗还是信用卡分12期", entities, {})
    assert slots == {"quote_payment_method": ["huabei", "credit_card"], "quote_installments": ["14", "12"]}


def test_a_value_ruled_out_is_not_taken(store, domain):
    message = "不要花呗，信用卡每期多少"
    entities = [
        {"entity": "payment_method", "value": "huabei", "start": 2, "end": 4},
        {"entity": "payment_method", "value": "credit_card", "start": 5, "end": 8},
    ]
    assert start(domain, message, entities, {}) == {"quote_payment_method": "credit_card"}


# -- the form: what it asks for, and the answers ---------------------------------------------


def required(slots: Dict[str, Any], metadata=None) -> List[str]:
    form = ValidateInstallmentQuoteForm()
    turn = tracker(slots, metadata=metadata)
    return asyncio.run(form.required_slots([], CollectingDispatcher(), turn, assistant_domain().as_dict()))


def test_a_price_needs_the_method_and_the_periods(store):
    assert required({}) == ["quote_price", "quote_payment_method", "quote_installments"]


def test_an_order_gives_its_own_method_and_periods(store):
    assert required(verified(TV)) == []
    assert required({**verified(TV), "quote_installments": 12}) == ["quote_installments"]  # named: validated


def test_an_order_paid_in_full_asks_for_an_installment_method(store):
    assert required(verified(WATCH)) == ["quote_payment_method", "quote_installments"]


def test_an_order_not_proved_asks_for_a_price_or_an_order(store):
    assert required({**verified(TV), "verified_order_id": None}) == [
        "quote_price",
        "quote_payment_method",
        "quote_installments",
    ]


def test_a_signed_in_customers_order_needs_no_phone_tail(store):
    slots = {"order_id": XIAOMI_14, "verified_order_id": XIAOMI_14, "quote_order_id": XIAOMI_14}
    assert required(slots, metadata=signed_in("customer-1234")) == []


def validate(domain, before, extracted, text="", entities=()) -> ActionResult:
    return run(ValidateInstallmentQuoteForm(), form_turn(FORM, before, extracted, text=text, entities=entities), domain)


def test_a_bare_number_answers_the_question_for_the_price(store, domain):
    result = validate(
        domain, {"requested_slot": "quote_price"}, {}, text="3999", entities=[entity("phone_tail", "3999")]
    )
    assert result.slots["quote_price"] == "3999"


def test_a_bare_number_is_no_price_when_the_price_is_not_asked(store, domain):
    before = {"quote_price": "3999", "requested_slot": "quote_payment_method"}
    result = validate(domain, before, {}, text="1234", entities=[entity("phone_tail", "1234")])
    assert "quote_price" not in result.slots


@pytest.mark.parametrize("value, price", [("3999", "3999"), ("8999.50", "8999.5"), ("三千九", "3900")])
def test_prices_are_kept_as_plain_decimals(store, domain, value, price):
    result = validate(domain, {"quote_order_id": TV}, {"quote_price": value})
    assert result.slots["quote_price"] == price and result.slots["quote_order_id"] is None


def test_a_price_that_is_none_is_asked_again(store, domain):
    result = validate(domain, {}, {"quote_price": "about a lot"})
    assert result.responses == ["utter_quote_price_invalid"] and result.slots["quote_price"] is None


def test_an_unknown_method_is_refused(store, domain):
    result = validate(domain, {"quote_price": "3999"}, {"quote_payment_method": "jd_baitiao"})
    assert result.responses == ["utter_payment_method_unsupported"]
    assert result.slots["quote_payment_method"] is None


def test_a_method_that_takes_no_installments_is_told_so(store, domain):
    result = validate(domain, {"quote_price": "3999"}, {"quote_payment_method": "alipay", "quote_installments": "12"})
    assert result.responses[0] == "utter_quote_method_no_installments"
    assert result.slots["quote_payment_method"] is None
    assert rendered(result, "zh")[0] == "支付宝不能分期，只能一次付清。可以分期的是花呗或信用卡。"
    assert rendered(result, "en")[0] == (
        "Alipay can't be split into installments, only paid in full. "
        "Installments are possible with Huabei or credit card."
    )


def test_such_a_method_paid_in_full_is_fine(store, domain):
    result = validate(domain, {"quote_price": "3999", "quote_installments": 1}, {"quote_payment_method": "alipay"})
    assert result.slots["quote_payment_method"] == "alipay" and result.responses == []


def test_a_method_without_the_periods_chosen_earlier_asks_them_again(store, domain):
    store.plans.replace_all([*store.plans.plans(), Plan("huabei", 9, Decimal("0.05"))], [])
    before = {"quote_price": "3999", "quote_installments": 9}
    result = validate(domain, before, {"quote_payment_method": "credit_card"})
    assert result.responses == ["utter_quote_plan_not_offered"]
    assert result.slots["quote_payment_method"] == "credit_card" and result.slots["quote_installments"] is None


def test_the_other_method_than_the_orders_is_the_one_asked_about(store, domain):
    methods = [entity("payment_method", "huabei"), entity("payment_method", "credit_card")]
    result = validate(domain, verified(XIAOMI_14), {"quote_payment_method": ["huabei", "credit_card"]}, "", methods)
    assert result.slots["quote_payment_method"] == "credit_card"


def test_a_method_only_ruled_out_is_asked_again(store, domain):
    ruled_out = [{"entity": "payment_method", "value": "huabei", "start": 2, "end": 4}]
    result = validate(domain, {"quote_price": "3999"}, {"quote_payment_method": "huabei"}, "不要花呗", ruled_out)
    assert result.slots["quote_payment_method"] is None and result.responses == []


@pytest.mark.parametrize("named, periods", [("12", 12), ("十二", 12), (["14", "12"], 12), ("1", 1)])
def test_periods_on_offer_are_taken(store, domain, named, periods):
    result = validate(domain, {"quote_price": "3999", "quote_payment_method": "huabei"}, {"quote_installments": named})
    assert result.slots["quote_installments"] == periods


def test_an_unknown_plan_gets_the_plans_of_its_method(store, domain):
    result = validate(domain, {"quote_price": "3999", "quote_payment_method": "huabei"}, {"quote_installments": "36"})
    assert result.responses == ["utter_quote_plan_not_offered"] and result.slots["quote_installments"] is None
    assert rendered(result, "zh") == ["花呗没有分36期的方案，可以选 3、6、12、24 期。"]
    assert rendered(result, "en") == ["There's no 36-month plan with Huabei; you can choose 3, 6, 12 or 24 months."]


def test_an_unknown_plan_before_the_method_gets_every_plan(store, domain):
    result = validate(domain, {"quote_price": "3999"}, {"quote_installments": "36"})
    assert result.responses == ["utter_installments_not_offered"]
    assert result.messages[0]["offered_zh"] == "3、6、12、24 期"


def test_a_number_that_is_no_plan_is_asked_again(store, domain):
    result = validate(domain, {"quote_price": "3999", "quote_payment_method": "huabei"}, {"quote_installments": "0"})
    assert result.responses == ["utter_installments_invalid"] and result.slots["quote_installments"] is None


def test_periods_only_ruled_out_are_asked_again(store, domain):
    ruled_out = [{"entity": "installments", "value": "6", "start": 2, "end": 3}]
    before = {"quote_price": "3999", "quote_payment_method": "huabei"}
    result = validate(domain, before, {"quote_installments": "6"}, "不要6期", ruled_out)
    assert result.slots["quote_installments"] is None and result.responses == []


def test_the_form_ends_once_an_order_gives_the_rest(store, domain):
    result = validate(domain, verified(TV), {})
    assert result.slots["requested_slot"] is None


# -- the questions and their buttons ------------------------------------------------------------


def titles(result: ActionResult) -> List[str]:
    return [button["title"] for message in result.messages for button in message.get("buttons", [])]


def test_which_price_offers_the_order_this_conversation_proved(store, domain):
    anonymous = run(ActionAskQuotePrice(), tracker({}, text="每期多少"), domain)
    assert anonymous.responses == ["utter_ask_quote_price"] and titles(anonymous) == []
    proved = run(ActionAskQuotePrice(), tracker(verified(TV), text="每期多少"), domain)
    assert titles(proved) == ["Xiaomi TV S Pro 85 · ¥8,999.00 · 待支付"]
    assert proved.messages[0]["buttons"][0]["payload"] == '/inform{"order_id":"5201121000000006"}'


def test_which_price_offers_a_signed_in_customers_open_orders(store, domain):
    result = run(
        ActionAskQuotePrice(), tracker({}, text="how much a month", metadata=signed_in("customer-1234")), domain
    )
    assert titles(result) == ["Xiaomi 14 12GB+256GB · ¥3,999.00 · unpaid", "Redmi Book Pro 15 · ¥5,499.00 · paid"]


def test_which_method_offers_the_methods_with_plans(store, domain):
    assert titles(run(ActionAskQuotePaymentMethod(), tracker({}, text="每期多少"), domain)) == ["花呗", "信用卡"]
    store.plans.replace_all([Plan("huabei", 3, Decimal("0.023"))], [])
    assert titles(run(ActionAskQuotePaymentMethod(), tracker({}, text="per month?"), domain)) == ["Huabei"]


def test_which_method_for_an_order_paid_in_full_says_how_it_is_paid(store, domain):
    result = run(ActionAskQuotePaymentMethod(), tracker(verified(WATCH), text="每期多少"), domain)
    assert result.responses == ["utter_ask_quote_order_method"] and titles(result) == ["花呗", "信用卡"]
    assert rendered(result, "zh") == [
        "订单 5201121000000008（Xiaomi Watch S3 ×1，¥1,999.00）现在是借记卡一次付清。想算分期的话，用哪种方式？"
    ]


def test_how_many_periods_offers_the_methods_plans_from_the_store(store, domain):
    slots = {"quote_price": "3999", "quote_payment_method": "credit_card"}
    result = run(ActionAskQuoteInstallments(), tracker(slots, text="每期多少"), domain)
    assert titles(result) == ["3期", "6期", "12期", "24期"] and result.messages[0]["method_zh"] == "信用卡"
    store.plans.replace_all([Plan("credit_card", 18, Decimal("0.1"))], [])
    result = run(ActionAskQuoteInstallments(), tracker(slots, text="how much a month"), domain)
    assert titles(result) == ["18 months"]
    assert result.messages[0]["buttons"][0]["payload"] == '/inform{"installments":"18"}'


# -- a quote in the middle of another flow ----------------------------------------------------


def in_flow(domain, slots, text, entities) -> ActionResult:
    return run(
        ActionQuoteInFlow(), tracker(slots, text=text, intent="ask_installment_quote", entities=entities), domain
    )


CHANGING = {"order_id": XIAOMI_14, "phone_tail": "1234", "verified_order_id": XIAOMI_14}


def test_while_changing_the_order_at_hand_on_the_plan_named(store, domain):
    entities = [entity("payment_method", "credit_card"), entity("installments", "6")]
    result = in_flow(domain, CHANGING, "换成信用卡6期每期多少", entities)
    assert result.responses == ["utter_quote_order"] and result.events == []
    assert "首期 ¥692.51，之后每期 ¥692.49，手续费 ¥155.96" in rendered(result, "zh")[0]


def test_while_changing_the_plan_being_chosen_fills_in(store, domain):
    slots = {**CHANGING, "new_payment_method": "credit_card", "new_installments": 6}
    result = in_flow(domain, slots, "这样每期多少", [])
    assert result.messages[0]["terms"]["first_period"] == "¥692.51"


def test_while_changing_the_orders_own_plan_fills_in(store, domain):
    result = in_flow(domain, CHANGING, "how much is it a month now", [])
    assert "interest-free, ¥333.25 a month" in rendered(result, "en")[0]


def test_while_verifying_a_price_named_is_quoted(store, domain):
    entities = [entity("price", "5499"), entity("payment_method", "credit_card"), entity("installments", "12")]
    result = in_flow(domain, {"order_id": TV}, "5499信用卡12期每期多少", entities)
    assert result.responses == ["utter_quote_price"]
    assert result.messages[0]["terms"]["per_period"] == "¥491.24"


def test_in_flow_without_enough_says_what_is_needed(store, domain):
    assert in_flow(domain, {"order_id": TV}, "每期多少", []).responses == ["utter_quote_needs_details"]


def test_in_flow_another_order_is_not_quoted_before_it_is_proved(store, domain):
    result = in_flow(domain, CHANGING, "订单5201121000000006每期多少", [entity("order_id", TV)])
    assert result.responses == ["utter_quote_needs_details"]


def test_in_flow_a_method_without_installments_is_told_so(store, domain):
    result = in_flow(domain, CHANGING, "支付宝每期多少", [entity("payment_method", "alipay")])
    assert result.responses == ["utter_quote_method_no_installments"]


def test_in_flow_an_unknown_plan_gets_the_methods_plans(store, domain):
    result = in_flow(
        domain, CHANGING, "花呗36期每期多少", [entity("payment_method", "huabei"), entity("installments", "36")]
    )
    assert result.responses == ["utter_quote_plan_not_offered"] and result.messages[0]["offered_en"] == (
        "3, 6, 12 or 24 months"
    )
