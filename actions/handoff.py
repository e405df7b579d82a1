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
from actions.services import conversation_log, order_store, tracker_language
from mall.outcomes import HandoffReason
from mall.transcripts import bounded, conversation_lines

TRANSCRIPT_MAX_CHARS = 20_000
LIVE_AGENT_CHANNELS = {"socketio"}


def transcript(tracker: Tracker) -> List[Dict[str, Any]]:
    """The whole conversation so far: what the dialogue window no longer holds (from the
    stored conversation) followed by the window the action server was sent."""
    earlier = conversation_log().events_before_window(tracker.sender_id)
    return bounded(conversation_lines([*earlier, *tracker.events]), TRANSCRIPT_MAX_CHARS)


class ActionHandoffToHuman(Action):
    def name(self) -> str:
        return "action_handoff_to_human"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        ticket_id = order_store().create_handoff_ticket(
            sender_id=tracker.sender_id,
            reason=tracker.get_slot("handoff_reason") or HandoffReason.CUSTOMER_REQUEST.value,
            language=tracker_language(tracker),
            order_id=tracker.get_slot("order_id"),
            requested_method=tracker.get_slot("new_payment_method"),
            transcript=transcript(tracker),
        )
        events = [SlotSet("handoff_ticket_id", ticket_id), SlotSet("handoff_reason", None)]
        if tracker.get_latest_input_channel() in LIVE_AGENT_CHANNELS:
            dispatcher.utter_message(response="utter_handoff_agent_joins", ticket_id=ticket_id)
            return events + [ConversationPaused()]
        dispatcher.utter_message(response="utter_handoff_ticket_created", ticket_id=ticket_id)
        return events
