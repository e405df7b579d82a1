"""What the customer is told about a verified order, by goal and status."""

import pytest

from actions.order_lookup import ActionLookupOrder
from tests.support import run, tracker

OWNERS = {  # order -> phone tail
    "5201121000000001": "1234",
    "5201121000000002": "1234",
    "5201121000000003": "5678",
    "5201121000000004": "5678",
    "5201121000000005": "9012",
    "5201121000000006": "9012",
    "5201121000000007": "3456",
    "5201121000000008": "3456",
}


def lookup(domain, order_id, goal):
    slots = {"order_id": order_id, "phone_tail": OWNERS[order_id], "verified_order_id": order_id, "order_goal": goal}
    return run(ActionLookupOrder(), tracker(slots), domain)


@pytest.mark.parametrize(
    "order_id, goal, response, status, outcome, reason",
    [
        ("5201121000000001", "change_payment", "utter_order_unpaid_change", "unpaid", "change_by_reorder", None),
        ("5201121000000002", "change_payment", "utter_order_paid_change", "paid", "handoff", "paid_order"),
        ("5201121000000003", "change_payment", "utter_order_paid_change", "shipped", "handoff", "paid_order"),
        ("5201121000000004", "change_payment", "utter_order_paid_change", "completed", "handoff", "paid_order"),
        ("5201121000000005", "change_payment", "utter_order_closed", "cancelled", "shown", None),
        ("5201121000000007", "change_payment", "utter_order_closed", "refunded", "shown", None),
        ("5201121000000006", "check_status", "utter_order_status_unpaid", "unpaid", "shown", None),
        ("5201121000000003", "check_status", "utter_order_status", "shipped", "shown", None),
        ("5201121000000005", "check_status", "utter_order_closed", "cancelled", "shown", None),
        ("5201121000000008", None, "utter_order_unpaid_change", "unpaid", "change_by_reorder", None),
    ],
)
def test_reply_status_and_outcome_by_goal(store, domain, order_id, goal, response, status, outcome, reason):
    result = lookup(domain, order_id, goal)
    assert result.responses == [response]
    assert result.slots == {"lookup_outcome": outcome, "order_status": status, "handoff_reason": reason}


@pytest.mark.parametrize(
    "order_id, response, status, outcome",
    [
        ("5201121000000006", None, "unpaid", "quote"),  # the quote shows the order: nothing said here
        ("5201121000000002", None, "paid", "quote"),  # still paying it off: its plan is quoted too
        ("5201121000000005", "utter_quote_order_closed", "cancelled", "shown"),
        ("5201121000000007", "utter_quote_order_closed", "refunded", "shown"),
    ],
)
def test_a_quote_for_an_order_quotes_those_still_to_pay(store, domain, order_id, response, status, outcome):
    result = lookup(domain, order_id, "quote")
    assert result.responses == ([response] if response else [])
    assert result.slots == {"lookup_outcome": outcome, "order_status": status, "handoff_reason": None}


def test_details_are_formatted_for_both_languages_and_mask_the_phone(store, domain):
    message = lookup(domain, "5201121000000006", "check_status").messages[0]
    assert message["items"] == "Xiaomi TV S Pro 85 ×1" and message["total"] == "¥8,999.00"
    assert (message["method_zh"], message["method_en"]) == ("信用卡", "credit card")
    assert (message["plan_zh"], message["plan_en"]) == ("分24期", "24 monthly installments")
    assert (message["status_zh"], message["status_en"]) == ("待支付", "unpaid")
    assert message["phone"] == "137****9012"
    assert "13700009012" not in str(message)


def test_replaced_order_points_to_its_replacement(store, domain):
    new_id = store.orders.cancel_and_reorder("5201121000000001", "1234", "alipay", 1, "c").replacement.order_id
    result = lookup(domain, "5201121000000001", "change_payment")
    assert result.responses == ["utter_order_replaced"]
    assert result.messages[0]["replaced_by"] == new_id


def test_nothing_is_shown_without_proof_of_ownership(store, domain):
    slots = {"order_id": "5201121000000001", "phone_tail": "1234", "order_goal": "check_status"}
    result = run(ActionLookupOrder(), tracker(slots), domain)
    assert result.responses == ["utter_order_not_verified"]
    assert result.slots == {"lookup_outcome": "not_verified", "order_status": None, "handoff_reason": None}
    assert "items" not in result.messages[0]


def test_after_giving_up_nothing_is_shown_and_the_rules_offer_a_human(store, domain):
    slots = {"order_id": "5201121000000001", "phone_tail": None, "verification_failed": True}
    result = run(ActionLookupOrder(), tracker(slots), domain)
    assert result.responses == []
    assert result.slots == {"lookup_outcome": "gave_up", "order_status": None, "handoff_reason": "verification_failed"}
