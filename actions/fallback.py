"""Messages the assistant did not understand: say so, and after two in a row offer a human."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

NOT_UNDERSTOOD_INTENT = "nlu_fallback"


def previous_user_intent(tracker: Tracker) -> str:
    """Intent of the customer's message before the latest one ("" if none)."""
    user_events = (event for event in reversed(tracker.events) if event.get("event") == "user")
    next(user_events, None)  # the latest message
    previous = next(user_events, None) or {}
    return (previous.get("parse_data") or {}).get("intent", {}).get("name") or ""


class ActionNotUnderstood(Action):
    def name(self) -> str:
        return "action_not_understood"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        if previous_user_intent(tracker) == NOT_UNDERSTOOD_INTENT:
            # utter_offer_human runs as an action so the rule for "yes" after it applies.
            return [FollowupAction("utter_offer_human")]
        dispatcher.utter_message(response="utter_not_understood")
        return []
