"""Ratings (CSAT): asked once per session at the right moment, recorded when given.

action_ask_rating runs after a finished change and after a goodbye (data/rules/), and the
agent console runs it by name when it hands a conversation back (after utter_assistant_back).
It asks only when the moment is right: the latest reply finished a change, handed the
conversation back after a ticket, or said goodbye in a session that got an answer (as
recorded in mall.sessions: the same "answer" the figures count). Never twice in a session,
inside a form, or while the customer waits for an agent. There is no form to leave: a
customer who ignores the question is answered as usual.

action_record_rating takes a button's rating (the `rate` intent comes only from the buttons,
but a payload can be typed: only a whole number from 1 to 5, after the question, counts) and
sets the `rating` slot; the conversation store records it with the session (mall.sessions).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.failures import apologise_on_failure
from actions.services import conversation_log
from mall import support
from mall.ratings import RATING_ENTITY, is_rating, rating_buttons
from mall.sessions import RATING_ASKED_SLOT, RATING_SLOT, REORDERED

TICKET_CLOSED = "utter_assistant_back"  # said when an agent's ticket ends (webapp/agent.py)
GOODBYE = "utter_goodbye"


def latest_response(tracker: Tracker) -> Optional[str]:
    """The response of the assistant's latest message in this turn, if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return None
        if event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action")
    return None


def may_ask(tracker: Tracker) -> bool:
    """Not asked in this session yet, no form open, not waiting for an agent."""
    return not (
        tracker.get_slot(RATING_ASKED_SLOT)
        or tracker.active_loop.get("name")
        or tracker.get_slot(support.WAITING_FOR_AGENT_SLOT)
    )


def is_the_moment(tracker: Tracker) -> bool:
    response = latest_response(tracker)
    if response in REORDERED or response == TICKET_CLOSED:
        return True
    if response != GOODBYE:
        return False
    session = conversation_log().current_session(tracker.sender_id)
    return bool(session and (session.answered or session.task_done))


class ActionAskRating(Action):
    def name(self) -> str:
        return "action_ask_rating"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        if not may_ask(tracker) or not is_the_moment(tracker):
            return []
        dispatcher.utter_message(response="utter_ask_rating", buttons=rating_buttons())
        return [SlotSet(RATING_ASKED_SLOT, True)]


class ActionRecordRating(Action):
    def name(self) -> str:
        return "action_record_rating"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        value = next(tracker.get_latest_entity_values(RATING_ENTITY), None)
        if not tracker.get_slot(RATING_ASKED_SLOT) or not is_rating(value):
            dispatcher.utter_message(response="utter_rating_not_asked")
            return []
        dispatcher.utter_message(response="utter_rating_thanks")
        return [SlotSet(RATING_SLOT, int(float(str(value))))]
