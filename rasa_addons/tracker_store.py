"""Conversations in SQLite, handed to the dialogue engine as a window of bounded size.

Rasa replays every event of a conversation into a tracker on each message, and its
policies featurize the whole history again for every prediction, so a turn costs more the
longer the conversation (with Rasa's SQL tracker store turn 50 took twice as long as turn
1). This store keeps every event (append-only, nothing is lost), but `retrieve` returns
the state at the start of the recent window (slot values, active form, pause) as events,
followed by the events of the last turns: like a session start that carries everything
over. The dialogue needs no more: the policies look back at most a few turns.
`retrieve_full_tracker` (Rasa's HTTP API, used by the agent console) returns everything.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SerializedTrackerAsText, TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, ConversationPaused, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.nlg import LANGUAGE_CONDITION, dialogue_language

WINDOW_MAX_EVENTS = 24  # compact the window once it holds more events than this ...
WINDOW_KEEP_TURNS = 2  # ... keeping this many customer messages (no rule spans more)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    sender_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (sender_id, seq)
);
CREATE TABLE IF NOT EXISTS conversations (
    sender_id TEXT PRIMARY KEY, event_count INTEGER NOT NULL,
    window_start INTEGER NOT NULL DEFAULT 0, window_state TEXT NOT NULL DEFAULT '[]'
);
"""


@dataclass
class _Window:
    """Where a retrieved tracker's events come from: `prefix` state events, then the stored
    events from `first_seq` on, `loaded` of them."""

    first_seq: int
    prefix: int
    loaded: int


def state_events(tracker: DialogueStateTracker) -> List[Event]:
    """Events that recreate the tracker's state: slot values, active form, pause."""
    events: List[Event] = [
        SlotSet(name, slot.value) for name, slot in tracker.slots.items() if slot.value != slot.initial_value
    ]
    if tracker.active_loop_name:
        events.append(ActiveLoop(tracker.active_loop_name))
    if tracker.is_paused():
        events.append(ConversationPaused())
    return events


def compaction_point(events: List[Event], start: int, keep_turns: int) -> Optional[int]:
    """Index of the action_listen before the last `keep_turns` customer messages."""
    seen = 0
    for index in range(len(events) - 1, start, -1):
        if isinstance(events[index], UserUttered):
            seen += 1
        elif seen >= keep_turns and isinstance(events[index], ActionExecuted) and events[index].action_name == ACTION_LISTEN_NAME:
            return index
    return None


class WindowedSQLiteTrackerStore(TrackerStore, SerializedTrackerAsText):
    """`tracker_store: {type: rasa_addons.tracker_store.WindowedSQLiteTrackerStore, db: …}`"""

    _WINDOW = "_window_of_stored_events"

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        db: Text = "conversations.db",
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain, event_broker, **kwargs)
        Path(db).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(db, timeout=15, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    # -- reading ---------------------------------------------------------------------------

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        row = self._db.execute(
            "SELECT event_count, window_start, window_state FROM conversations WHERE sender_id = ?", [sender_id]
        ).fetchone()
        if row is None:
            return None
        count, window_start, window_state = row
        prefix = json.loads(window_state)
        return self._tracker(sender_id, prefix, self._stored(sender_id, window_start), window_start, count)

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        stored = self._stored(conversation_id, 0)
        if not stored:
            return None
        return self._tracker(conversation_id, [], stored, 0, len(stored))

    async def keys(self) -> Iterable[Text]:
        return [row[0] for row in self._db.execute("SELECT sender_id FROM conversations")]

    def _stored(self, sender_id: Text, from_seq: int) -> List[Dict[Text, Any]]:
        rows = self._db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND seq >= ? ORDER BY seq", [sender_id, from_seq]
        )
        return [json.loads(data) for (data,) in rows]

    def _tracker(self, sender_id: Text, prefix: List[Dict], stored: List[Dict], first_seq: int,
                 count: int) -> DialogueStateTracker:
        tracker = DialogueStateTracker.from_dict(sender_id, prefix + stored, self.domain.slots)
        setattr(tracker, self._WINDOW, _Window(first_seq, len(prefix), count - first_seq))
        return tracker

    # -- writing ---------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        events = list(tracker.events)
        with self._lock:
            window = getattr(tracker, self._WINDOW, None) or self._assume_full_history(tracker.sender_id)
            new = events[window.prefix + window.loaded:]
            if not new:
                return
            first_new = window.first_seq + window.loaded
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT INTO events (sender_id, seq, data) VALUES (?, ?, ?)",
                    [(tracker.sender_id, first_new + i, json.dumps(e.as_dict())) for i, e in enumerate(new)],
                )
                self._db.execute(
                    "INSERT INTO conversations (sender_id, event_count) VALUES (?, ?) "
                    "ON CONFLICT(sender_id) DO UPDATE SET event_count = excluded.event_count",
                    [tracker.sender_id, first_new + len(new)],
                )
                self._compact_if_needed(tracker.sender_id, events, window, len(new))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            window.loaded += len(new)
            setattr(tracker, self._WINDOW, window)

    def _assume_full_history(self, sender_id: Text) -> _Window:
        """A tracker that did not come from `retrieve` (a new conversation, or one built
        by Rasa from all its events) holds the whole history."""
        row = self._db.execute("SELECT event_count FROM conversations WHERE sender_id = ?", [sender_id]).fetchone()
        return _Window(0, 0, row[0] if row else 0)

    def _compact_if_needed(self, sender_id: Text, events: List[Event], window: _Window, added: int) -> None:
        """Move the window's start forward when it grew too long."""
        if window.loaded + added <= WINDOW_MAX_EVENTS:
            return
        point = compaction_point(events, window.prefix, WINDOW_KEEP_TURNS)
        if point is None:
            return
        state_at_point = DialogueStateTracker.from_events(sender_id, events[:point], self.domain.slots)
        # The messages before the point leave the window: remember their language.
        state_at_point.update(SlotSet(LANGUAGE_CONDITION, dialogue_language(state_at_point)))
        self._db.execute(
            "UPDATE conversations SET window_start = ?, window_state = ? WHERE sender_id = ?",
            [window.first_seq + point - window.prefix,
             json.dumps([event.as_dict() for event in state_events(state_at_point)]), sender_id],
        )
