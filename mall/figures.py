"""The owner's figures, each defined once here (DEFINITIONS: the README, `python -m
mall.insights --help`, `make insights` and the console's pages show these words), computed
from the recorded sessions (mall.sessions) in one grouped query, on SQLite or PostgreSQL.

Days are the mall's (China Standard Time); a session belongs to the day it started.
Every figure is a whole number except the CSAT average, rounded half up to 2 decimals.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Dict, Iterable, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mall import settings
from mall.ratings import NEGATIVE
from mall.sessions import sessions_table

LANGUAGES = ("zh", "en")
AVERAGE_PLACES = Decimal("0.01")

DEFINITIONS: Dict[str, str] = {
    "sessions": (
        "Conversation sessions with at least one customer message, counted on the mall day (UTC+8) the "
        "session started. A session starts with a new conversation, after "
        f"{settings.SESSION_IDLE_MINUTES} idle minutes, or at a typed /restart."
    ),
    "handed_off": "Sessions in which a handoff ticket was opened: the customer was passed to a human agent.",
    "contained": "sessions − handed_off: the sessions the assistant handled without a human.",
    "resolved": (
        "Contained sessions that reached an answer (installments, fees, quotes, repaying, an order's status) "
        "or a finished task (an order's payment method changed), got no negative rating (1 or 2 of 5), and "
        "whose customer (the signed-in account, else the conversation) opened no ticket within 7 days after "
        "the session started."
    ),
    "fallbacks": (
        "Customer messages the assistant did not understand, each once: answered with 'did you mean …?' "
        "guesses, the main topics, at a second miss in a row the offer of a human, or Rasa's default fallback "
        "(understood, but nothing to do next)."
    ),
    "change_payment.started": "Sessions in which the customer asked to change an order's payment method.",
    "change_payment.verified": "Of those, sessions in which the customer then proved an order was theirs.",
    "change_payment.confirmed": "Of those, sessions in which the customer then said yes to the summarised change.",
    "change_payment.reordered": "Of those, sessions in which the order was then cancelled and placed again.",
    "change_payment.handed_off": "Started sessions in which a paid order went to a human agent.",
    "change_payment.abandoned": (
        f"Started sessions that ended ({settings.SESSION_IDLE_MINUTES} idle minutes) with the order neither "
        "placed again, nor declined by the customer, nor handed off, nor found to allow no change "
        "(cancelled, refunded or replaced already)."
    ),
    "csat.responses": "Sessions the customer rated (1-5 buttons; a session's last rating counts).",
    "csat.average": "The mean of those ratings, rounded half up to 2 decimals; null without responses.",
    "by_language": (
        "The same figures by the session's language: its first customer message with words in it (zh or en), "
        "else the page's language, else zh."
    ),
    "by_day": "The same figures by the mall day each session started, every day of the range.",
}


@dataclass
class Funnel:
    started: int = 0
    verified: int = 0
    confirmed: int = 0
    reordered: int = 0
    handed_off: int = 0
    abandoned: int = 0


@dataclass
class Counts:
    """Whole-number sums over sessions; the figures are derived from them."""

    sessions: int = 0
    handed_off: int = 0
    resolved: int = 0
    fallbacks: int = 0
    change_payment: Funnel = field(default_factory=Funnel)
    ratings: int = 0
    rating_total: int = 0

    def add(self, other: Counts) -> None:
        for name in ("sessions", "handed_off", "resolved", "fallbacks", "ratings", "rating_total"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for stage in fields(Funnel):
            mine, theirs = self.change_payment, other.change_payment
            setattr(mine, stage.name, getattr(mine, stage.name) + getattr(theirs, stage.name))

    @property
    def csat_average(self) -> Optional[Decimal]:
        if not self.ratings:
            return None
        return (Decimal(self.rating_total) / Decimal(self.ratings)).quantize(AVERAGE_PLACES, ROUND_HALF_UP)

    def as_json(self) -> Dict[str, Any]:
        average = self.csat_average
        return {
            "sessions": self.sessions,
            "contained": self.sessions - self.handed_off,
            "handed_off": self.handed_off,
            "resolved": self.resolved,
            "fallbacks": self.fallbacks,
            "change_payment": {stage.name: getattr(self.change_payment, stage.name) for stage in fields(Funnel)},
            "csat": {"responses": self.ratings, "average": float(average) if average is not None else None},
        }


@dataclass
class Figures:
    total: Counts
    by_language: Dict[str, Counts]
    by_day: Dict[str, Counts]

    def as_json(self) -> Dict[str, Any]:
        """The command's output: exactly the keys of SPEC section 9."""
        return {
            **self.total.as_json(),
            "by_language": {language: counts.as_json() for language, counts in self.by_language.items()},
            "by_day": {day: counts.as_json() for day, counts in self.by_day.items()},
        }


# -- the query -----------------------------------------------------------------------------

_S = sessions_table.c


def _flag(condition: Any) -> Any:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _columns(ended_before: float) -> List[Any]:
    """The sums of one group of sessions, in the order _counts reads them."""
    contained = _S.ticket_id.is_(None)
    started = _S.change_started == 1
    reached = sa.or_(_S.answered == 1, _S.task_done == 1)
    not_negative = sa.or_(_S.rating.is_(None), _S.rating.notin_(sorted(NEGATIVE)))
    finished = sa.or_(_S.change_reordered == 1, _S.change_declined == 1, _S.change_not_possible == 1)
    return [
        sa.func.count(),
        _flag(sa.not_(contained)),
        _flag(sa.and_(contained, reached, not_negative, _S.ticket_within_7_days == 0)),
        sa.func.sum(_S.fallbacks),
        sa.func.sum(_S.change_started),
        sa.func.sum(_S.change_verified),
        sa.func.sum(_S.change_confirmed),
        sa.func.sum(_S.change_reordered),
        sa.func.sum(_S.change_handed_off),
        _flag(sa.and_(started, sa.not_(finished), contained, _S.last_at < ended_before)),
        sa.func.count(_S.rating),
        sa.func.sum(_S.rating),
    ]


def _counts(values: Iterable[Any]) -> Counts:
    numbers = [int(value or 0) for value in values]
    sessions, handed_off, resolved, fallbacks = numbers[:4]
    funnel = Funnel(*numbers[4:10])
    return Counts(sessions, handed_off, resolved, fallbacks, funnel, numbers[10], numbers[11])


def grouped_counts(
    connection: Connection, first_day: Optional[str], last_day: Optional[str], now: float
) -> List[Tuple[str, str, Counts]]:
    """(day, language, counts) for every group of sessions in the range (days inclusive)."""
    ended_before = now - settings.SESSION_IDLE_MINUTES * 60
    query = sa.select(_S.day, _S.language, *_columns(ended_before)).where(_S.messages > 0)
    if first_day:
        query = query.where(_S.day >= first_day)
    if last_day:
        query = query.where(_S.day <= last_day)
    rows = connection.execute(query.group_by(_S.day, _S.language))
    return [(row[0], row[1], _counts(row[2:])) for row in rows]


def days_between(first: str, last: str) -> List[str]:
    start, stop = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=offset)).isoformat() for offset in range((stop - start).days + 1)]


def figures(
    connection: Connection, first_day: Optional[str] = None, last_day: Optional[str] = None, *, now: float
) -> Figures:
    """The figures for sessions started from `first_day` to `last_day` (mall days, inclusive;
    None: unbounded). `now` (epoch seconds) tells which sessions have ended."""
    groups = grouped_counts(connection, first_day, last_day, now)
    total = Counts()
    by_language = {language: Counts() for language in LANGUAGES}
    seen_days = sorted({day for day, _, _ in groups})
    first = first_day or (seen_days[0] if seen_days else None)
    last = last_day or (seen_days[-1] if seen_days else None)
    by_day = {day: Counts() for day in days_between(first, last)} if first and last else {}
    for day, language, counts in groups:
        total.add(counts)
        by_language.setdefault(language, Counts()).add(counts)
        by_day.setdefault(day, Counts()).add(counts)
    return Figures(total, by_language, dict(sorted(by_day.items())))


def handoffs_by_reason(
    connection: Connection, first_day: Optional[str] = None, last_day: Optional[str] = None
) -> Dict[str, int]:
    """Handed-off sessions by the ticket's reason (mall.outcomes.HandoffReason), most first."""
    query = sa.select(_S.handoff_reason, sa.func.count()).where(_S.ticket_id.isnot(None), _S.messages > 0)
    if first_day:
        query = query.where(_S.day >= first_day)
    if last_day:
        query = query.where(_S.day <= last_day)
    rows = connection.execute(query.group_by(_S.handoff_reason))
    return dict(sorted(((str(reason), int(count)) for reason, count in rows), key=lambda item: (-item[1], item[0])))
