"""Handoff tickets: what the assistant hands to the human agents, and their lifecycle.

A conversation has at most one open ticket: asking again gives the same one. A ticket's
order is one the conversation proved it owns; an order number only mentioned is kept apart
(`claimed_order_id`), and only a canonical payment method is kept: whatever a customer typed
is not a fact.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Dict, List, Mapping, Optional, Tuple

import sqlalchemy as sa

from mall.catalog import payment_method
from mall.clock import Clock, iso
from mall.db import Database
from mall.migrations import handoff_tickets

_COLUMNS = handoff_tickets.c


class TicketStatus(str, Enum):
    OPEN = "open"  # waiting for, or talking with, an agent
    CLOSED = "closed"  # by an agent
    CANCELLED = "cancelled"  # by the customer, before an agent replied


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    sender_id: str
    status: TicketStatus
    reason: Optional[str]
    language: Optional[str]
    created_at: Optional[str]
    order_id: Optional[str] = None  # proved by the customer
    claimed_order_id: Optional[str] = None  # given, not proved
    requested_method: Optional[str] = None
    transcript: Tuple[Dict[str, Any], ...] = ()
    closed_at: Optional[str] = None
    live: bool = False  # the customer waits in the chat for an agent
    agent_joined_at: Optional[str] = None  # when an agent first replied

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Ticket:
        return cls(
            ticket_id=row["ticket_id"],
            sender_id=row["sender_id"],
            status=TicketStatus(row["status"]),
            reason=row["reason"],
            language=row["language"],
            created_at=row["created_at"],
            order_id=row["order_id"],
            claimed_order_id=row["claimed_order_id"],
            requested_method=row["requested_method"],
            transcript=tuple(json.loads(row["transcript"] or "[]")),
            closed_at=row["closed_at"],
            live=bool(row["live"]),
            agent_joined_at=row["agent_joined_at"],
        )

    @property
    def is_open(self) -> bool:
        return self.status is TicketStatus.OPEN


def _order_number(value: Optional[str]) -> Optional[str]:
    text = str(value or "").strip()
    return text if re.fullmatch(r"[0-9]{16}", text) else None


_BY_ID = sa.select(handoff_tickets).where(_COLUMNS.ticket_id == sa.bindparam("ticket_id"))


class Tickets:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def get(self, ticket_id: str) -> Optional[Ticket]:
        row = self._db.first(_BY_ID, {"ticket_id": ticket_id})
        return Ticket.from_row(row) if row else None

    def listed(self, status: Optional[TicketStatus] = None) -> List[Ticket]:
        """Newest first (ticket numbers count up, so they break ties within a second)."""
        query = sa.select(handoff_tickets).order_by(_COLUMNS.created_at.desc(), _COLUMNS.ticket_id.desc())
        if status:
            query = query.where(_COLUMNS.status == status.value)
        return [Ticket.from_row(row) for row in self._db.rows(query)]

    def open_for(self, sender_id: str) -> Optional[Ticket]:
        """The conversation's open ticket, if it has one."""
        row = self._db.first(
            sa.select(handoff_tickets)
            .where(_COLUMNS.sender_id == sender_id, _COLUMNS.status == TicketStatus.OPEN.value)
            .order_by(_COLUMNS.created_at)
            .limit(1)
        )
        return Ticket.from_row(row) if row else None

    def open(
        self,
        sender_id: str,
        reason: str,
        language: str,
        order_id: Optional[str] = None,
        requested_method: Optional[str] = None,
        transcript: Optional[List[Dict[str, Any]]] = None,
        claimed_order_id: Optional[str] = None,
        live: bool = False,
    ) -> str:
        """Open a ticket for the human agents and return its number; a conversation that has
        an open ticket already gets that one back.

        `order_id` is an order this conversation proved it owns; an order number it only
        mentioned goes in `claimed_order_id`."""
        method = payment_method(requested_method)
        # One ticket at a time is numbered (and one open per conversation checked): on
        # PostgreSQL that is the "handoff_tickets" lock, there being no row to lock yet.
        with self._db.transaction("handoff_tickets"):
            existing = self.open_for(sender_id)
            if existing:
                if live and not existing.live:  # asked again now that agents are in
                    self._db.execute(
                        handoff_tickets.update().where(_COLUMNS.ticket_id == existing.ticket_id).values(live=1)
                    )
                return existing.ticket_id
            now = self._clock()
            ticket_id = self._next_number(f"HT{now:%y%m%d}")
            self._db.execute(
                handoff_tickets.insert().values(
                    ticket_id=ticket_id,
                    order_id=_order_number(order_id),
                    claimed_order_id=_order_number(claimed_order_id) if not order_id else None,
                    sender_id=sender_id,
                    reason=reason,
                    status=TicketStatus.OPEN.value,
                    language=language,
                    requested_method=method.code if method else None,
                    transcript=json.dumps(transcript or [], ensure_ascii=False),
                    created_at=iso(now),
                    closed_at=None,
                    live=int(live),
                    agent_joined_at=None,
                )
            )
        return ticket_id

    def _next_number(self, prefix: str) -> str:
        issued = self._db.scalar(
            sa.select(sa.func.count()).select_from(handoff_tickets).where(_COLUMNS.ticket_id.like(prefix + "%"))
        )
        return f"{prefix}{issued + 1:04d}"

    def close(self, ticket_id: str) -> bool:
        """Close an open ticket; False if it does not exist or was already closed."""
        return self._end(ticket_id, TicketStatus.CLOSED)

    def cancel(self, ticket_id: str) -> bool:
        """The customer no longer wants an agent; False if the ticket was not open."""
        return self._end(ticket_id, TicketStatus.CANCELLED)

    def _end(self, ticket_id: str, status: TicketStatus) -> bool:
        ended = self._db.execute(
            handoff_tickets.update()
            .where(_COLUMNS.ticket_id == ticket_id, _COLUMNS.status == TicketStatus.OPEN.value)
            .values(status=status.value, closed_at=iso(self._clock()))
        ).rowcount
        return ended == 1

    def mark_agent_joined(self, ticket_id: str) -> None:
        """An agent replied: from now on the assistant keeps quiet in that conversation."""
        self._db.execute(
            handoff_tickets.update()
            .where(_COLUMNS.ticket_id == ticket_id, _COLUMNS.agent_joined_at.is_(None))
            .values(agent_joined_at=iso(self._clock()))
        )

    def queue_position(self, ticket_id: str) -> int:
        """1 for the next customer an agent will answer: open tickets waiting in the chat
        with no agent yet, oldest first."""
        ticket = self.get(ticket_id)
        if ticket is None:
            return 1
        ahead = self._db.scalar(
            sa.select(sa.func.count())
            .select_from(handoff_tickets)
            .where(
                _COLUMNS.status == TicketStatus.OPEN.value,
                _COLUMNS.live == 1,
                _COLUMNS.agent_joined_at.is_(None),
                sa.or_(
                    _COLUMNS.created_at < ticket.created_at,
                    sa.and_(_COLUMNS.created_at == ticket.created_at, _COLUMNS.ticket_id < ticket_id),
                ),
            )
        )
        return ahead + 1
