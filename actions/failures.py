"""A failing action must not leave the customer in silence or a form half-validated."""

from __future__ import annotations

import functools
import logging
from abc import ABC, abstractmethod
from typing import Any, Awaitable, Callable, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from mall import metrics, support

logger = logging.getLogger(__name__)

Run = Callable[[Any, CollectingDispatcher, Tracker, Dict[str, Any]], Awaitable[List[Dict]]]


def apologise_on_failure(run: Run) -> Run:
    """On an unexpected error (database unavailable, bug): the apology every failure gets."""

    @functools.wraps(run)
    async def guarded(action: Action, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        try:
            return await run(action, dispatcher, tracker, domain)
        except Exception:
            logger.exception("Action %s failed for conversation %s", action.name(), tracker.sender_id)
            metrics.ACTION_FAILURES.labels(action.name(), metrics.SEEN_BY_ACTION_SERVER).inc()
            dispatcher.utter_message(response=support.APOLOGY_RESPONSE)
            return _undo_unvalidated_slots(action, tracker)

    return guarded


def _undo_unvalidated_slots(action: Action, tracker: Tracker) -> List[Dict]:
    """Rasa already stored the raw values a form validator was asked to check: clear
    them, so nothing unvalidated is ever used."""
    if not isinstance(action, FormValidationAction):
        return []
    return [SlotSet(slot, None) for slot in tracker.slots_to_validate()]


class GuardedFormValidation(FormValidationAction, ABC):
    """A form validator that apologises instead of failing silently. Abstract, so the
    action server does not register it as an action of its own."""

    @abstractmethod
    def name(self) -> str: ...

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]):
        return await super().run(dispatcher, tracker, domain)
