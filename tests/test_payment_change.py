"""Choosing the new method and plan, the confirmation, and cancel-and-reorder."""

from decimal import Decimal

import pytest

from actions.payment_change import (
    ActionAskChangeConfirmed,
    ActionAskNewInstallments,
    ActionAskNewPaymentMethod,
    ActionCancelAndReorder,
    ActionDiscardChangeRequest,
    ActionSetChangeGoal,
    ActionSwitchOrder,
    ValidatePaymentChangeForm,
)
from mall.plans import Plan
from tests.support import form_turn, rendered, run, tracker

FORM = "payment_change_form"
UNPAID = "5201121000000001"  # huabei, 12 periods, ¥3999
DEBIT_ORDER = "5201121000000008"  # debit card, paid in full, phone 13600003456
VERIFIED = {"order_id": UNPAID, "phone_tail": "1234", "verified_order_id": UNPAID}


def validate(domain, extracted, before=VERIFIED):
    return run(ValidatePaymentChangeForm(), form_turn(FORM, before, extracted), domain)


def test_method_without_installments_is_paid_in_full(store, domain):
    result = validate(domain, {"new_payment_method": "alipay"})
    assert result.slots["new_payment_method"] == "alipay"
    assert result.slots["new_installments"] == 1
    assert result.slots["change_confirmed"] is None and result.responses == []


def test_installment_method_asks_for_periods(store, domain):
    result = validate(domain, {"new_payment_method": "credit_card"})
    assert result.slots["new_payment_method"] == "credit_card"
    assert result.slots["new_installments"] is None


def test_method_and_periods_in_one_message(store, domain):
    result = validate(domain, {"new_payment_method": "credit_card", "new_installments": "6"})
    assert (result.slots["new_payment_method"], result.slots["new_installments"]) == ("credit_card", 6)


def test_old_and_new_method_in_one_message_picks_the_new_one(store, domain):
    result = validate(domain, {"new_payment_method": ["huabei", "alipay"]})
    assert result.slots["new_payment_method"] == "alipay"


def test_same_method_without_plans_is_refused(store, domain):
    before = {"order_id": DEBIT_ORDER, "phone_tail": "3456", "verified_order_id": DEBIT_ORDER}
    result = validate(domain, {"new_payment_method": "debit_card"}, before)
    assert result.responses == ["utter_payment_method_same"]
    assert result.messages[0]["new_method_en"] == "debit card"
    assert result.slots["new_payment_method"] is None


def test_same_installment_method_with_other_periods_is_a_change(store, domain):
    result = validate(domain, {"new_payment_method": "huabei", "new_installments": "6"})
    assert (result.slots["new_payment_method"], result.slots["new_installments"]) == ("huabei", 6)


def test_same_method_and_same_periods_is_refused(store, domain):
    result = validate(domain, {"new_payment_method": "huabei", "new_installments": "12"})
    assert result.responses == ["utter_plan_unchanged"]
    assert result.slots["new_installments"] is None


@pytest.mark.parametrize("method", ["jd_baitiao", "paypal", "bitcoin", "' OR 1=1", None])
def test_unsupported_methods_are_refused(store, domain, method):
    result = validate(domain, {"new_payment_method": method})
    assert result.responses == ["utter_payment_method_unsupported"]
    assert result.slots["new_payment_method"] is None


@pytest.mark.parametrize("periods", ["0", "5201121000000001", "-3", "twelve and a half", "2.5"])
def test_invalid_periods_are_asked_again(store, domain, periods):
    before = {**VERIFIED, "new_payment_method": "credit_card"}
    result = validate(domain, {"new_installments": periods}, before)
    assert result.responses == ["utter_installments_invalid"]
    assert result.slots["new_installments"] is None


@pytest.mark.parametrize("periods", ["7", "36"])
def test_a_plan_not_offered_is_named_and_asked_again(store, domain, periods):
    before = {**VERIFIED, "new_payment_method": "credit_card"}
    result = validate(domain, {"new_installments": periods}, before)
    assert result.responses == ["utter_installments_not_offered"]
    assert result.messages[0]["periods"] == int(periods)
    assert result.slots["new_installments"] is None
    assert result.messages[0]["offered_zh"] == "3、6、12、24 期"  # the method's plans in the store


def test_the_plans_on_offer_are_the_order_stores(store, domain):
    """The mall loaded new plans: credit card over 6 periods is gone, over 18 is new."""
    plans = [plan for plan in store.plans.plans() if (plan.method, plan.periods) != ("credit_card", 6)]
    store.plans.replace_all([*plans, Plan("credit_card", 18, Decimal("0.1"))], [])
    before = {**VERIFIED, "new_payment_method": "credit_card"}
    refused = validate(domain, {"new_installments": "6"}, before)
    assert refused.responses == ["utter_installments_not_offered"]
    assert rendered(refused, "en") == [
        "Sorry, 6 months isn't offered. You can choose 3, 12, 18 or 24 months, or pay in full."
    ]
    assert validate(domain, {"new_installments": "18"}, before).slots["new_installments"] == 18


def test_a_plan_chosen_earlier_that_the_new_method_lacks_is_asked_again(store, domain):
    store.plans.replace_all([*store.plans.plans(), Plan("huabei", 18, Decimal("0.1"))], [])
    before = {**VERIFIED, "new_payment_method": "huabei", "new_installments": 18}
    assert validate(domain, {"new_payment_method": "credit_card"}, before).slots["new_installments"] is None


@pytest.mark.parametrize("periods, expected", [("十二", 12), ("twelve", 12), ("3", 3), (24.0, 24), (["14", "12"], 12)])
def test_periods_in_words_and_numbers(store, domain, periods, expected):
    before = {**VERIFIED, "new_payment_method": "credit_card"}
    assert validate(domain, {"new_installments": periods}, before).slots["new_installments"] == expected


def test_periods_for_a_method_that_cannot_split(store, domain):
    before = {**VERIFIED, "new_payment_method": "wechat_pay"}
    result = validate(domain, {"new_installments": "12"}, before)
    assert result.responses == ["utter_installments_not_for_method"]
    assert result.slots["new_installments"] == 1


def test_changing_the_method_at_the_confirmation_asks_again(store, domain):
    before = {**VERIFIED, "new_payment_method": "alipay", "new_installments": 1}
    result = validate(domain, {"new_payment_method": "credit_card"}, before)
    assert result.slots["new_payment_method"] == "credit_card"
    assert result.slots["new_installments"] is None and result.slots["change_confirmed"] is None


def test_ask_for_confirmation_summarises_old_and_new(store, domain):
    slots = {**VERIFIED, "new_payment_method": "credit_card", "new_installments": 6}
    result = run(ActionAskChangeConfirmed(), tracker(slots), domain)
    assert result.responses == ["utter_ask_change_confirmed"]
    message = result.messages[0]
    assert (message["order_id"], message["total"], message["items"]) == (UNPAID, "¥3,999.00", "Xiaomi 14 12GB+256GB ×1")
    assert (message["new_method_zh"], message["new_plan_zh"], message["new_plan_en"]) == (
        "信用卡",
        "分6期",
        "6 monthly installments",
    )


def test_the_summary_shows_both_plans_and_the_difference(store, domain):
    """Issue 20's worked example: the interest-free Xiaomi 14 order moved to credit card over 6."""
    slots = {**VERIFIED, "new_payment_method": "credit_card", "new_installments": 6}
    result = run(ActionAskChangeConfirmed(), tracker(slots), domain)
    message = result.messages[0]
    assert message["old_terms"]["response"] == "utter_part_interest_free"
    assert (message["new_terms"]["fee"], message["difference"]["difference"]) == ("¥155.96", "¥155.96")
    (zh,) = rendered(result, "zh")
    assert "现在：花呗分12期，免息，每期 ¥333.25，共 ¥3,999.00，没有手续费\n" in zh
    assert "改后：信用卡分6期，首期 ¥692.51，之后每期 ¥692.49，手续费 ¥155.96，含手续费共 ¥4,154.96\n" in zh
    assert "新方案比原来总共多付 ¥155.96。" in zh
    (en,) = rendered(result, "en")
    assert "Now: Huabei, 12 monthly installments: interest-free, ¥333.25 a month, ¥3,999.00 in total, no fee\n" in en
    assert "After the change: credit card, 6 monthly installments: ¥692.51 the first month, then ¥692.49" in en
    assert "The new plan costs ¥155.96 more in total." in en


def test_the_summary_of_paying_in_full_shows_no_fee_and_what_it_saves(store, domain):
    slots = {"order_id": "5201121000000006", "phone_tail": "9012", "verified_order_id": "5201121000000006"}
    result = run(
        ActionAskChangeConfirmed(), tracker({**slots, "new_payment_method": "alipay", "new_installments": 1}), domain
    )
    (zh,) = rendered(result, "zh")
    assert "现在：信用卡分24期，首期 ¥429.01，之后每期 ¥428.95，手续费 ¥1,295.86，含手续费共 ¥10,294.86" in zh
    assert "改后：支付宝一次付清，共 ¥8,999.00，没有手续费" in zh and "新方案比原来总共少付 ¥1,295.86。" in zh


def test_the_summary_of_plans_costing_the_same(store, domain):
    slots = {**VERIFIED, "new_payment_method": "huabei", "new_installments": 6}  # interest-free too
    (en,) = rendered(run(ActionAskChangeConfirmed(), tracker(slots), domain), "en")
    assert "Both plans cost the same in total." in en


def test_the_summary_without_a_rate_for_the_old_plan(store, domain):
    """The order's own plan was withdrawn since it was placed: checkout shows its figures."""
    plans = [plan for plan in store.plans.plans() if (plan.method, plan.periods) != ("huabei", 12)]
    store.plans.replace_all(plans, [])
    slots = {**VERIFIED, "new_payment_method": "credit_card", "new_installments": 6}
    (zh,) = rendered(run(ActionAskChangeConfirmed(), tracker(slots), domain), "zh")
    assert "现在：花呗分12期，金额以结算页显示为准\n" in zh and "\n金额以结算页显示为准。\n" in zh
    assert "改后：信用卡分6期，首期 ¥692.51" in zh


def test_no_confirmation_without_a_verified_order(store, domain):
    slots = {"order_id": UNPAID, "phone_tail": "1234", "new_payment_method": "alipay", "new_installments": 1}
    assert run(ActionAskChangeConfirmed(), tracker(slots), domain).responses == ["utter_order_not_verified"]


CONFIRMED = {**VERIFIED, "new_payment_method": "alipay", "new_installments": 1, "change_confirmed": True}


def test_confirmed_change_cancels_and_reorders(store, domain):
    result = run(ActionCancelAndReorder(), tracker(CONFIRMED, sender="conv-9"), domain)
    assert result.responses == ["utter_reorder_done"]
    new_id = result.slots["order_id"]
    assert new_id != UNPAID and result.slots["verified_order_id"] == new_id
    assert result.slots["new_payment_method"] is None and result.slots["change_confirmed"] is None
    assert store.orders.get(UNPAID).replaced_by == new_id
    assert store.orders.get(new_id).payment_method == "alipay"
    assert result.messages[0]["old_order_id"] == UNPAID and result.messages[0]["new_method_en"] == "Alipay"


def test_second_yes_reports_the_same_new_order(store, domain):
    first = run(ActionCancelAndReorder(), tracker(CONFIRMED), domain)
    count = store.orders.count()
    again = run(ActionCancelAndReorder(), tracker(CONFIRMED), domain)
    assert again.responses == ["utter_reorder_already_done"]
    assert again.slots["order_id"] == first.slots["order_id"]
    assert store.orders.count() == count


def test_order_paid_since_the_lookup_is_left_alone_and_handed_off(store, domain):
    store.orders.update(UNPAID, {"status": "paid"})
    result = run(ActionCancelAndReorder(), tracker(CONFIRMED), domain)
    assert result.responses == ["utter_order_no_longer_unpaid"]
    assert result.followup == "action_handoff_to_human"
    assert result.slots["order_status"] == "paid"
    assert store.orders.get(UNPAID).status == "paid" and store.orders.count() == 8


def test_a_plan_withdrawn_before_the_yes_changes_nothing(store, domain):
    plans = [plan for plan in store.plans.plans() if (plan.method, plan.periods) != ("credit_card", 6)]
    store.plans.replace_all(plans, [])
    confirmed = {**VERIFIED, "new_payment_method": "credit_card", "new_installments": 6, "change_confirmed": True}
    result = run(ActionCancelAndReorder(), tracker(confirmed), domain)
    assert result.responses == ["utter_plan_withdrawn"]
    assert result.slots == {"new_payment_method": None, "new_installments": None, "change_confirmed": None}
    assert store.orders.get(UNPAID).status == "unpaid" and store.orders.count() == 8
    assert rendered(result, "zh") == [
        "抱歉，信用卡分6期刚刚下线了，订单没有任何改动。信用卡现在可选 3、12、24 期，想换的话再跟我说一次就好。"
    ]


def test_order_cancelled_elsewhere_is_not_handed_off(store, domain):
    store.orders.update(UNPAID, {"status": "cancelled"})
    result = run(ActionCancelAndReorder(), tracker(CONFIRMED), domain)
    assert result.responses == ["utter_order_no_longer_unpaid"] and result.followup is None


@pytest.mark.parametrize(
    "override", [{"change_confirmed": None}, {"change_confirmed": False}, {"new_payment_method": None}]
)
def test_nothing_happens_without_a_complete_confirmed_request(store, domain, override):
    result = run(ActionCancelAndReorder(), tracker({**CONFIRMED, **override}), domain)
    assert result.responses == ["utter_change_discarded"]
    assert store.orders.get(UNPAID).status == "unpaid" and store.orders.count() == 8


def test_nothing_happens_for_an_unverified_order(store, domain):
    slots = {**CONFIRMED, "order_id": "5201121000000006", "verified_order_id": "5201121000000006"}
    result = run(ActionCancelAndReorder(), tracker(slots), domain)
    assert result.responses == ["utter_order_not_verified"]
    assert store.orders.get("5201121000000006").status == "unpaid"


def test_ownership_lost_inside_the_transaction(store, domain, monkeypatch):
    import actions.payment_change as module

    monkeypatch.setattr(module, "verified_order", lambda tracker: store.orders.get(UNPAID))
    store.orders.update(UNPAID, {"phone": "13900009999"})
    result = run(ActionCancelAndReorder(), tracker(CONFIRMED), domain)
    assert result.responses == ["utter_order_not_verified"]
    assert store.orders.get(UNPAID).status == "unpaid"


def test_stopping_forgets_the_request(store, domain):
    result = run(ActionDiscardChangeRequest(), tracker(CONFIRMED), domain)
    assert result.responses == ["utter_change_discarded"]
    assert result.slots == {"new_payment_method": None, "new_installments": None, "change_confirmed": None}


def confirm(domain, text, intent="affirm", confidence=0.98):
    form = form_turn(
        FORM, {**VERIFIED, "new_payment_method": "alipay", "new_installments": 1}, {"change_confirmed": True}, text=text
    )
    form.latest_message["intent"] = {"name": intent, "confidence": confidence}
    return run(ValidatePaymentChangeForm(), form, domain)


@pytest.mark.parametrize(
    "text, confidence",
    [
        ("/affirm", 1.0),
        ("确认", 0.98),
        ("没问题", 0.95),
        ("yes go ahead", 1.0),
        ("sure why not", 0.95),
        ("好", 0.85),  # the shortest yeses score lowest, and are the clearest
        ("OK", 0.81),
        ("ok!", 0.84),
    ],
)
def test_a_clear_yes_confirms(store, domain, text, confidence):
    result = confirm(domain, text, confidence=confidence)
    assert result.slots["change_confirmed"] is True and result.responses == []


@pytest.mark.parametrize(
    "text, confidence",
    [
        ("that's incorrect", 0.97),  # read as yes by a model that never saw it
        ("forget it", 0.95),
        ("没必要", 0.93),
        ("yes, no wait", 0.91),
        ("好吧", 0.62),  # not confident enough
        ("ok but not yet", 0.85),
        ("好的 不过先别改", 0.93),
    ],
)
def test_anything_less_than_a_clear_yes_is_asked_again(store, domain, text, confidence):
    result = confirm(domain, text, confidence=confidence)
    assert result.slots["change_confirmed"] is None
    assert result.responses == ["utter_confirm_unclear"]


def test_a_method_named_first_makes_the_goal_a_change(store, domain):
    result = run(ActionSetChangeGoal(), tracker({"new_payment_method": "alipay"}), domain)
    assert result.slots == {"order_goal": "change_payment"} and result.responses == []


def correction(domain, text, intent, confidence, entities, before):
    form = form_turn(FORM, before, {}, text=text, entities=entities)
    form.latest_message["intent"] = {"name": intent, "confidence": confidence}
    return run(ValidatePaymentChangeForm(), form, domain)


CHOSEN = {**VERIFIED, "new_payment_method": "credit_card", "new_installments": 12}


@pytest.mark.parametrize(
    "text, intent, confidence, entities, slot, value",
    [
        ("不对，是6期", "deny", 0.9, [{"entity": "installments", "value": "6", "start": 4}], "new_installments", 6),
        (
            "no no, 6 months",
            "deny",
            0.97,
            [{"entity": "installments", "value": "6", "start": 7}],
            "new_installments",
            6,
        ),
        (
            "no, make it alipay",
            "deny",
            0.8,
            [{"entity": "payment_method", "value": "alipay", "start": 12}],
            "new_payment_method",
            "alipay",
        ),
        (
            "ok 24 then",
            "goodbye",
            0.75,
            [{"entity": "installments", "value": "24", "start": 3}],
            "new_installments",
            24,
        ),
    ],
)
def test_a_correction_or_an_unsure_goodbye_fills_the_slot(
    store, domain, text, intent, confidence, entities, slot, value
):
    result = correction(domain, text, intent, confidence, entities, CHOSEN)
    assert result.slots[slot] == value and result.slots.get("change_confirmed", "unset") in (None, "unset")


@pytest.mark.parametrize(
    "text, intent, confidence",
    [("bye, 6 months is too long", "goodbye", 0.97), ("要6期的话有手续费吗", "ask_installment_fees", 0.9)],
)
def test_a_clear_goodbye_or_a_question_fills_nothing(store, domain, text, intent, confidence):
    entities = [{"entity": "installments", "value": "6", "start": 2}]
    assert correction(domain, text, intent, confidence, entities, CHOSEN).slots == {}


@pytest.mark.parametrize("text", ["不要6期", "不是6期"])
def test_a_no_that_rules_the_value_out_clears_it_and_the_form_asks_again(store, domain, text):
    entities = [{"entity": "installments", "value": "6", "start": 2}]
    result = correction(domain, text, "deny", 0.9, entities, {**CHOSEN, "new_installments": 6})
    assert result.slots["new_installments"] is None and result.responses == []


@pytest.mark.parametrize("intent", ["check_order_status", "inform", "deny"])
def test_another_order_named_mid_change_ends_it_for_that_order(store, domain, intent):
    entities = [{"entity": "order_id", "value": DEBIT_ORDER, "start": 10}]
    mid_change = tracker(CHOSEN, text=f"wait, what about order {DEBIT_ORDER}?", intent=intent, entities=entities)
    result = run(ActionSwitchOrder(), mid_change, domain)
    assert result.responses == ["utter_switch_order"] and result.messages[0]["order_id"] == DEBIT_ORDER
    assert result.slots["order_id"] == DEBIT_ORDER
    assert result.slots["new_payment_method"] is None and result.slots["new_installments"] is None
    assert store.orders.get(UNPAID).status == "unpaid"


@pytest.mark.parametrize(
    "text, entities, slot",
    [
        ("不要6期", [{"entity": "installments", "value": "6", "start": 2}], "new_installments"),
        ("not alipay", [{"entity": "payment_method", "value": "alipay", "start": 4}], "new_payment_method"),
    ],
)
def test_a_value_ruled_out_is_not_taken(store, domain, text, entities, slot):
    before = {**VERIFIED, "new_payment_method": "credit_card"} if slot == "new_installments" else VERIFIED
    form = form_turn(FORM, before, {slot: entities[0]["value"]}, text=text, entities=entities)
    result = run(ValidatePaymentChangeForm(), form, domain)
    assert result.slots[slot] is None and result.responses == []


def test_the_method_not_ruled_out_is_the_choice(store, domain):
    entities = [
        {"entity": "payment_method", "value": "alipay", "start": 2},
        {"entity": "payment_method", "value": "wechat_pay", "start": 7},
    ]
    form = form_turn(FORM, VERIFIED, {"new_payment_method": "wechat_pay"}, text="不要支付宝，用微信", entities=entities)
    assert run(ValidatePaymentChangeForm(), form, domain).slots["new_payment_method"] == "wechat_pay"


@pytest.mark.parametrize(
    "text, titles",
    [
        ("我想换个支付方式", ["花呗", "信用卡", "借记卡", "支付宝", "微信支付"]),
        ("change my payment method", ["Huabei", "Credit card", "Debit card", "Alipay", "WeChat Pay"]),
    ],
)
def test_the_method_question_has_a_button_per_method_in_the_customers_language(store, domain, text, titles):
    result = run(ActionAskNewPaymentMethod(), tracker(VERIFIED, text=text), domain)
    (message,) = result.messages
    assert message["response"] == "utter_ask_new_payment_method"
    assert [button["title"] for button in message["buttons"]] == titles
    assert message["buttons"][-1]["payload"] == '/inform{"payment_method":"wechat_pay"}'


@pytest.mark.parametrize(
    "text, titles",
    [
        ("换成信用卡", ["3期", "6期", "12期", "24期", "一次付清"]),
        ("credit card please", ["3 months", "6 months", "12 months", "24 months", "Pay in full"]),
    ],
)
def test_the_periods_question_has_a_button_per_plan_then_paying_in_full(store, domain, text, titles):
    result = run(
        ActionAskNewInstallments(), tracker({**VERIFIED, "new_payment_method": "credit_card"}, text=text), domain
    )
    (message,) = result.messages
    assert [button["title"] for button in message["buttons"]] == titles
    assert [button["payload"] for button in message["buttons"]][:1] == ['/inform{"installments":"3"}']


def test_the_periods_buttons_are_the_chosen_methods_plans_in_the_store(store, domain):
    store.plans.replace_all([Plan("huabei", 3, Decimal("0.023")), Plan("credit_card", 9, Decimal("0.05"))], [])
    slots = {**VERIFIED, "new_payment_method": "credit_card"}
    (message,) = run(ActionAskNewInstallments(), tracker(slots, text="换成信用卡"), domain).messages
    assert [button["title"] for button in message["buttons"]] == ["9期", "一次付清"]
