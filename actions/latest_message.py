"""What the customer's latest message says, as the actions need it."""

from __future__ import annotations

import re
from typing import Any, List, Tuple

from rasa_sdk import Tracker

# A value the customer rules out: "不要6期", "别用花呗", "not alipay", "don't want 12 months".
_NEGATION_BEFORE = re.compile(
    r"(?:不要|不想要?|不用|别用?|不是|不|\bnot|\bno|\bdon'?t want|\bdon'?t use|\bwithout)\s*$", re.IGNORECASE
)
_NEGATION_REACH = 6  # characters before the value in which a negation counts


def entity_values(tracker: Tracker, entity: str) -> List[Any]:
    """Values of one entity in the latest message, in the order they were written."""
    return [value for value, _ in _mentions(tracker, entity)]


def wanted_values(tracker: Tracker, entity: str) -> List[Any]:
    """Values of one entity in the latest message that the customer did not rule out."""
    return [value for value, negated in _mentions(tracker, entity) if not negated]


def _mentions(tracker: Tracker, entity: str) -> List[Tuple[Any, bool]]:
    message = text(tracker)
    found = [e for e in tracker.latest_message.get("entities") or [] if e.get("entity") == entity]
    mentions = []
    for e in sorted(found, key=lambda e: e.get("start") or 0):
        before = message[max(0, (e.get("start") or 0) - _NEGATION_REACH) : e.get("start") or 0]
        mentions.append((e.get("value"), bool(e.get("start")) and bool(_NEGATION_BEFORE.search(before))))
    return mentions


def distinct_values(tracker: Tracker, entity: str) -> List[str]:
    """Different values of one entity in the latest message, first written first."""
    seen: List[str] = []
    for value in entity_values(tracker, entity):
        if str(value) not in seen:
            seen.append(str(value))
    return seen


def intent(tracker: Tracker) -> Tuple[str, float]:
    parsed = tracker.latest_message.get("intent") or {}
    return str(parsed.get("name") or ""), float(parsed.get("confidence") or 0.0)


def text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")
