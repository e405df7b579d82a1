"""After the ownership check: shows the order and says what can be done with it.

It always reports `verification_failed` and `order_status`; the rules in
data/rules/orders.yml choose the next step from those two slots and the goal.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.catalog import STATUS_LABELS, money, payment_method, plan_labels
from actions.failures import apologise_on_failure
from actions.privacy import mask_phone
from actions.store import Order
from actions.verification import verified_order

PAID_STATUSES = {"paid", "shipped", "completed"}
CLOSED_STATUSES = {"cancelled", "refunded"}


def describe_order(order: Order) -> Dict[str, Any]:
    """Template variables for responses that show an order (`_zh`/`_en` per language)."""
    method = payment_method(order.payment_method)
    plan = plan_labels(order.installments)
    status_zh, status_en = STATUS_LABELS.get(order.status, (order.status, order.status))
    return {
        "order_id": order.order_id,
        "items": "、".join(f"{item['name']} ×{item.get('quantity', 1)}" for item in order.items),
        "total": money(order.total),
        "phone": mask_phone(order.phone),
        "method_zh": method.zh if method else order.payment_method,
        "method_en": method.en if method else order.payment_method,
        "plan_zh": plan["zh"],
        "plan_en": plan["en"],
        "status_zh": status_zh,
        "status_en": status_en,
        "replaced_by": order.replaced_by or "",
    }


def _response_for(order: Order, goal: str) -> str:
    if order.replaced_by:
        return "utter_order_replaced"
    if order.status in CLOSED_STATUSES:
        return "utter_order_closed"
    if goal == "check_status":
        return "utter_order_status_unpaid" if order.status == "unpaid" else "utter_order_status"
    if order.status == "unpaid":
        return "utter_order_unpaid_change"
    return "utter_order_paid_change"


class ActionLookupOrder(Action):
    def name(self) -> str:
        return "action_lookup_order"

    @apologise_on_failure
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        order = verified_order(tracker)
        if order is None:
            gave_up = bool(tracker.get_slot("verification_failed"))
            if not gave_up:
                dispatcher.utter_message(response="utter_order_not_verified")
            # The rules offer a human after giving up (the validator already said why).
            return [SlotSet("verification_failed", gave_up), SlotSet("order_status", None)]
        goal = tracker.get_slot("order_goal") or "change_payment"
        dispatcher.utter_message(response=_response_for(order, goal), **describe_order(order))
        return [SlotSet("verification_failed", False), SlotSet("order_status", order.status)]
