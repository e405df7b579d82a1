"""Ownership check before any order detail is shown.

Signed-in customers (the token the Rasa server's channel checked, mall.identity) pick one
of their own open orders: their account proves it is theirs, no phone tail is asked, and
an order number that is not theirs is answered exactly like one that does not exist.

Anonymous customers give the order number and the last four digits of the phone on it.
The order is not looked up before both are there, and a wrong tail fails exactly like an
order number with no order, so the answers tell nobody which order numbers exist. The
guessing limits (per conversation, per client, per order: mall.ownership) are kept in the
database, not in slots, so a typed /restart, which clears every slot, gives no new tries.
Either way the bot stops asking and offers a human.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import latest_message
from actions.buttons import inform
from actions.failures import GuardedFormValidation
from actions.services import order_store, tracker_language
from mall.catalog import money, order_status
from mall.identity import client_in, identity_in
from mall.orders import Customer, Order
from mall.ownership import TRIES_PER_CONVERSATION, Verification

_ORDER_ID = re.compile(r"\d{16}")
_PHONE_TAIL = re.compile(r"\d{4}")

Slots = Dict[str, Any]

# Slot values that end the form; action_lookup_order then leads to the offer of a human.
_GIVE_UP: Slots = {"verification_failed": True, "requested_slot": None}


def _metadata(tracker: Tracker) -> Any:
    return (tracker.latest_message or {}).get("metadata")


def signed_in_customer(tracker: Tracker) -> Optional[Customer]:
    """Who the latest message came from, if its token was good (checked by the channel);
    None for anonymous customers, signed-out ones and expired tokens."""
    identity = identity_in(_metadata(tracker))
    return order_store().orders.customer(identity.customer_id) if identity else None


def client_of(tracker: Tracker) -> Optional[str]:
    return client_in(_metadata(tracker))


def verified_order(tracker: Tracker) -> Optional[Order]:
    """The order in `order_id`, if this conversation proved it owns it; else None.

    Checked against the database every time: slots say what was verified, the signed-in
    customer (owning the order) or the phone tail (matching it) say whether it still holds.
    A customer who signed out, or whose token expired, is back to the phone tail.
    """
    order_id = tracker.get_slot("order_id")
    if not order_id or tracker.get_slot("verified_order_id") != order_id:
        return None
    customer = signed_in_customer(tracker)
    if customer is not None:
        return order_store().orders.owned_by(customer, order_id)
    order = order_store().orders.get(order_id)
    return order if order and order.belongs_to(tracker.get_slot("phone_tail")) else None


def verification_given_up(tracker: Tracker) -> bool:
    """No more checks in this conversation: it gave up, or used up its tries (also before a
    /restart), or its client did."""
    if tracker.get_slot("verification_failed"):
        return True
    if signed_in_customer(tracker) is not None:
        return False
    return order_store().ownership.tries_left(tracker.sender_id, client_of(tracker)) == 0


def order_button_title(order: Order, language: str) -> str:
    """What a button for one of the customer's orders says: item, amount, status."""
    status = order_status(order.status)
    items = "、".join(item["name"] for item in order.items)
    return f"{items} · {money(order.total)} · {status.en if language == 'en' else status.zh}"


def _single(value: Any) -> Optional[str]:
    """One value, as text; several different values in one message count as none."""
    if isinstance(value, list):
        distinct = {str(item) for item in value}
        return distinct.pop() if len(distinct) == 1 else None
    return None if value is None else str(value).strip()


class ActionAskOrderId(Action):
    """The verification form's question for the order number. A signed-in customer picks
    one of their open orders by button. Several order numbers in one message are taken one
    at a time (guessing which one a phone tail is for could count a failed check against
    the wrong order): the customer picks one by button."""

    def name(self) -> str:
        return "action_ask_order_id"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        named = latest_message.distinct_values(tracker, "order_id")
        customer = signed_in_customer(tracker)
        if len(named) > 1:
            buttons = [inform(order_id, order_id=order_id) for order_id in named]
            dispatcher.utter_message(response="utter_which_order", buttons=buttons)
        elif customer is not None:
            orders = order_store().orders.open_of(customer)
            language = tracker_language(tracker)
            buttons = [inform(order_button_title(order, language), order_id=order.order_id) for order in orders]
            if buttons:
                dispatcher.utter_message(response="utter_pick_your_order", buttons=buttons)
            else:
                dispatcher.utter_message(response="utter_no_open_orders")
        else:
            dispatcher.utter_message(response="utter_ask_order_id")
        return []


class ValidateOrderVerificationForm(GuardedFormValidation):
    def name(self) -> str:
        return "validate_order_verification_form"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        """Once this conversation gave up, the form ends at once: no more guessing. A
        signed-in customer needs no phone tail."""
        if verification_given_up(tracker):
            return []
        if signed_in_customer(tracker) is not None:
            return [slot for slot in domain_slots if slot != "phone_tail"]
        return domain_slots

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if len(latest_message.distinct_values(tracker, "order_id")) > 1:
            return {"order_id": None}  # one at a time: action_ask_order_id asks which
        order_id = _single(value)
        if not order_id or not _ORDER_ID.fullmatch(order_id):
            dispatcher.utter_message(response="utter_order_id_invalid")
            return {"order_id": None}
        customer = signed_in_customer(tracker)
        if customer is not None:
            if order_store().orders.owned_by(customer, order_id) is None:
                return self._not_in_account(dispatcher, tracker)
            return {"order_id": order_id, "verified_order_id": order_id}
        slots: Slots = {"order_id": order_id}
        tail = tracker.get_slot("phone_tail")
        if tail and "phone_tail" not in tracker.slots_to_validate():
            # The tail came earlier (before the order number, or for another order).
            slots.update(self._check_owner(order_id, tail, dispatcher, tracker))
        return slots

    def validate_phone_tail(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        if signed_in_customer(tracker) is not None:
            return {}  # the account proves ownership; a tail proves nothing more
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
        checks, client = order_store().ownership, client_of(tracker)
        result = checks.verify(order_id, tail, tracker.sender_id, client, count_failure=not carried_over)
        if result is Verification.VERIFIED:
            return {"phone_tail": tail, "verified_order_id": order_id}
        if result is Verification.LOCKED:
            dispatcher.utter_message(response="utter_order_locked")
            return {"phone_tail": None, "verified_order_id": None, **_GIVE_UP}
        slots: Slots = {"phone_tail": None, "verified_order_id": None}
        tries_left = checks.tries_left(tracker.sender_id, client)
        if result is Verification.TOO_MANY or not tries_left:
            dispatcher.utter_message(response="utter_verification_failed_final")
            return {**slots, **_GIVE_UP}
        if not carried_over:
            dispatcher.utter_message(response="utter_order_no_match", tries_left=tries_left)
        # A tail carried over from another order of this conversation: that order has
        # another phone, or this order number is wrong; the form asks for this order's tail.
        return slots

    @staticmethod
    def _not_in_account(dispatcher: CollectingDispatcher, tracker: Tracker) -> Slots:
        """A signed-in customer named an order that is not theirs, or none at all: the same
        answer for both."""
        misses = int(tracker.get_slot("order_misses") or 0) + 1
        slots: Slots = {"order_id": None, "order_misses": misses}
        if misses >= TRIES_PER_CONVERSATION:
            dispatcher.utter_message(response="utter_order_not_found_final")
            return {**slots, **_GIVE_UP}
        dispatcher.utter_message(response="utter_order_not_found", tries_left=TRIES_PER_CONVERSATION - misses)
        return slots
