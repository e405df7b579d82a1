"""Hands the conversation to human support with a ticket the agents can act on.

In the chat widget (socketio), during the agents' hours (mall.support), an agent answers
live from the console (webapp/agent.py), so the conversation waits for them (the slot
mall.support.WAITING_FOR_AGENT_SLOT). The ticket goes at once to a free agent, or waits in
the queue (mall.assignment). The customer is told which agent has joined, or their place in
the queue and the estimated wait, and told again when that changes: by action_handoff_update,
which the web app runs through Rasa's HTTP API. Meanwhile the assistant only acknowledges
what the customer writes (action_handoff_waiting, the only action rasa_addons.policies runs
then), keeps quiet once an agent has replied, and takes the conversation back when the
customer says they no longer need an agent, or when the ticket is closed.
Outside the hours, and in channels with no live path to an agent (rasa shell, REST), the
customer gets the ticket, the hours and the hotline, and the assistant goes on.
A conversation has at most one open ticket: asking again gives the same one.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.failures import apologise_on_failure
from actions.services import conversation_log, order_store, tracker_language
from actions.verification import signed_in_customer, verified_order
from mall import support
from mall.orders import Customer
from mall.outcomes import HandoffReason
from mall.tickets import Ticket
from mall.transcripts import TRANSCRIPT_MAX_CHARS, bounded, conversation_lines

logger = logging.getLogger(__name__)

LIVE_AGENT_CHANNELS = {"socketio"}
NO_LONGER_WANTED = "deny"  # "不用了", "算了", "never mind" while waiting


def transcript(tracker: Tracker) -> List[Dict[str, Any]]:
    """The whole conversation so far: what the dialogue window no longer holds (from the
    stored conversation) followed by the window the action server was sent."""
    earlier = conversation_log().events_before_window(tracker.sender_id)
    return bounded(conversation_lines([*earlier, *tracker.events]), TRANSCRIPT_MAX_CHARS)


def _customer(tracker: Tracker) -> Optional[Customer]:
    """The customer's account: signed in, or the one owning the order they proved is theirs
    (to link a returning customer's tickets)."""
    customer = signed_in_customer(tracker)
    if customer is None:
        verified = verified_order(tracker)
        customer = order_store().orders.owner(verified) if verified else None
    return customer


def tell_the_wait(
    dispatcher: CollectingDispatcher, tracker: Tracker, ticket: Ticket, again: bool = False, quiet: bool = False
) -> None:
    """Tell the customer which agent has their ticket, or their place in the queue and the
    estimated wait; only what they were not told yet, unless `again` (they asked). `quiet`:
    only record it as told (a conversation no longer waiting, an agent already talking)."""
    store = order_store()
    if ticket.assigned_to:
        agent = store.agents.get(ticket.assigned_to)
        if agent and (store.tickets.tell(ticket.ticket_id, None, agent.name) or again) and not quiet:
            name = agent.shown_name(tracker_language(tracker))
            dispatcher.utter_message(response="utter_handoff_agent_assigned", agent_name=name)
        return
    status = store.assignment.queue_status(ticket.ticket_id)
    if status is None or not (store.tickets.tell(ticket.ticket_id, status.position, None) or again) or quiet:
        return
    if status.wait_minutes is None:
        dispatcher.utter_message(response="utter_handoff_queue_no_estimate", queue_position=status.position)
    else:
        dispatcher.utter_message(
            response="utter_handoff_queue", queue_position=status.position, wait_minutes=status.wait_minutes
        )


class ActionHandoffToHuman(Action):
    def name(self) -> str:
        return "action_handoff_to_human"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        verified = verified_order(tracker)
        live = tracker.get_latest_input_channel() in LIVE_AGENT_CHANNELS
        agents_in = support.agents_available()
        customer = _customer(tracker)
        ticket = order_store().assignment.open_ticket(
            sender_id=tracker.sender_id,
            reason=tracker.get_slot("handoff_reason") or HandoffReason.CUSTOMER_REQUEST.value,
            language=tracker_language(tracker),
            order_id=verified.order_id if verified else None,
            claimed_order_id=None if verified else tracker.get_slot("order_id"),
            requested_method=tracker.get_slot("new_payment_method"),
            transcript=transcript(tracker),
            live=live and agents_in,
            customer_id=customer.customer_id if customer else None,
        )
        events = [SlotSet("handoff_ticket_id", ticket.ticket_id), SlotSet("handoff_reason", None)]
        if live and agents_in:
            dispatcher.utter_message(response="utter_handoff_agent_joins", ticket_id=ticket.ticket_id)
            tell_the_wait(dispatcher, tracker, ticket)
            return events + [SlotSet(support.WAITING_FOR_AGENT_SLOT, True)]
        response = "utter_handoff_after_hours" if live else "utter_handoff_ticket_created"
        dispatcher.utter_message(response=response, ticket_id=ticket.ticket_id)
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
        order_store().tickets.customer_wrote(ticket.ticket_id)  # not idle: the agent has an answer to read
        if ticket.agent_joined_at:
            return []  # the agent answers; the assistant never talks over them
        ticket_id = ticket.ticket_id
        if (tracker.latest_message.get("intent") or {}).get("name") == NO_LONGER_WANTED:
            order_store().tickets.cancel(ticket_id)
            dispatcher.utter_message(response="utter_handoff_cancelled", ticket_id=ticket_id)
            return _back_to_the_assistant()
        agent = order_store().agents.get(ticket.assigned_to) if ticket.assigned_to else None
        if not support.agents_available():
            dispatcher.utter_message(response="utter_handoff_waiting_closed", ticket_id=ticket_id)
        elif agent is not None:  # taken, and the agent has not replied yet
            name = agent.shown_name(tracker_language(tracker))
            dispatcher.utter_message(response="utter_handoff_agent_coming", agent_name=name)
        else:
            dispatcher.utter_message(response="utter_handoff_waiting", ticket_id=ticket_id)
            tell_the_wait(dispatcher, tracker, ticket, again=True)
        return []


class ActionHandoffUpdate(Action):
    """Run by the web app through Rasa's HTTP API (webapp.console_live) when a waiting
    customer's situation changed: an agent took the ticket (or it was transferred to another),
    or the queue moved. It tells the customer once, and ends the way a customer turn ends
    (action_listen), so that the next message finds the conversation listening."""

    def name(self) -> str:
        return "action_handoff_update"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        try:
            ticket = _open_ticket(tracker)
            if ticket is not None:  # (a conversation no longer waiting is told nothing)
                tell_the_wait(dispatcher, tracker, ticket, quiet=not tracker.get_slot(support.WAITING_FOR_AGENT_SLOT))
        except Exception:
            # Not the apology: the customer sent nothing. What was not told is told the next
            # time the web app finds it untold.
            logger.exception("Telling conversation %s about its wait failed", tracker.sender_id)
        return [ActionExecuted("action_listen")]
