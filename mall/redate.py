"""Moving a played conversation back in time: the one place demo traffic is dated.

The stores record real times, so conversations played now all happen today. `redate` moves
one conversation, after it was played, so that it starts at a chosen moment: its events, its
sessions (start, day, last event, handoff; and which sessions a ticket followed within 7 days),
and in the order store its tickets and misses. An agent's claim, first reply and the closing
of its ticket, done in seconds by the demo, are given the delays of a real agent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from mall.clock import iso
from mall.conversations import ConversationLog, events_table
from mall.migrations import handoff_tickets, nlu_misses
from mall.sessions import refresh_follow_ups, sessions_of, shift
from mall.store import OrderStore


@dataclass(frozen=True)
class AgentDelays:
    """How long an agent took: to reply after the ticket opened, and to close it after that."""

    first_response: timedelta
    handling: timedelta


_EVENT = events_table.update().where(
    events_table.c.sender_id == sa.bindparam("sender"), events_table.c.seq == sa.bindparam("number")
)


def redate(
    log: ConversationLog, store: OrderStore, sender_id: str, start: datetime, agent: Optional[AgentDelays] = None
) -> None:
    """Move conversation `sender_id` so that its first event happens at `start` (aware)."""
    events = log.events(sender_id)
    if not events:
        return
    seconds = start.timestamp() - float(events[0].get("timestamp") or 0.0)
    _shift_conversation(log, sender_id, seconds)
    _shift_tickets_and_misses(store, sender_id, timedelta(seconds=seconds), agent)


def _shift_conversation(log: ConversationLog, sender_id: str, seconds: float) -> None:
    with log.db.transaction() as connection:
        stored = log.events(sender_id)  # on this transaction
        rows = [
            {"sender": sender_id, "number": seq, "data": json.dumps({**event, "timestamp": moment + seconds})}
            for seq, event in enumerate(stored)
            if (moment := event.get("timestamp"))
        ]
        if rows:
            connection.execute(_EVENT.values(data=sa.bindparam("data")), rows)
        moved = sessions_of(connection, sender_id)
        for session in moved:
            shift(connection, session, seconds)
        for customer in {session.customer for session in moved}:
            refresh_follow_ups(connection, customer)


def _moved(text: Optional[str], shift: timedelta) -> Optional[str]:
    return iso(datetime.fromisoformat(text) + shift) if text else None


# A ticket's times (mall.migrations): each moves with the conversation.
TICKET_TIMES = (
    "created_at",
    "agent_joined_at",
    "assigned_at",
    "closed_at",
    "last_customer_message_at",
    "last_agent_message_at",
)


def _shift_tickets_and_misses(
    store: OrderStore, sender_id: str, shift: timedelta, agent: Optional[AgentDelays]
) -> None:
    tickets = handoff_tickets.c
    with store.db.transaction():
        for ticket in store.db.rows(sa.select(handoff_tickets).where(tickets.sender_id == sender_id)):
            times = {name: _moved(ticket[name], shift) for name in TICKET_TIMES}
            if agent and times["agent_joined_at"]:
                created = datetime.fromisoformat(ticket["created_at"]) + shift
                times["agent_joined_at"] = times["assigned_at"] = iso(created + agent.first_response)
                if times["closed_at"]:
                    times["closed_at"] = iso(created + agent.first_response + agent.handling)
            store.db.execute(handoff_tickets.update().where(tickets.ticket_id == ticket["ticket_id"]).values(times))
        misses = store.db.rows(
            sa.select(nlu_misses.c.id, nlu_misses.c.created_at).where(nlu_misses.c.sender_id == sender_id)
        )
        for miss in misses:
            moved = _moved(miss["created_at"], shift)
            store.db.execute(nlu_misses.update().where(nlu_misses.c.id == miss["id"]).values(created_at=moved))
