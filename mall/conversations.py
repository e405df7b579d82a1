"""The stored conversations: every event of every conversation, append-only, in a SQLite file
or PostgreSQL (DATABASE_URL), through mall.db.

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
from typing import Any, Dict, List, Mapping, Optional, Tuple

import sqlalchemy as sa

from mall import metrics, rollup, sessions
from mall.db import Database, Location

Event = Dict[str, Any]

# The tables as the SQLite file has had them from the start (CREATE TABLE IF NOT EXISTS):
# an existing file is used as it is.
METADATA = sa.MetaData()
events_table = sa.Table(
    "events",
    METADATA,
    sa.Column("sender_id", sa.Text, primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("data", sa.Text, nullable=False),  # Rasa's Event.as_dict(), as JSON
)
conversations_table = sa.Table(
    "conversations",
    METADATA,
    sa.Column("sender_id", sa.Text, primary_key=True),
    sa.Column("event_count", sa.Integer, nullable=False),
    sa.Column("window_start", sa.Integer, nullable=False, server_default="0"),
    sa.Column("window_state", sa.Text, nullable=False, server_default="[]"),
)
sockets_table = sa.Table(
    "sockets",
    METADATA,
    sa.Column("sid", sa.Text, primary_key=True),
    sa.Column("sender_id", sa.Text, nullable=False),
    sa.Column("instance", sa.Text, nullable=False),
    sa.Column("connected_at", sa.Float, nullable=False),
    sa.Index("sockets_by_sender", "sender_id"),
)
presence_table = sa.Table(
    "presence",
    METADATA,
    sa.Column("sender_id", sa.Text, primary_key=True),
    sa.Column("left_at", sa.Float, nullable=False),
)

# What every message reads, built once (building a statement costs more than running it).
_CONVERSATION = sa.select(
    conversations_table.c.event_count, conversations_table.c.window_start, conversations_table.c.window_state
).where(conversations_table.c.sender_id == sa.bindparam("sender_id"))
_EVENTS = (
    sa.select(events_table.c.data)
    .where(events_table.c.sender_id == sa.bindparam("sender_id"), events_table.c.seq >= sa.bindparam("start"))
    .order_by(events_table.c.seq)
)
_EVENTS_UNTIL = _EVENTS.where(events_table.c.seq < sa.bindparam("stop"))
# The assistant's latest message is among a conversation's last few events (after it come at
# most an action_listen and the customer's message).
LATEST_MESSAGE_LOOK_BACK = 12
_LATEST_EVENTS = (
    sa.select(events_table.c.data)
    .where(events_table.c.sender_id == sa.bindparam("sender_id"))
    .order_by(events_table.c.seq.desc())
    .limit(LATEST_MESSAGE_LOOK_BACK)
)
_ADD_EVENTS = events_table.insert()
_MOVE_WINDOW = (
    conversations_table.update()
    .where(conversations_table.c.sender_id == sa.bindparam("conversation"))
    .values(window_start=sa.bindparam("start"), window_state=sa.bindparam("state"))
)


@dataclass(frozen=True)
class StoredConversation:
    event_count: int
    window_start: int  # sequence number of the first event in the window
    window_state: List[Event]  # events recreating the state at window_start


def _stored(row: Optional[Mapping[str, Any]]) -> Optional[StoredConversation]:
    if row is None:
        return None
    return StoredConversation(row["event_count"], row["window_start"], json.loads(row["window_state"]))


@dataclass(frozen=True)
class Presence:
    online: bool  # a widget of the conversation is connected now
    left_at: Optional[float]  # when its last widget went away (epoch seconds), if it did


@dataclass(frozen=True)
class NewWindow:
    start: int
    state: List[Event]


class ConversationLog:
    """`location`: a SQLite file's path, or a database URL."""

    def __init__(self, location: Location) -> None:
        self.db = Database(location)
        with self.db.transaction("conversations:schema") as connection:  # two servers start at once
            METADATA.create_all(connection, checkfirst=True)
            sessions.METADATA.create_all(connection, checkfirst=True)
            rollup.METADATA.create_all(connection, checkfirst=True)

    def close(self) -> None:
        self.db.dispose()

    def conversation(self, sender_id: str) -> Optional[StoredConversation]:
        return _stored(self.db.first(_CONVERSATION, {"sender_id": sender_id}))

    def window(self, sender_id: str) -> Optional[Tuple[StoredConversation, List[Event]]]:
        """A conversation and its events from the window's start on: what every message
        reads, on one connection."""
        with self.db.connection() as connection:
            stored = _stored(connection.execute(_CONVERSATION, {"sender_id": sender_id}).mappings().first())
            if stored is None:
                return None
            rows = connection.execute(_EVENTS, {"sender_id": sender_id, "start": stored.window_start})
            return stored, [json.loads(data) for data in rows.scalars()]

    def events(self, sender_id: str, start: int = 0, stop: Optional[int] = None) -> List[Event]:
        """Stored events with sequence numbers in [start, stop)."""
        query, params = (_EVENTS, {}) if stop is None else (_EVENTS_UNTIL, {"stop": stop})
        with self.db.connection() as connection:
            rows = connection.execute(query, {"sender_id": sender_id, "start": start, **params})
            return [json.loads(data) for data in rows.scalars()]

    def latest_bot_message(self, sender_id: str) -> Optional[Event]:
        """What the assistant (or an agent) said last, if it was among the last
        LATEST_MESSAGE_LOOK_BACK events."""
        with self.db.connection() as connection:
            for data in connection.execute(_LATEST_EVENTS, {"sender_id": sender_id}).scalars():
                event = json.loads(data)
                if event.get("event") == "bot":
                    return event
        return None

    def current_session(self, sender_id: str) -> Optional[sessions.Session]:
        """The conversation's latest session as recorded so far (its saved turns)."""
        with self.db.connection() as connection:
            return sessions.latest(connection, sender_id)

    def events_before_window(self, sender_id: str) -> List[Event]:
        """What the dialogue engine no longer sees of a conversation."""
        stored = self.conversation(sender_id)
        return self.events(sender_id, 0, stored.window_start) if stored else []

    def senders(self) -> List[str]:
        with self.db.connection() as connection:
            return list(connection.execute(sa.select(conversations_table.c.sender_id)).scalars())

    def append(self, sender_id: str, first_seq: int, events: List[Event], window: Optional[NewWindow] = None) -> None:
        """Store `events` from sequence number `first_seq` on, record what they did to their
        sessions (mall.sessions), and move the window, in one transaction. A sequence number
        taken already (a second writer) fails the whole call: nothing is stored or counted."""
        recorded = sessions.Recorded()
        with self.db.transaction() as connection:
            if events:
                connection.execute(
                    _ADD_EVENTS,
                    [
                        {"sender_id": sender_id, "seq": first_seq + i, "data": json.dumps(event)}
                        for i, event in enumerate(events)
                    ],
                )
                recorded = sessions.record(connection, sender_id, first_seq, events)
            self.db.upsert(
                conversations_table,
                {"sender_id": sender_id, "event_count": first_seq + len(events)},
                key=["sender_id"],
                update=["event_count"],
            )
            if window is not None:
                connection.execute(
                    _MOVE_WINDOW,
                    {"conversation": sender_id, "start": window.start, "state": json.dumps(window.state)},
                )
        metrics.count(recorded)  # once stored: a failed save counts nothing

    # -- presence ----------------------------------------------------------------------------

    def socket_joined(self, sid: str, sender_id: str, instance: str, at: float) -> Optional[float]:
        """Record a connected widget. If the conversation had none connected, return when
        the last one left (what was said since has not been seen); else None."""
        sockets, presence = sockets_table.c, presence_table.c
        # One conversation's widgets come and go one at a time (on PostgreSQL, several Rasa
        # instances may see them at once).
        with self.db.transaction("presence:" + sender_id):
            others = self.db.scalar(
                sa.select(sa.func.count()).where(sockets.sender_id == sender_id, sockets.sid != sid)
            )
            left_at = self.db.scalar(sa.select(presence.left_at).where(presence.sender_id == sender_id))
            self.db.upsert(
                sockets_table,
                {"sid": sid, "sender_id": sender_id, "instance": instance, "connected_at": at},
                key=["sid"],
                update=["sender_id", "instance", "connected_at"],
            )
        return left_at if left_at is not None and not others else None

    def socket_left(self, sid: str, at: float) -> None:
        sockets = sockets_table.c
        sender_id = self.db.scalar(sa.select(sockets.sender_id).where(sockets.sid == sid))
        if sender_id is None:
            return
        with self.db.transaction("presence:" + sender_id):
            self.db.execute(sockets_table.delete().where(sockets.sid == sid))
            remaining = self.db.scalar(sa.select(sa.func.count()).where(sockets.sender_id == sender_id))
            if not remaining:
                self.db.upsert(
                    presence_table, {"sender_id": sender_id, "left_at": at}, key=["sender_id"], update=["left_at"]
                )

    def forget_sockets(self, instances: List[str], at: float) -> None:
        """The sockets of servers that are gone (a crash leaves its rows behind)."""
        sockets = sockets_table.c
        for instance in instances:
            with self.db.connection() as connection:
                sids = list(connection.execute(sa.select(sockets.sid).where(sockets.instance == instance)).scalars())
            for sid in sids:
                self.socket_left(sid, at)

    def instances(self) -> List[str]:
        with self.db.connection() as connection:
            return list(connection.execute(sa.select(sockets_table.c.instance).distinct()).scalars())

    def presence(self, sender_id: str) -> Presence:
        sockets, presence = sockets_table.c, presence_table.c
        online = self.db.scalar(sa.select(sa.func.count()).where(sockets.sender_id == sender_id))
        left_at = self.db.scalar(sa.select(presence.left_at).where(presence.sender_id == sender_id))
        return Presence(bool(online), left_at)

    def activity(self, sender_ids: List[str]) -> Dict[str, Tuple[int, bool]]:
        """For each conversation: how many events it has, and whether a widget of it is
        connected (what the agent console's live view compares from one moment to the next)."""
        if not sender_ids:
            return {}
        sockets, conversations = sockets_table.c, conversations_table.c
        with self.db.connection() as connection:
            counts = connection.execute(
                sa.select(conversations.sender_id, conversations.event_count).where(
                    conversations.sender_id.in_(sender_ids)
                )
            ).all()
            online = set(
                connection.execute(
                    sa.select(sockets.sender_id).where(sockets.sender_id.in_(sender_ids)).distinct()
                ).scalars()
            )
        found = dict(counts)
        return {sender: (found.get(sender, 0), sender in online) for sender in sender_ids}

    def bot_messages_since(self, sender_id: str, since: float) -> List[Event]:
        """What the assistant and the agents said in a conversation after `since`."""
        return [
            event
            for event in self.events(sender_id)
            if event.get("event") == "bot" and (event.get("timestamp") or 0.0) > since
        ]
