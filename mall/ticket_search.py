"""Finding ended tickets (closed or cancelled) for the console's history: by ticket number,
order number (proved or only mentioned), masked phone number, the day it was opened (mall
time) and the agent who had or closed it. A ticket keeps its whole transcript when it
closes, so a phone number a customer typed is found as well as the one on the order."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, List, Optional

import sqlalchemy as sa

from mall.clock import iso
from mall.db import Database
from mall.migrations import customers, handoff_tickets, orders
from mall.privacy import mask_phones_in_text
from mall.support import MALL_TIME
from mall.tickets import Ticket, TicketStatus

_COLUMNS = handoff_tickets.c
_MASKED_PHONE = re.compile(r"(1\d\d)\*{4}(\d{4})")
MAX_RESULTS = 50


def _like(text: str) -> str:
    """`text` anywhere, taken literally."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


def _phone_pattern(text: str) -> Optional[str]:
    """A LIKE pattern for the phones a masked (or full) mobile number stands for."""
    masked = mask_phones_in_text(re.sub(r"[\s-]", "", text))
    found = _MASKED_PHONE.fullmatch(masked)
    return f"{found.group(1)}____{found.group(2)}" if found else None


def _day_bounds(day: date) -> tuple:
    start = datetime.combine(day, time(0), MALL_TIME).astimezone(timezone.utc)
    return iso(start), iso(start + timedelta(days=1))


class TicketSearch:
    def __init__(self, db: Database) -> None:
        self._db = db

    def ended(
        self, text: str = "", agent: Optional[str] = None, day: Optional[date] = None, limit: int = MAX_RESULTS
    ) -> List[Ticket]:
        """Ended tickets matching every criterion given, the latest ended first."""
        query = sa.select(handoff_tickets).where(_COLUMNS.status != TicketStatus.OPEN.value)
        text = text.strip()
        if text:
            query = query.where(sa.or_(*self._matching(text)))
        if agent:
            query = query.where(sa.or_(_COLUMNS.assigned_to == agent, _COLUMNS.closed_by == agent))
        if day:
            start, end = _day_bounds(day)
            query = query.where(_COLUMNS.created_at >= start, _COLUMNS.created_at < end)
        query = query.order_by(_COLUMNS.closed_at.desc(), _COLUMNS.ticket_id.desc()).limit(limit)
        return [Ticket.from_row(row) for row in self._db.rows(query)]

    @staticmethod
    def _matching(text: str) -> List[Any]:
        masked = mask_phones_in_text(text)
        conditions = [
            _COLUMNS.ticket_id == text.upper(),
            _COLUMNS.order_id == text,
            _COLUMNS.claimed_order_id == text,
            _COLUMNS.transcript.like(_like(masked), escape="\\"),
        ]
        phone = _phone_pattern(text)
        if phone:
            conditions.append(_COLUMNS.order_id.in_(sa.select(orders.c.order_id).where(orders.c.phone.like(phone))))
            conditions.append(
                _COLUMNS.customer_id.in_(sa.select(customers.c.customer_id).where(customers.c.phone.like(phone)))
            )
        return conditions
