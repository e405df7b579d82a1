"""Conversation transcripts for human agents: who said what, phone numbers masked."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List

from actions.privacy import mask_phones_in_text


def author(event: Dict[str, Any]) -> str:
    if event["event"] == "user":
        return "customer"
    return "agent" if (event.get("metadata") or {}).get("from_agent") else "assistant"


def conversation_lines(events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The messages among tracker events (as rasa-sdk and Rasa's HTTP API give them)."""
    lines = []
    for event in events:
        if event.get("event") not in ("user", "bot") or not event.get("text"):
            continue
        timestamp = event.get("timestamp") or 0.0
        lines.append(
            {
                "from": author(event),
                "text": mask_phones_in_text(event["text"]),
                "at": datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds"),
            }
        )
    return lines
