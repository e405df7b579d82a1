"""What follows an order lookup: the one place that decides it.

`decide` turns the verified order (or the lack of one) and what the customer wants into
an outcome. action_lookup_order shows the response named here and reports the outcome in
the `lookup_outcome` slot; data/rules/orders.yml has one rule per outcome; the handoff
ticket's reason comes from here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Dict, Optional

from mall.catalog import Handling, order_status
from mall.orders import Order

# The intents that start or steer an order dialogue (an out-of-scope message read as one of
# these costs the customer most: rasa_addons.order_flow_guard, scripts/nlu_compare.py).
ORDER_FLOW_INTENTS = ("change_payment_method", "check_order_status", "inform")
# What the assistant is not for; the NLU scripts score NOT_UNDERSTOOD on it as right.
OUT_OF_SCOPE = "out_of_scope"
# The intent of a message the NLU did not understand (Rasa's FallbackClassifier and ours).
NOT_UNDERSTOOD = "nlu_fallback"


class Goal(str, Enum):
    """What the customer asked for (the `order_goal` slot)."""

    CHANGE_PAYMENT = "change_payment"
    CHECK_STATUS = "check_status"
    QUOTE = "quote"  # what the order's plan (or another) costs


class LookupOutcome(str, Enum):
    """The values of the `lookup_outcome` slot."""

    NOT_VERIFIED = "not_verified"  # ownership not proved: said so, nothing shown
    GAVE_UP = "gave_up"  # too many failed checks: offer a human
    SHOWN = "shown"  # the order is shown and there is nothing to do (status, closed)
    CHANGE_BY_REORDER = "change_by_reorder"  # unpaid: choose the new method
    HANDOFF = "handoff"  # paid: human support changes it
    QUOTE = "quote"  # the customer's own order: work out what its plan costs


class HandoffReason(str, Enum):
    PAID_ORDER = "paid_order"
    VERIFICATION_FAILED = "verification_failed"
    CUSTOMER_REQUEST = "customer_request"


# How the agent console names each reason.
HANDOFF_REASON_LABELS: Dict[str, str] = {
    HandoffReason.PAID_ORDER.value: "已付款订单改支付方式 · Paid order",
    HandoffReason.VERIFICATION_FAILED.value: "身份验证未通过 · Verification failed",
    HandoffReason.CUSTOMER_REQUEST.value: "客户要求人工 · Customer asked",
}


@dataclass(frozen=True)
class Decision:
    outcome: LookupOutcome
    response: Optional[str]  # the response to show (None: the validator already said why)
    handoff_reason: Optional[HandoffReason] = None


def decide(order: Optional[Order], goal: Optional[str], gave_up: bool) -> Decision:
    if order is None:
        if gave_up:
            return Decision(LookupOutcome.GAVE_UP, None, HandoffReason.VERIFICATION_FAILED)
        return Decision(LookupOutcome.NOT_VERIFIED, "utter_order_not_verified")
    handling = order_status(order.status).handling
    if order.replaced_by:
        return Decision(LookupOutcome.SHOWN, "utter_order_replaced")
    if goal == Goal.QUOTE.value:
        # Nothing is left to pay on a cancelled or refunded order; the others' plans are quoted.
        if handling is Handling.CLOSED:
            return Decision(LookupOutcome.SHOWN, "utter_quote_order_closed")
        return Decision(LookupOutcome.QUOTE, None)
    if handling is Handling.CLOSED:
        return Decision(LookupOutcome.SHOWN, "utter_order_closed")
    if goal == Goal.CHECK_STATUS.value:
        response = "utter_order_status_unpaid" if handling is Handling.REORDER else "utter_order_status"
        return Decision(LookupOutcome.SHOWN, response)
    if handling is Handling.REORDER:
        return Decision(LookupOutcome.CHANGE_BY_REORDER, "utter_order_unpaid_change")
    return Decision(LookupOutcome.HANDOFF, "utter_order_paid_change", HandoffReason.PAID_ORDER)


def after_failed_reorder(order: Order) -> Optional[HandoffReason]:
    """An order that stopped being unpaid before the yes: paid ones go to a human."""
    return HandoffReason.PAID_ORDER if order_status(order.status).handling is Handling.HANDOFF else None
