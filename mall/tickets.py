"""Handoff tickets: what the assistant hands to the human agents, and their lifecycle.

A conversation has at most one open ticket: asking again gives the same one. A ticket's
order is one the conversation proved it owns; an order number only mentioned is kept apart
(`claimed_order_id`), and only a canonical payment method is kept: whatever a customer typed
is not a fact. A customer who asks again within RETURNING_CUSTOMER_DAYS (the same
conversation, or the same customer account) gets a ticket linked to their previous one.

Who has a ticket, and the queue, are mall.assignment's; this module keeps the ticket's own
record: its times (first response, last messages either way, closing) and what the customer
was last told of their wait.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from datetime import timedelta
from enum import Enum
from typing import Any, Dict, List, Mapping, Optional, Tuple

import sqlalchemy as sa

from mall import settings
from mall.audit import CUSTOMER, SYSTEM, AuditAction, HelpdeskAudit
from mall.catalog import payment_method
from mall.clock import Clock, iso
from mall.db import Database
from mall.migrations import handoff_tickets

_COLUMNS = handoff_tickets.c


class TicketStatus(str, Enum):
    OPEN = "open"  # waiting for, or talking with, an agent
    CLOSED = "closed"  # by an agent, or idle
    CANCELLED = "cancelled"  # by the customer, before an agent replied


class CloseReason(str, Enum):
    AGENT = "agent"
    IDLE = "idle"  # the agent wrote last and the customer did not answer for HANDOFF_IDLE_MINUTES
    CUSTOMER = "customer"  # the customer no longer wanted an agent


# What the console calls them (served through /config.js).
TICKET_STATUS_LABELS = {
    TicketStatus.OPEN.value: {"zh": "处理中", "en": "open"},
    TicketStatus.CLOSED.value: {"zh": "已结束", "en": "closed"},
    TicketStatus.CANCELLED.value: {"zh": "客户已取消", "en": "cancelled"},
}
CLOSE_REASON_LABELS = {
    CloseReason.AGENT.value: {"zh": "客服结束", "en": "closed by the agent"},
    CloseReason.IDLE.value: {"zh": "客户长时间未回复", "en": "the customer went quiet"},
    CloseReason.CUSTOMER.value: {"zh": "客户取消", "en": "cancelled by the customer"},
}


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
    agent_joined_at: Optional[str] = None  # the first response: when an agent first replied
    assigned_to: Optional[str] = None  # an agent's name; None: in the queue
    assigned_at: Optional[str] = None
    closed_by: Optional[str] = None
    close_reason: Optional[CloseReason] = None
    customer_id: Optional[str] = None
    previous_ticket_id: Optional[str] = None
    last_customer_message_at: Optional[str] = None
    last_agent_message_at: Optional[str] = None
    told_position: Optional[int] = None
    told_agent: Optional[str] = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Ticket:
        values = {field.name: row[field.name] for field in fields(cls)}
        values.update(
            status=TicketStatus(row["status"]),
            transcript=tuple(json.loads(row["transcript"] or "[]")),
            live=bool(row["live"]),
            close_reason=CloseReason(row["close_reason"]) if row["close_reason"] else None,
        )
        return cls(**values)

    @property
    def is_open(self) -> bool:
        return self.status is TicketStatus.OPEN

    @property
    def known_order_id(self) -> Optional[str]:
        """The order the ticket is about: the proved one, else the one only mentioned."""
        return self.order_id or self.claimed_order_id


def _order_number(value: Optional[str]) -> Optional[str]:
    text = str(value or "").strip()
    return text if re.fullmatch(r"[0-9]{16}", text) else None


_BY_ID = sa.select(handoff_tickets).where(_COLUMNS.ticket_id == sa.bindparam("ticket_id"))
TICKETS_LOCK = "handoff_tickets"  # numbering new tickets
# Waiting in the queue: in the chat, no agent yet (tickets opened outside the chat or the
# agents' hours wait for an agent to claim them, and hold no place in it).
QUEUED = sa.and_(_COLUMNS.status == TicketStatus.OPEN.value, _COLUMNS.live == 1, _COLUMNS.assigned_to.is_(None))


class Tickets:
    def __init__(self, db: Database, clock: Clock, audit: HelpdeskAudit) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit

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
        customer_id: Optional[str] = None,
    ) -> str:
        """Open a ticket for the human agents and return its number; a conversation that has
        an open ticket already gets that one back.

        `order_id` is an order this conversation proved it owns; an order number it only
        mentioned goes in `claimed_order_id`. `customer_id`: the customer's account, if known
        (to link a returning customer's tickets across conversations)."""
        method = payment_method(requested_method)
        # One ticket at a time is numbered (and one open per conversation checked): on
        # PostgreSQL that is the TICKETS_LOCK, there being no row to lock yet.
        with self._db.transaction(TICKETS_LOCK):
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
                    live=int(live),
                    customer_id=customer_id,
                    previous_ticket_id=self._previous(sender_id, customer_id),
                )
            )
            self._audit.record(CUSTOMER, AuditAction.OPEN, ticket_id=ticket_id, detail=reason)
        return ticket_id

    def _next_number(self, prefix: str) -> str:
        issued = self._db.scalar(
            sa.select(sa.func.count()).select_from(handoff_tickets).where(_COLUMNS.ticket_id.like(prefix + "%"))
        )
        return f"{prefix}{issued + 1:04d}"

    def _previous(self, sender_id: str, customer_id: Optional[str]) -> Optional[str]:
        """The newest ticket of the same conversation or customer account within
        RETURNING_CUSTOMER_DAYS."""
        since = iso(self._clock() - timedelta(days=settings.RETURNING_CUSTOMER_DAYS))
        same = _COLUMNS.sender_id == sender_id
        if customer_id:
            same = sa.or_(same, _COLUMNS.customer_id == customer_id)
        return self._db.scalar(
            sa.select(_COLUMNS.ticket_id)
            .where(same, _COLUMNS.created_at >= since)
            .order_by(_COLUMNS.created_at.desc(), _COLUMNS.ticket_id.desc())
            .limit(1)
        )

    def close(
        self,
        ticket_id: str,
        closed_by: Optional[str] = None,
        reason: CloseReason = CloseReason.AGENT,
        transcript: Optional[List[Dict[str, Any]]] = None,
    ) -> bool:
        """Close an open ticket, keeping the whole `transcript` if given; False if it does
        not exist or was already closed. Who may close it is mall.assignment's to check."""
        changes: Dict[str, Any] = {"closed_by": closed_by}
        if transcript is not None:
            changes["transcript"] = json.dumps(transcript, ensure_ascii=False)
        with self._db.transaction():
            if not self._end(ticket_id, TicketStatus.CLOSED, reason, changes):
                return False
            action = AuditAction.IDLE_CLOSE if reason is CloseReason.IDLE else AuditAction.CLOSE
            self._audit.record(closed_by or SYSTEM, action, ticket_id=ticket_id)
        return True

    def cancel(self, ticket_id: str) -> bool:
        """The customer no longer wants an agent; False if the ticket was not open."""
        with self._db.transaction():
            if not self._end(ticket_id, TicketStatus.CANCELLED, CloseReason.CUSTOMER, {}):
                return False
            self._audit.record(CUSTOMER, AuditAction.CANCEL, ticket_id=ticket_id)
        return True

    def _end(self, ticket_id: str, status: TicketStatus, reason: CloseReason, changes: Dict[str, Any]) -> bool:
        ended = self._db.execute(
            handoff_tickets.update()
            .where(_COLUMNS.ticket_id == ticket_id, _COLUMNS.status == TicketStatus.OPEN.value)
            .values(status=status.value, closed_at=iso(self._clock()), close_reason=reason.value, **changes)
        ).rowcount
        return ended == 1

    def agent_replied(self, ticket_id: str, agent: str) -> None:
        """An agent wrote to the customer: the first time, the assistant keeps quiet from now
        on (and that is the ticket's first response)."""
        now = iso(self._clock())
        with self._db.transaction():
            self._db.execute(
                handoff_tickets.update()
                .where(_COLUMNS.ticket_id == ticket_id)
                .values(
                    agent_joined_at=sa.func.coalesce(_COLUMNS.agent_joined_at, now),
                    last_agent_message_at=now,
                )
            )
            self._audit.record(agent, AuditAction.REPLY, ticket_id=ticket_id)

    def customer_wrote(self, ticket_id: str) -> None:
        self._db.execute(
            handoff_tickets.update()
            .where(_COLUMNS.ticket_id == ticket_id)
            .values(last_customer_message_at=iso(self._clock()))
        )

    def tell(self, ticket_id: str, position: Optional[int], agent: Optional[str]) -> bool:
        """Record that the customer is being told their place in the queue (or the agent who
        joined); False if they were told exactly that already, or the ticket is not open:
        then nothing is to be said (so two tellers at once say it once)."""
        told = self._db.execute(
            handoff_tickets.update()
            .where(
                _COLUMNS.ticket_id == ticket_id,
                _COLUMNS.status == TicketStatus.OPEN.value,
                sa.or_(_COLUMNS.told_position.is_distinct_from(position), _COLUMNS.told_agent.is_distinct_from(agent)),
            )
            .values(told_position=position, told_agent=agent)
        ).rowcount
        return told == 1

    def idle(self, minutes: float) -> List[Ticket]:
        """Open tickets in the chat whose agent wrote last, `minutes` ago or longer."""
        return [
            Ticket.from_row(row)
            for row in self._db.rows(sa.select(handoff_tickets).where(_idle(self._cutoff(minutes))))
        ]

    def close_idle(self, ticket_id: str, minutes: float, transcript: Optional[List[Dict[str, Any]]] = None) -> bool:
        """Close the ticket if it is still idle (checked again in the same transaction)."""
        with self._db.transaction():
            still = self._db.first(
                sa.select(_COLUMNS.ticket_id)
                .where(_COLUMNS.ticket_id == ticket_id, _idle(self._cutoff(minutes)))
                .with_for_update()
            )
            return still is not None and self.close(ticket_id, None, CloseReason.IDLE, transcript)

    def _cutoff(self, minutes: float) -> str:
        return iso(self._clock() - timedelta(minutes=minutes))

    def queue_position(self, ticket_id: str) -> int:
        """1 for the next customer an agent will take: open tickets waiting in the chat with
        no agent assigned, oldest first."""
        ticket = self.get(ticket_id)
        if ticket is None:
            return 1
        ahead = self._db.scalar(
            sa.select(sa.func.count())
            .select_from(handoff_tickets)
            .where(
                QUEUED,
                sa.or_(
                    _COLUMNS.created_at < ticket.created_at,
                    sa.and_(_COLUMNS.created_at == ticket.created_at, _COLUMNS.ticket_id < ticket_id),
                ),
            )
        )
        return ahead + 1


def _idle(cutoff: str) -> Any:
    return sa.and_(
        _COLUMNS.status == TicketStatus.OPEN.value,
        _COLUMNS.live == 1,
        _COLUMNS.last_agent_message_at < cutoff,
        sa.or_(
            _COLUMNS.last_customer_message_at.is_(None),
            _COLUMNS.last_customer_message_at < _COLUMNS.last_agent_message_at,
        ),
    )
