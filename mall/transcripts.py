"""Conversation transcripts for human agents: who said what, phone numbers masked."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List

from mall.privacy import mask_phones_in_text

# What a ticket keeps of the conversation (the newest lines that fit): at the handoff, and
# the whole of it when the ticket closes.
TRANSCRIPT_MAX_CHARS = 20_000


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


def bounded(lines: List[Dict[str, Any]], max_chars: int) -> List[Dict[str, Any]]:
    """The newest lines whose texts fit in `max_chars`, oldest first; the whole conversation
    when it fits. What is left out is counted in a first line, so a reader knows."""
    kept: List[Dict[str, Any]] = []
    used = 0
    for line in reversed(lines):
        used += len(line["text"])
        if used > max_chars and kept:
            break
        kept.append(line)
    kept.reverse()
    left_out = len(lines) - len(kept)
    if left_out:
        kept.insert(0, {"from": "system", "text": f"[{left_out} earlier messages left out]", "at": lines[0]["at"]})
    return kept
