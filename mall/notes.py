"""Internal notes on a ticket: what agents tell each other (a transfer's reason, what was
checked). They are shown in the console only and never sent to the customer: nothing here
talks to Rasa. Phone numbers are masked before they are stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

import sqlalchemy as sa

from mall.audit import AuditAction, HelpdeskAudit
from mall.clock import Clock, iso
from mall.db import Database
from mall.migrations import ticket_notes
from mall.privacy import mask_phones_in_text

MAX_NOTE_CHARS = 2000


@dataclass(frozen=True)
class Note:
    id: int
    ticket_id: str
    author: str
    text: str
    created_at: str


class TicketNotes:
    def __init__(self, db: Database, clock: Clock, audit: HelpdeskAudit) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit

    def add(self, ticket_id: str, author: str, text: str) -> None:
        """Joins the caller's transaction (a transfer writes its note with it)."""
        text = mask_phones_in_text(text.strip())
        if not 0 < len(text) <= MAX_NOTE_CHARS:
            raise ValueError(f"a note has 1 to {MAX_NOTE_CHARS} characters")
        with self._db.transaction():
            self._db.execute(
                ticket_notes.insert().values(
                    ticket_id=ticket_id, author=author, text=text, created_at=iso(self._clock())
                )
            )
            self._audit.record(author, AuditAction.NOTE, ticket_id=ticket_id)

    def for_ticket(self, ticket_id: str) -> List[Note]:
        query = sa.select(ticket_notes).where(ticket_notes.c.ticket_id == ticket_id).order_by(ticket_notes.c.id)
        return [Note(**row) for row in self._db.rows(query)]
