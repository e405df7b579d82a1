"""Ownership check before any order detail is shown: order number + phone tail.

The customer gets three tries per conversation for each (a wrong tail, an unknown
order number); the order store also locks an order after repeated wrong tails from
any conversation. Either way the bot stops asking and offers a human.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import latest_message
from actions.failures import GuardedFormValidation
from actions.services import order_store
from mall.store import Order, Verification

MAX_TRIES = 3
_ORDER_ID = re.compile(r"\d{16}")
_PHONE_TAIL = re.compile(r"\d{4}")

Slots = Dict[str, Any]

# Slot values that end the form; action_lookup_order then leads to the offer of a human.
_GIVE_UP: Slots = {"verification_failed": True, "requested_slot": None}


def verified_order(tracker: Tracker) -> Optional[Order]:
    """The order in `order_id`, if this conversation proved it owns it; else None.

    Checked against the database every time: slots say what was verified, the phone on
    the order says whether it still holds.
    """
    order_id = tracker.get_slot("order_id")
    if not order_id or tracker.get_slot("verified_order_id") != order_id:
        return None
    order = order_store().get_order(order_id)
    return order if order and order.belongs_to(tracker.get_slot("phone_tail")) else None


def _single(value: Any) -> Optional[str]:
    """One value, as text; several different values in one message count as none."""
    if isinstance(value, list):
        distinct = {str(item) for item in value}
        return distinct.pop() if len(distinct) == 1 else None
    return None if value is None else str(value).strip()


class ActionAskOrderId(Action):
    """The verification form's question for the order number. Several order numbers in one
    message are taken one at a time (guessing which one a phone tail is for could count a
    failed check against the wrong order): the customer picks one by button."""

    def name(self) -> str:
        return "action_ask_order_id"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        named = latest_message.distinct_values(tracker, "order_id")
        if len(named) > 1:
            buttons = [{"title": order_id, "payload": f'/inform{{"order_id":"{order_id}"}}'} for order_id in named]
            dispatcher.utter_message(response="utter_which_order", buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_ask_order_id")
        return []


class ValidateOrderVerificationForm(GuardedFormValidation):
    def name(self) -> str:
        return "validate_order_verification_form"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        """Once this conversation gave up, the form ends at once: no more guessing."""
        return [] if tracker.get_slot("verification_failed") else domain_slots

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if len(latest_message.distinct_values(tracker, "order_id")) > 1:
            return {"order_id": None}  # one at a time: action_ask_order_id asks which
        order_id = _single(value)
        if not order_id or not _ORDER_ID.fullmatch(order_id):
            dispatcher.utter_message(response="utter_order_id_invalid")
            return {"order_id": None}
        if order_store().get_order(order_id) is None:
            return self._order_not_found(dispatcher, tracker)
        slots: Slots = {"order_id": order_id}
        tail = tracker.get_slot("phone_tail")
        if tail and "phone_tail" not in tracker.slots_to_validate():
            # The tail came earlier (before the order number, or for another order).
            slots.update(self._check_owner(order_id, tail, dispatcher, tracker))
        return slots

    def validate_phone_tail(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        tail = _single(value)
        if not tail or not _PHONE_TAIL.fullmatch(tail):
            dispatcher.utter_message(response="utter_phone_tail_invalid")
            return {"phone_tail": None}
        order_id = tracker.get_slot("order_id")
        if not order_id:
            return {"phone_tail": tail}  # checked as soon as the order number arrives
        return self._check_owner(order_id, tail, dispatcher, tracker)

    def _check_owner(self, order_id: str, tail: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Slots:
        proved_other_order = tracker.get_slot("verified_order_id") not in (None, order_id)
        carried_over = proved_other_order and not latest_message.entity_values(tracker, "phone_tail")
        result = order_store().verify_owner(order_id, tail, tracker.sender_id, count_failure=not carried_over)
        if result is Verification.VERIFIED:
            return {"phone_tail": tail, "verified_order_id": order_id}
        if result is Verification.LOCKED:
            dispatcher.utter_message(response="utter_order_locked")
            return {"phone_tail": None, "verified_order_id": None, **_GIVE_UP}
        if result is Verification.UNKNOWN_ORDER:
            return self._order_not_found(dispatcher, tracker)
        if carried_over:
            # The tail proved another order of this conversation; this order has a
            # different phone. Ask for its tail without counting a failed try.
            return {"phone_tail": None, "verified_order_id": None}
        failures = int(tracker.get_slot("verify_failures") or 0) + 1
        slots: Slots = {"phone_tail": None, "verified_order_id": None, "verify_failures": failures}
        if failures >= MAX_TRIES:
            dispatcher.utter_message(response="utter_verification_failed_final")
            return {**slots, **_GIVE_UP}
        dispatcher.utter_message(response="utter_phone_tail_mismatch", tries_left=MAX_TRIES - failures)
        return slots

    @staticmethod
    def _order_not_found(dispatcher: CollectingDispatcher, tracker: Tracker) -> Slots:
        misses = int(tracker.get_slot("order_misses") or 0) + 1
        slots: Slots = {"order_id": None, "order_misses": misses}
        if misses >= MAX_TRIES:
            dispatcher.utter_message(response="utter_order_not_found_final")
            return {**slots, **_GIVE_UP}
        dispatcher.utter_message(response="utter_order_not_found", tries_left=MAX_TRIES - misses)
        return slots
