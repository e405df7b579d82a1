"""Who has a ticket: automatic assignment, the queue, claims, transfers, and who may act.

The rules (the README's handoff section says them too):

- A ticket opened in the chat during the agents' hours (`live`) goes at once to an online,
  enabled agent with fewer than AGENT_MAX_CHATS open tickets (mall.settings): the one with
  the fewest; among equals, the one whose latest assignment is oldest; then by name.
  Supervisors are not given tickets automatically (they watch, reassign, and may claim).
- With nobody free it waits in the queue (mall.tickets.QUEUED), oldest first. When an agent
  comes online or frees a slot, the web app calls `dispatch`, which hands the queue's oldest
  tickets to free agents by the same rule. Any agent may also claim a queued ticket (a
  claim is a decision of their own, so the limit does not apply). Tickets opened outside
  the chat or the hours are not assigned automatically: agents claim them.
- The ticket's agent may transfer it to another enabled agent, with a note; a supervisor
  may reassign any open ticket. Disabling an agent puts their open tickets back in the queue.
- Only the ticket's agent or a supervisor may reply to it, write a note on it, transfer or
  close it (`may_act`); the web app answers anyone else with 403, and every change here
  checks it again inside its transaction.

Race safety: every change of who has a ticket is one transaction that holds ASSIGNMENT_LOCK
(on PostgreSQL an advisory lock for the transaction, so across every process and instance;
on SQLite the file's write lock, which every writer holds anyway) and reads what it decides
on inside it: the ticket's status and agent, who is online, everyone's load. Of two agents
claiming a ticket at once, one gets it and the other `Conflict`; two tickets opened at once
never push an agent over the limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa

from mall import settings
from mall.agents import Agent, Agents
from mall.audit import SYSTEM, AuditAction, HelpdeskAudit
from mall.clock import Clock, iso
from mall.db import Database
from mall.migrations import handoff_tickets
from mall.notes import TicketNotes
from mall.tickets import QUEUED, TICKETS_LOCK, CloseReason, Ticket, Tickets, TicketStatus

ASSIGNMENT_LOCK = "helpdesk:assignment"
_COLUMNS = handoff_tickets.c
_OPEN = _COLUMNS.status == TicketStatus.OPEN.value


class NotAllowed(Exception):
    """The agent may not do that to this ticket (HTTP 403)."""


class Conflict(Exception):
    """The ticket is no longer in a state for that: closed, or someone else's (HTTP 409)."""


def may_act(agent: Agent, ticket: Ticket) -> bool:
    """Reply, note, transfer, close: the ticket's agent, or a supervisor."""
    return agent.is_supervisor or ticket.assigned_to == agent.name


def may_view(agent: Agent, ticket: Ticket) -> bool:
    """An agent sees their own tickets, the queue and the closed tickets (the history); a
    supervisor sees everything."""
    return may_act(agent, ticket) or ticket.assigned_to is None or not ticket.is_open


@dataclass(frozen=True)
class QueueStatus:
    position: int  # 1: the next to be taken
    wait_minutes: Optional[int]  # None: no recent first response to go by


class Assignment:
    def __init__(
        self, db: Database, clock: Clock, tickets: Tickets, agents: Agents, notes: TicketNotes, audit: HelpdeskAudit
    ) -> None:
        self._db = db
        self._clock = clock
        self._tickets = tickets
        self._agents = agents
        self._notes = notes
        self._audit = audit

    # -- reads ------------------------------------------------------------------------------

    def loads(self) -> Dict[str, int]:
        """Open tickets per agent."""
        query = (
            sa.select(_COLUMNS.assigned_to, sa.func.count().label("open"))
            .where(_OPEN, _COLUMNS.assigned_to.is_not(None))
            .group_by(_COLUMNS.assigned_to)
        )
        return {row["assigned_to"]: row["open"] for row in self._db.rows(query)}

    def visible_to(self, agent: Agent) -> List[Ticket]:
        """The open tickets the agent's list shows, newest first: their own and the queue;
        a supervisor's, every open ticket."""
        query = sa.select(handoff_tickets).where(_OPEN)
        if not agent.is_supervisor:
            query = query.where(sa.or_(_COLUMNS.assigned_to == agent.name, _COLUMNS.assigned_to.is_(None)))
        query = query.order_by(_COLUMNS.created_at.desc(), _COLUMNS.ticket_id.desc())
        return [Ticket.from_row(row) for row in self._db.rows(query)]

    def queue_status(self, ticket_id: str) -> Optional[QueueStatus]:
        """Where a queued ticket stands; None if it is not in the queue. The wait is the
        mean first response of the last RECENT_FIRST_RESPONSES answered tickets, times the
        place in the queue, shared among the agents online."""
        ticket = self._tickets.get(ticket_id)
        if ticket is None or not ticket.is_open or not ticket.live or ticket.assigned_to:
            return None
        position = self._tickets.queue_position(ticket_id)
        answered = self._db.rows(
            sa.select(_COLUMNS.created_at, _COLUMNS.agent_joined_at)
            .where(_COLUMNS.agent_joined_at.is_not(None))
            .order_by(_COLUMNS.agent_joined_at.desc())
            .limit(settings.RECENT_FIRST_RESPONSES)
        )
        if not answered:
            return QueueStatus(position, None)
        seconds = [_seconds_between(row["created_at"], row["agent_joined_at"]) for row in answered]
        agents = max(1, len(self._agents.online()))
        mean = sum(seconds) / len(seconds)
        return QueueStatus(position, max(1, math.ceil(mean * position / agents / 60)))

    def untold(self) -> List[Tuple[Ticket, Optional[int]]]:
        """Open tickets in the chat whose customer has not been told how their wait stands
        now (the agent who has their ticket, or their place in the queue), with that place."""
        in_the_chat = sa.select(handoff_tickets).where(_OPEN, _COLUMNS.live == 1)
        rows = self._db.rows(in_the_chat.order_by(_COLUMNS.created_at, _COLUMNS.ticket_id))
        untold: List[Tuple[Ticket, Optional[int]]] = []
        position = 0
        for ticket in map(Ticket.from_row, rows):
            if ticket.assigned_to is None:
                position += 1
                if ticket.told_position != position or ticket.told_agent is not None:
                    untold.append((ticket, position))
            elif ticket.told_agent != ticket.assigned_to:
                untold.append((ticket, None))
        return untold

    # -- changes ----------------------------------------------------------------------------

    def open_ticket(self, **fields: Any) -> Ticket:
        """mall.tickets.Tickets.open, and a ticket in the chat assigned at once if someone
        is free, in one transaction."""
        with self._db.transaction(TICKETS_LOCK, ASSIGNMENT_LOCK):
            ticket_id = self._tickets.open(**fields)
            ticket = self._get(ticket_id)
            if ticket.live and ticket.is_open and ticket.assigned_to is None:
                agent = self._free_agent()
                if agent:
                    self._assign(ticket_id, agent, SYSTEM, AuditAction.ASSIGN)
            return self._get(ticket_id)

    def dispatch(self) -> List[Ticket]:
        """The queue's oldest tickets to free online agents, while there are both."""
        assigned: List[Ticket] = []
        if not self._db.scalar(sa.select(sa.func.count()).where(QUEUED)):
            return assigned  # (checked again inside: this only spares an idle web app the write lock)
        with self._db.transaction(ASSIGNMENT_LOCK):
            queued = self._db.rows(sa.select(_COLUMNS.ticket_id).where(QUEUED).order_by(_COLUMNS.created_at))
            for row in queued:
                agent = self._free_agent()
                if agent is None:
                    break
                self._assign(row["ticket_id"], agent, SYSTEM, AuditAction.ASSIGN)
                assigned.append(self._get(row["ticket_id"]))
        return assigned

    def claim(self, ticket_id: str, agent: Agent) -> Ticket:
        with self._db.transaction(ASSIGNMENT_LOCK):
            ticket = self._locked(ticket_id)
            if not ticket.is_open or ticket.assigned_to is not None:
                raise Conflict(f"{ticket_id} is {'taken' if ticket.is_open else 'closed'} already")
            self._assign(ticket_id, agent.name, agent.name, AuditAction.CLAIM)
            return self._get(ticket_id)

    def transfer(self, ticket_id: str, by: Agent, to: str, note: str) -> Ticket:
        """To another enabled agent, with a note for them. By the ticket's agent a transfer;
        by a supervisor who does not have it, a reassignment."""
        with self._db.transaction(ASSIGNMENT_LOCK):
            ticket = self._locked(ticket_id)
            if not ticket.is_open:
                raise Conflict(f"{ticket_id} is closed")
            if not may_act(by, ticket):
                raise NotAllowed(f"{ticket_id} is not yours")
            target = self._agents.get(to)
            if target is None or target.disabled:
                raise ValueError(f"no agent {to} to hand it to")
            if target.name == ticket.assigned_to:
                raise Conflict(f"{ticket_id} is {to}'s already")
            action = AuditAction.TRANSFER if ticket.assigned_to == by.name else AuditAction.REASSIGN
            self._assign(ticket_id, target.name, by.name, action, detail=ticket.assigned_to)
            if note.strip():
                self._notes.add(ticket_id, by.name, note)
            return self._get(ticket_id)

    def add_note(self, ticket_id: str, by: Agent, text: str) -> None:
        """An internal note, by the ticket's agent or a supervisor (closed tickets too)."""
        with self._db.transaction():
            if not may_act(by, self._locked(ticket_id)):
                raise NotAllowed(f"{ticket_id} is not yours")
            self._notes.add(ticket_id, by.name, text)

    def close(self, ticket_id: str, by: Agent, transcript: Optional[List[Dict[str, Any]]] = None) -> bool:
        """False if it was closed already."""
        with self._db.transaction():
            ticket = self._locked(ticket_id)
            if not ticket.is_open:
                return False
            if not may_act(by, ticket):
                raise NotAllowed(f"{ticket_id} is not yours")
            return self._tickets.close(ticket_id, by.name, CloseReason.AGENT, transcript)

    def set_disabled(self, name: str, disabled: bool, actor: str) -> bool:
        """mall.agents.Agents.set_disabled; a disabled agent's open tickets go back to the queue."""
        with self._db.transaction(ASSIGNMENT_LOCK):
            changed = self._agents.set_disabled(name, disabled, actor)
            if changed and disabled:
                theirs = self._db.rows(sa.select(_COLUMNS.ticket_id).where(_OPEN, _COLUMNS.assigned_to == name))
                for row in theirs:
                    self._assign(row["ticket_id"], None, actor, AuditAction.REASSIGN, detail=name)
            return changed

    # -- inside the transactions ------------------------------------------------------------

    def _get(self, ticket_id: str) -> Ticket:
        ticket = self._tickets.get(ticket_id)
        if ticket is None:
            raise LookupError(f"no ticket {ticket_id}")
        return ticket

    def _locked(self, ticket_id: str) -> Ticket:
        row = self._db.first(sa.select(handoff_tickets).where(_COLUMNS.ticket_id == ticket_id).with_for_update())
        if row is None:
            raise LookupError(f"no ticket {ticket_id}")
        return Ticket.from_row(row)

    def _assign(
        self, ticket_id: str, agent: Optional[str], actor: str, action: AuditAction, detail: Optional[str] = None
    ) -> None:
        """`agent` None: back to the queue."""
        self._db.execute(
            handoff_tickets.update()
            .where(_COLUMNS.ticket_id == ticket_id, _OPEN)
            .values(assigned_to=agent, assigned_at=iso(self._clock()) if agent else None)
        )
        self._audit.record(actor, action, ticket_id=ticket_id, subject=agent, detail=detail)

    def _free_agent(self) -> Optional[str]:
        """Who gets the next ticket: online, under the limit, the fewest open tickets, the
        longest since their latest assignment."""
        loads = self.loads()
        limit = settings.agent_max_chats()
        online = [agent for agent in self._agents.online() if not agent.is_supervisor]
        free = [agent.name for agent in online if loads.get(agent.name, 0) < limit]
        if not free:
            return None
        latest = {
            row["assigned_to"]: row["latest"]
            for row in self._db.rows(
                sa.select(_COLUMNS.assigned_to, sa.func.max(_COLUMNS.assigned_at).label("latest"))
                .where(_COLUMNS.assigned_to.in_(free))
                .group_by(_COLUMNS.assigned_to)
            )
        }
        return min(free, key=lambda name: (loads.get(name, 0), latest.get(name) or "", name))


def _seconds_between(start: str, end: str) -> float:
    return max(0.0, (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())
