"""After the ownership check: shows the order and says what can be done with it.

mall.outcomes decides; this action shows the decided response and reports the outcome in
`lookup_outcome` (and the order's status in `order_status`); data/rules/orders.yml has one
rule per outcome.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.failures import apologise_on_failure
from actions.verification import verification_given_up, verified_order
from mall.catalog import money, order_status, payment_method, plan_labels
from mall.orders import Order
from mall.outcomes import decide
from mall.privacy import mask_phone


def describe_order(order: Order) -> Dict[str, Any]:
    """Template variables for responses that show an order (`_zh`/`_en` per language)."""
    method = payment_method(order.payment_method)
    plan = plan_labels(order.installments)
    status = order_status(order.status)
    return {
        "order_id": order.order_id,
        "items": "、".join(f"{item['name']} ×{item.get('quantity', 1)}" for item in order.items),
        "total": money(order.total),
        "phone": mask_phone(order.phone),
        "method_zh": method.zh if method else order.payment_method,
        "method_en": method.en if method else order.payment_method,
        "plan_zh": plan["zh"],
        "plan_en": plan["en"],
        "status_zh": status.zh,
        "status_en": status.en,
        "replaced_by": order.replaced_by or "",
    }


class ActionLookupOrder(Action):
    def name(self) -> str:
        return "action_lookup_order"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        order = verified_order(tracker)
        decision = decide(order, tracker.get_slot("order_goal"), order is None and verification_given_up(tracker))
        if decision.response:
            dispatcher.utter_message(response=decision.response, **(describe_order(order) if order else {}))
        return [
            SlotSet("lookup_outcome", decision.outcome.value),
            SlotSet("order_status", order.status if order else None),
            SlotSet("handoff_reason", decision.handoff_reason.value if decision.handoff_reason else None),
        ]
