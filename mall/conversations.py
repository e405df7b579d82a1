"""The stored conversations: every event of every conversation, append-only, in SQLite.

Written by the Rasa server's tracker store (rasa_addons.tracker_store), which hands the
dialogue engine only a recent window of each conversation; `window_start` is where that
window begins and `window_state` the events that recreate the state before it. Read by
the action server for handoff tickets, which carry the whole conversation.
Events are stored as the JSON dicts Rasa's `Event.as_dict()` gives.

Presence: which conversations have a chat widget connected (one row per socket, written by
the Rasa server's socket.io channel, rasa_addons.channels) and when the last one left, so
that messages sent meanwhile are delivered when the customer comes back, and the agent
console shows whether the customer is there. It lives here, not in one server's memory, so
several Rasa servers and the web app see the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from mall.db import SQLiteFile

Event = Dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    sender_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (sender_id, seq)
);
CREATE TABLE IF NOT EXISTS conversations (
    sender_id TEXT PRIMARY KEY, event_count INTEGER NOT NULL,
    window_start INTEGER NOT NULL DEFAULT 0, window_state TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS sockets (
    sid TEXT PRIMARY KEY, sender_id TEXT NOT NULL, instance TEXT NOT NULL, connected_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sockets_by_sender ON sockets (sender_id);
CREATE TABLE IF NOT EXISTS presence (sender_id TEXT PRIMARY KEY, left_at REAL NOT NULL);
"""


@dataclass(frozen=True)
class StoredConversation:
    event_count: int
    window_start: int  # sequence number of the first event in the window
    window_state: List[Event]  # events recreating the state at window_start


@dataclass(frozen=True)
class Presence:
    online: bool  # a widget of the conversation is connected now
    left_at: Optional[float]  # when its last widget went away (epoch seconds), if it did


@dataclass(frozen=True)
class NewWindow:
    start: int
    state: List[Event]


class ConversationLog:
    def __init__(self, path: Union[str, Path]) -> None:
        self._file = SQLiteFile(path)
        self._file.connection.executescript(_SCHEMA)

    def close(self) -> None:
        self._file.close()

    def conversation(self, sender_id: str) -> Optional[StoredConversation]:
        row = self._file.connection.execute(
            "SELECT event_count, window_start, window_state FROM conversations WHERE sender_id = ?", [sender_id]
        ).fetchone()
        return None if row is None else StoredConversation(row[0], row[1], json.loads(row[2]))

    def events(self, sender_id: str, start: int = 0, stop: Optional[int] = None) -> List[Event]:
        """Stored events with sequence numbers in [start, stop)."""
        rows = self._file.connection.execute(
            "SELECT data FROM events WHERE sender_id = ? AND seq >= ? AND seq < ? ORDER BY seq",
            [sender_id, start, stop if stop is not None else 2**62],
        )
        return [json.loads(data) for (data,) in rows]

    def events_before_window(self, sender_id: str) -> List[Event]:
        """What the dialogue engine no longer sees of a conversation."""
        stored = self.conversation(sender_id)
        return self.events(sender_id, 0, stored.window_start) if stored else []

    def senders(self) -> List[str]:
        return [row[0] for row in self._file.connection.execute("SELECT sender_id FROM conversations")]

    def append(self, sender_id: str, first_seq: int, events: List[Event], window: Optional[NewWindow] = None) -> None:
        """Store `events` from sequence number `first_seq` on, and move the window, in one
        transaction. A sequence number taken already (a second writer) fails the whole call."""
        with self._file.transaction() as connection:
            connection.executemany(
                "INSERT INTO events (sender_id, seq, data) VALUES (?, ?, ?)",
                [(sender_id, first_seq + i, json.dumps(event)) for i, event in enumerate(events)],
            )
            connection.execute(
                "INSERT INTO conversations (sender_id, event_count) VALUES (?, ?) "
                "ON CONFLICT(sender_id) DO UPDATE SET event_count = excluded.event_count",
                [sender_id, first_seq + len(events)],
            )
            if window is not None:
                connection.execute(
                    "UPDATE conversations SET window_start = ?, window_state = ? WHERE sender_id = ?",
                    [window.start, json.dumps(window.state), sender_id],
                )

    # -- presence ----------------------------------------------------------------------------

    def socket_joined(self, sid: str, sender_id: str, instance: str, at: float) -> Optional[float]:
        """Record a connected widget. If the conversation had none connected, return when
        the last one left (what was said since has not been seen); else None."""
        with self._file.transaction() as connection:
            others = connection.execute(
                "SELECT COUNT(*) FROM sockets WHERE sender_id = ? AND sid != ?", [sender_id, sid]
            ).fetchone()[0]
            row = connection.execute("SELECT left_at FROM presence WHERE sender_id = ?", [sender_id]).fetchone()
            connection.execute(
                "INSERT OR REPLACE INTO sockets (sid, sender_id, instance, connected_at) VALUES (?, ?, ?, ?)",
                [sid, sender_id, instance, at],
            )
        return row[0] if row and not others else None

    def socket_left(self, sid: str, at: float) -> None:
        with self._file.transaction() as connection:
            row = connection.execute("SELECT sender_id FROM sockets WHERE sid = ?", [sid]).fetchone()
            if row is None:
                return
            connection.execute("DELETE FROM sockets WHERE sid = ?", [sid])
            remaining = connection.execute("SELECT COUNT(*) FROM sockets WHERE sender_id = ?", [row[0]]).fetchone()[0]
            if not remaining:
                connection.execute(
                    "INSERT INTO presence (sender_id, left_at) VALUES (?, ?) "
                    "ON CONFLICT(sender_id) DO UPDATE SET left_at = excluded.left_at",
                    [row[0], at],
                )

    def forget_sockets(self, instances: List[str], at: float) -> None:
        """The sockets of servers that are gone (a crash leaves its rows behind)."""
        for instance in instances:
            for (sid,) in self._file.connection.execute("SELECT sid FROM sockets WHERE instance = ?", [instance]):
                self.socket_left(sid, at)

    def instances(self) -> List[str]:
        return [row[0] for row in self._file.connection.execute("SELECT DISTINCT instance FROM sockets")]

    def presence(self, sender_id: str) -> Presence:
        online = self._file.connection.execute(
            "SELECT COUNT(*) FROM sockets WHERE sender_id = ?", [sender_id]
        ).fetchone()[0]
        row = self._file.connection.execute("SELECT left_at FROM presence WHERE sender_id = ?", [sender_id]).fetchone()
        return Presence(bool(online), row[0] if row else None)

    def bot_messages_since(self, sender_id: str, since: float) -> List[Event]:
        """What the assistant and the agents said in a conversation after `since`."""
        return [
            event
            for event in self.events(sender_id)
            if event.get("event") == "bot" and (event.get("timestamp") or 0.0) > since
        ]
