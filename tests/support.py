"""Building rasa_sdk trackers and running actions the way the action server does."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


@dataclass
class ActionResult:
    events: List[Dict[str, Any]]
    responses: List[str]
    messages: List[Dict[str, Any]]

    @property
    def slots(self) -> Dict[str, Any]:
        return {e["name"]: e["value"] for e in self.events if e.get("event") == "slot"}

    @property
    def followup(self) -> Optional[str]:
        return next((e["name"] for e in self.events if e.get("event") == "followup"), None)


def user_event(text: str, intent: str = "inform", entities: Iterable[Dict] = (), metadata=None,
               channel: str = "rest") -> Dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "input_channel": channel,
        "metadata": metadata or {},
        "parse_data": {"intent": {"name": intent, "confidence": 0.99}, "entities": list(entities), "text": text},
    }


def entity(name: str, value: Any) -> Dict[str, Any]:
    return {"entity": name, "value": value}


def tracker(
    slots: Optional[Dict[str, Any]] = None,
    text: str = "",
    intent: str = "inform",
    entities: Iterable[Dict] = (),
    events: Iterable[Dict[str, Any]] = (),
    latest_action: Optional[str] = None,
    sender: str = "customer-1",
    channel: str = "rest",
) -> Tracker:
    """A tracker whose latest user message is `text`, after the given earlier events."""
    latest = user_event(text, intent, entities, channel=channel)
    return Tracker(
        sender_id=sender,
        slots=dict(slots or {}),
        latest_message=latest["parse_data"],
        events=[*events, latest],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=latest_action,
    )


def form_turn(form: str, before: Dict[str, Any], extracted: Dict[str, Any], text: str = "",
              entities: Iterable[Dict] = (), sender: str = "customer-1") -> Tracker:
    """The tracker a form's validation action receives: the slots Rasa extracted from
    the latest message are the SlotSet events after the form's ActionExecuted."""
    latest = user_event(text, "inform", entities)
    events = [latest, {"event": "action", "name": form}] + [
        {"event": "slot", "name": name, "value": value} for name, value in extracted.items()
    ]
    return Tracker(sender, {**before, **extracted}, latest["parse_data"], events, False, None,
                   {"name": form}, form)


def run(action: Action, tracker_: Tracker, domain: Dict[str, Any]) -> ActionResult:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, domain))
    return ActionResult(
        events=list(events),
        responses=[message.get("response") for message in dispatcher.messages],
        messages=dispatcher.messages,
    )
