"""Hands the conversation to human support with a ticket the agents can act on."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.failures import apologise_on_failure
from actions.language import tracker_language
from actions.order_lookup import PAID_STATUSES
from actions.privacy import mask_phones_in_text
from actions.store import order_store

TRANSCRIPT_MESSAGES = 50
_ORDER_ACTIONS = {"action_lookup_order", "action_cancel_and_reorder"}


def handoff_reason(tracker: Tracker) -> str:
    if tracker.latest_action_name in _ORDER_ACTIONS and tracker.get_slot("order_status") in PAID_STATUSES:
        return "paid_order"
    if tracker.get_slot("verification_failed"):
        return "verification_failed"
    return "customer_request"


def transcript(tracker: Tracker) -> List[Dict[str, Any]]:
    """The latest messages of both sides, phone numbers masked, for the agent."""
    lines = []
    for event in tracker.events:
        if event.get("event") not in ("user", "bot") or not event.get("text"):
            continue
        sent_at = datetime.fromtimestamp(event.get("timestamp") or 0, timezone.utc)
        lines.append(
            {
                "from": "customer" if event["event"] == "user" else "bot",
                "text": mask_phones_in_text(event["text"]),
                "at": sent_at.isoformat(timespec="seconds"),
            }
        )
    return lines[-TRANSCRIPT_MESSAGES:]


class ActionHandoffToHuman(Action):
    def name(self) -> str:
        return "action_handoff_to_human"

    @apologise_on_failure
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        ticket_id = order_store().create_handoff_ticket(
            sender_id=tracker.sender_id,
            reason=handoff_reason(tracker),
            language=tracker_language(tracker),
            order_id=tracker.get_slot("order_id"),
            requested_method=tracker.get_slot("new_payment_method"),
            transcript=transcript(tracker),
        )
        dispatcher.utter_message(response="utter_handoff_ticket_created", ticket_id=ticket_id)
        return [SlotSet("handoff_ticket_id", ticket_id)]
