"""Hands the conversation to human support with a ticket the agents can act on.

In the chat widget (socketio), during the agents' hours (mall.support), an agent answers
live from the console (webapp/agent.py), so the conversation waits for them (the slot
mall.support.WAITING_FOR_AGENT_SLOT): the assistant only acknowledges what the customer
writes meanwhile (action_handoff_waiting, the only action rasa_addons.policies runs then),
keeps quiet once an agent has joined, and takes the conversation back when the customer says
they no longer need an agent or the agent closes the ticket.
Outside the hours, and in channels with no live path to an agent (rasa shell, REST), the
customer gets the ticket, the hours and the hotline, and the assistant goes on.
A conversation has at most one open ticket: asking again gives the same one.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.failures import apologise_on_failure
from actions.services import conversation_log, order_store, tracker_language
from actions.verification import verified_order
from mall import support
from mall.outcomes import HandoffReason
from mall.tickets import Ticket
from mall.transcripts import bounded, conversation_lines

TRANSCRIPT_MAX_CHARS = 20_000
LIVE_AGENT_CHANNELS = {"socketio"}
NO_LONGER_WANTED = "deny"  # "不用了", "算了", "never mind" while waiting


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
        verified = verified_order(tracker)
        live = tracker.get_latest_input_channel() in LIVE_AGENT_CHANNELS
        agents_in = support.agents_available()
        ticket_id = order_store().tickets.open(
            sender_id=tracker.sender_id,
            reason=tracker.get_slot("handoff_reason") or HandoffReason.CUSTOMER_REQUEST.value,
            language=tracker_language(tracker),
            order_id=verified.order_id if verified else None,
            claimed_order_id=None if verified else tracker.get_slot("order_id"),
            requested_method=tracker.get_slot("new_payment_method"),
            transcript=transcript(tracker),
            live=live and agents_in,
        )
        events = [SlotSet("handoff_ticket_id", ticket_id), SlotSet("handoff_reason", None)]
        if live and agents_in:
            dispatcher.utter_message(response="utter_handoff_agent_joins", ticket_id=ticket_id)
            return events + [SlotSet(support.WAITING_FOR_AGENT_SLOT, True)]
        response = "utter_handoff_after_hours" if live else "utter_handoff_ticket_created"
        dispatcher.utter_message(response=response, ticket_id=ticket_id)
        return events


def _back_to_the_assistant() -> List[Dict[str, Any]]:
    return [SlotSet(support.WAITING_FOR_AGENT_SLOT, None), SlotSet("handoff_ticket_id", None)]


def _open_ticket(tracker: Tracker) -> Optional[Ticket]:
    tickets = order_store().tickets
    ticket_id = tracker.get_slot("handoff_ticket_id")
    ticket = tickets.get(ticket_id) if ticket_id else None
    if ticket and ticket.is_open:
        return ticket
    return tickets.open_for(tracker.sender_id)


class ActionHandoffWaiting(Action):
    """The customer wrote while the conversation waits for an agent."""

    def name(self) -> str:
        return "action_handoff_waiting"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        ticket = _open_ticket(tracker)
        if ticket is None:  # closed meanwhile: nothing to wait for
            dispatcher.utter_message(response="utter_assistant_back")
            return _back_to_the_assistant()
        if ticket.agent_joined_at:
            return []  # the agent answers; the assistant never talks over them
        ticket_id = ticket.ticket_id
        if (tracker.latest_message.get("intent") or {}).get("name") == NO_LONGER_WANTED:
            order_store().tickets.cancel(ticket_id)
            dispatcher.utter_message(response="utter_handoff_cancelled", ticket_id=ticket_id)
            return _back_to_the_assistant()
        if not support.agents_available():
            dispatcher.utter_message(response="utter_handoff_waiting_closed", ticket_id=ticket_id)
        else:
            position = order_store().tickets.queue_position(ticket_id)
            dispatcher.utter_message(response="utter_handoff_waiting", ticket_id=ticket_id, queue_position=position)
        return []
