"""Hands the conversation to human support with a ticket the agents can act on.

In the chat widget (socketio) an agent can answer live from the console (webapp/agent.py),
so the conversation is paused: the bot stays silent and keeps what the customer writes
for the agent, until the agent closes the ticket. Other channels (rasa shell, REST) have
no live path to an agent: the customer gets the ticket and the hotline, and the bot goes on.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.failures import apologise_on_failure
from actions.language import tracker_language
from actions.order_lookup import PAID_STATUSES
from actions.store import order_store
from actions.transcripts import conversation_lines

TRANSCRIPT_MESSAGES = 50
LIVE_AGENT_CHANNELS = {"socketio"}
_ORDER_ACTIONS = {"action_lookup_order", "action_cancel_and_reorder"}


def handoff_reason(tracker: Tracker) -> str:
    if tracker.latest_action_name in _ORDER_ACTIONS and tracker.get_slot("order_status") in PAID_STATUSES:
        return "paid_order"
    if tracker.get_slot("verification_failed"):
        return "verification_failed"
    return "customer_request"


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
            transcript=conversation_lines(tracker.events)[-TRANSCRIPT_MESSAGES:],
        )
        if tracker.get_latest_input_channel() in LIVE_AGENT_CHANNELS:
            dispatcher.utter_message(response="utter_handoff_agent_joins", ticket_id=ticket_id)
            return [SlotSet("handoff_ticket_id", ticket_id), ConversationPaused()]
        dispatcher.utter_message(response="utter_handoff_ticket_created", ticket_id=ticket_id)
        return [SlotSet("handoff_ticket_id", ticket_id)]
