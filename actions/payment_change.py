"""Changing the payment method of an unpaid order: choose, confirm, cancel and reorder.

An unpaid order's method cannot be edited in place, so the order is cancelled and the
same order is placed again with the new method, atomically, only after an explicit yes.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import latest_message
from actions.buttons import payment_method_buttons, plan_buttons
from actions.failures import GuardedFormValidation, apologise_on_failure
from actions.installments import change_comparison, choose_periods, offered_periods, offered_variables, plan_names
from actions.order_lookup import describe_order
from actions.services import order_store, tracker_language
from actions.verification import signed_in_customer, verified_order
from mall.catalog import PAID_IN_FULL, PAYMENT_METHODS, PaymentMethod, parse_plan, payment_method
from mall.orders import Order, ReorderOutcome
from mall.outcomes import after_failed_reorder

Slots = Dict[str, Any]
CHANGE_REQUEST_SLOTS = ("new_payment_method", "new_installments", "change_confirmed")

# Cancelling an order cannot be undone, so the yes must be clear: the button, or a
# confident "yes" with no sign of a "no" in it. The classifier is confident about some
# negative phrasings it never saw ("that's incorrect"), so confidence alone is not enough.
CONFIRMATION_MIN_CONFIDENCE = 0.90
_NEGATION = re.compile(
    r"不(?!错|客气)|别|否|算了|再说|下次|保持原|没(?!问题|错)"
    r"|\b(no(?!\s+problem)|(?<!why )not|don'?t|never|nope|nah|incorrect|wrong|forget|stop|wait)\b",
    re.IGNORECASE,
)


# A whole message that is one of these is a yes, however short (the classifier is least
# sure about the shortest messages: "好" and "OK" score below the bar).
_PLAIN_YES = frozenset(
    [
        "ok",
        "okay",
        "yes",
        "yep",
        "yeah",
        "sure",
        "confirm",
        "confirmed",
        "好",
        "好的",
        "好啊",
        "可以",
        "行",
        "确认",
        "确定",
        "是",
        "是的",
        "对",
        "嗯",
        "嗯嗯",
        "没问题",
    ]
)
_EDGES = re.compile(r"^[\s\W_]+|[\s\W_]+$")


def is_clear_yes(latest_message: Dict[str, Any]) -> bool:
    text = latest_message.get("text") or ""
    if text.strip() == "/affirm":  # the confirmation button
        return True
    intent = latest_message.get("intent") or {}
    if intent.get("name") != "affirm" or _NEGATION.search(text):
        return False
    plain = _EDGES.sub("", text).lower()
    return plain in _PLAIN_YES or (intent.get("confidence") or 0.0) >= CONFIRMATION_MIN_CONFIDENCE


# Slot values in messages Rasa's slot mappings leave alone: a "no" that names a value ("不对，
# 是6期", "no no, 6 months": that one, not the other), a correction the classifier read as
# something else ("不对不对 是6期" taken for a question), and a goodbye the classifier is
# unsure of that names a value ("ok 24 then"). A value ruled out ("不要6期") clears the slot,
# so the form asks again; a plain "no" or a clear goodbye still leaves the form.
_CORRECTION = re.compile(
    r"(?<![不别没])(?:是|要|用)|改成|换成|改为|换为|instead|make it|actually|rather|i mean|i meant|i said"
    r"|change (it )?to",
    re.IGNORECASE,
)
# A question about the value ("用花呗分期有手续费吗", "换成信用卡6期每期多少") is a question,
# not a choice.
_QUESTION = re.compile(r"[吗呢么？?]|多少|\b(how|what|why|can|could|is|are|do|does)\b", re.IGNORECASE)
CONFIDENT_GOODBYE = 0.90


def offered_value(tracker: Tracker, entity: str) -> Tuple[bool, Any]:
    """(whether the latest message answers the form's slot for `entity`, the value it
    gives: None when it only rules values out)."""
    if not latest_message.entity_values(tracker, entity):
        return False, None
    name, confidence = latest_message.intent(tracker)
    text = latest_message.text(tracker)
    answers = (
        name == "deny"
        or (name == "goodbye" and confidence < CONFIDENT_GOODBYE)
        or (bool(_CORRECTION.search(text)) and not _QUESTION.search(text))
    )
    if not answers:
        return False, None
    wanted = latest_message.wanted_values(tracker, entity)
    return True, wanted[-1] if wanted else None  # "not 12, 6": the last one named


def candidate_values(value: Any, tracker: Tracker, entity: str) -> List[Any]:
    """What a slot validator chooses from: the values the latest message names and does not
    rule out, or the slot's value when the message names none; empty when it only rules
    values out."""
    if latest_message.entity_values(tracker, entity):
        return latest_message.wanted_values(tracker, entity)
    return value if isinstance(value, list) else [value]


def other_order_named(tracker: Tracker) -> Optional[str]:
    """An order number in the latest message that is not the order being changed."""
    named = latest_message.distinct_values(tracker, "order_id")
    current = tracker.get_slot("order_id")
    return next((order_id for order_id in named if order_id != current), None)


def forget_change_request() -> List[Dict[str, Any]]:
    return [SlotSet(slot, None) for slot in CHANGE_REQUEST_SLOTS]


def describe_choice(method: PaymentMethod, installments: int) -> Dict[str, str]:
    return plan_names(method, installments, prefix="new_")


def _is_unchanged(order: Optional[Order], method: Optional[PaymentMethod], plan: Any) -> bool:
    return bool(order and method and method.code == order.payment_method and plan == order.installments)


class ValidatePaymentChangeForm(GuardedFormValidation):
    def name(self) -> str:
        return "validate_payment_change_form"

    def extract_new_payment_method(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        answers, value = offered_value(tracker, "payment_method")
        return {"new_payment_method": value} if answers else {}

    def extract_new_installments(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        answers, value = offered_value(tracker, "installments")
        return {"new_installments": value} if answers else {}

    def validate_new_payment_method(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        order = verified_order(tracker)
        codes = candidate_values(value, tracker, "payment_method")
        if not codes:  # only ruled out ("不要花呗"): ask again
            return {"new_payment_method": None}
        mentioned = [payment_method(code) for code in codes]
        supported = [method for method in mentioned if method]
        if not supported:
            dispatcher.utter_message(response="utter_payment_method_unsupported")
            return {"new_payment_method": None}
        current = order.payment_method if order else None
        # "把花呗换成支付宝" names the old method too: the new one is the one that differs.
        choice = next((m for m in supported if m.code != current), None)
        if choice is None:
            if not supported[0].allows_installments:
                dispatcher.utter_message(
                    response="utter_payment_method_same", **describe_choice(supported[0], PAID_IN_FULL)
                )
                return {"new_payment_method": None}
            choice = supported[0]  # same method, another number of periods
        slots: Slots = {"new_payment_method": choice.code, "change_confirmed": None}
        if not choice.allows_installments:
            slots["new_installments"] = PAID_IN_FULL
        elif "new_installments" not in tracker.slots_to_validate():
            earlier_plan = parse_plan(tracker.get_slot("new_installments"))
            keep = earlier_plan in offered_periods(choice.code)  # a plan the new method has too
            if not keep or _is_unchanged(order, choice, earlier_plan):
                slots["new_installments"] = None
        return slots

    def validate_new_installments(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        named = candidate_values(value, tracker, "installments")
        if not named:  # only ruled out ("不要6期"): ask again
            return {"new_installments": None}
        method = payment_method(tracker.get_slot("new_payment_method"))
        offered = offered_periods(method.code if method else None)  # the order store's plans
        choice = choose_periods(named, offered)
        plan = choice.periods
        if method and not method.allows_installments:
            if plan != PAID_IN_FULL:
                dispatcher.utter_message(
                    response="utter_installments_not_for_method", **describe_choice(method, PAID_IN_FULL)
                )
            return {"new_installments": PAID_IN_FULL}
        if plan is None:
            if choice.not_offered:
                dispatcher.utter_message(
                    response="utter_installments_not_offered", periods=choice.not_offered, **offered_variables(offered)
                )
            else:
                dispatcher.utter_message(response="utter_installments_invalid", **offered_variables(offered))
            return {"new_installments": None}
        if method and _is_unchanged(verified_order(tracker), method, plan):
            dispatcher.utter_message(response="utter_plan_unchanged", **describe_choice(method, plan))
            return {"new_installments": None}
        return {"new_installments": plan, "change_confirmed": None}

    def validate_change_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if value is True and not is_clear_yes(tracker.latest_message):
            dispatcher.utter_message(response="utter_confirm_unclear")
            return {"change_confirmed": None}
        return {"change_confirmed": value is True}


class ActionSetChangeGoal(Action):
    """A payment method named with no request open ("改成支付宝") asks for the change."""

    def name(self) -> str:
        return "action_set_change_goal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        return [SlotSet("order_goal", "change_payment")]


class ActionAskNewPaymentMethod(Action):
    """The form's question for the new method, with a button per method (mall.catalog)."""

    def name(self) -> str:
        return "action_ask_new_payment_method"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        buttons = payment_method_buttons(tracker_language(tracker))
        dispatcher.utter_message(response="utter_ask_new_payment_method", buttons=buttons)
        return []


class ActionAskNewInstallments(Action):
    """The form's question for the number of periods, with a button per plan the chosen
    method has in the order store, and paying in full."""

    def name(self) -> str:
        return "action_ask_new_installments"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        periods = offered_periods(tracker.get_slot("new_payment_method"))
        dispatcher.utter_message(
            response="utter_ask_new_installments", buttons=plan_buttons(periods, tracker_language(tracker))
        )
        return []


class ActionAskChangeConfirmed(Action):
    """Summarises the change (old order, new method and plan, and what each plan costs side
    by side) and asks for a yes."""

    def name(self) -> str:
        return "action_ask_change_confirmed"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        order = verified_order(tracker)
        method = payment_method(tracker.get_slot("new_payment_method"))
        plan = parse_plan(tracker.get_slot("new_installments"))
        if order is None or method is None or plan is None:
            dispatcher.utter_message(response="utter_order_not_verified")
            return []
        dispatcher.utter_message(
            response="utter_ask_change_confirmed",
            **describe_order(order),
            **describe_choice(method, plan),
            **change_comparison(order, method.code, plan),
        )
        return []


class ActionCancelAndReorder(Action):
    def name(self) -> str:
        return "action_cancel_and_reorder"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        method = payment_method(tracker.get_slot("new_payment_method"))
        plan = parse_plan(tracker.get_slot("new_installments"))
        if tracker.get_slot("change_confirmed") is not True or method is None or plan is None:
            dispatcher.utter_message(response="utter_change_discarded")
            return forget_change_request()
        if verified_order(tracker) is None:
            dispatcher.utter_message(response="utter_order_not_verified")
            return forget_change_request()

        customer = signed_in_customer(tracker)
        result = order_store().orders.cancel_and_reorder(
            order_id=tracker.get_slot("order_id"),
            phone_tail=tracker.get_slot("phone_tail"),
            new_method=method.code,
            installments=plan,
            conversation_id=tracker.sender_id,
            customer_id=customer.customer_id if customer else None,
        )
        order, new_order = result.order, result.replacement
        if result.outcome in (ReorderOutcome.REORDERED, ReorderOutcome.ALREADY_REPLACED) and order and new_order:
            response = (
                "utter_reorder_done" if result.outcome is ReorderOutcome.REORDERED else "utter_reorder_already_done"
            )
            dispatcher.utter_message(
                response=response,
                old_order_id=order.order_id,
                **describe_order(new_order),
                **describe_choice(PAYMENT_METHODS[new_order.payment_method], new_order.installments),
            )
            # From now on the conversation is about the new order.
            return forget_change_request() + [
                SlotSet("order_id", new_order.order_id),
                SlotSet("verified_order_id", new_order.order_id),
                SlotSet("order_status", new_order.status),
            ]
        if result.outcome is ReorderOutcome.PLAN_NOT_OFFERED:
            # The mall withdrew the plan since it was chosen: nothing changed, choose again.
            dispatcher.utter_message(
                response="utter_plan_withdrawn",
                **describe_choice(method, plan),
                **offered_variables(offered_periods(method.code)),
            )
            return forget_change_request()
        if result.outcome is ReorderOutcome.NOT_UNPAID and order:
            # Paid (or cancelled elsewhere) since the lookup: nothing is cancelled.
            dispatcher.utter_message(response="utter_order_no_longer_unpaid", **describe_order(order))
            events = forget_change_request() + [SlotSet("order_status", order.status)]
            reason = after_failed_reorder(order)
            if reason:
                events += [SlotSet("handoff_reason", reason.value), FollowupAction("action_handoff_to_human")]
            return events
        dispatcher.utter_message(response="utter_order_not_verified")
        return forget_change_request()


class ActionSwitchOrder(Action):
    """Another order named in the middle of a change ("wait, what about order …?",
    "订单号输错了，是…"): the change ends unmade and the rules check that order next."""

    def name(self) -> str:
        return "action_switch_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        other = other_order_named(tracker)
        if other is None:
            return []
        dispatcher.utter_message(response="utter_switch_order", order_id=other)
        return forget_change_request() + [SlotSet("order_id", other)]


class ActionDiscardChangeRequest(Action):
    """The customer stopped the flow: confirm that nothing changed, forget the choice."""

    def name(self) -> str:
        return "action_discard_change_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        dispatcher.utter_message(response="utter_change_discarded")
        return forget_change_request()
