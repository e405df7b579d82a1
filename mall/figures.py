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
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mall import rollup, settings
from mall.sessions import active_since, sessions_table

LANGUAGES = ("zh", "en")
AVERAGE_PLACES = Decimal("0.01")
RATE_DECIMALS = 1  # rates are percentages with this many decimals

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

# Rates shown beside the figures (the console's insights page, `make insights`); not keys of the
# JSON, whose keys are fixed. Each is a share of all sessions, so the two read on one scale.
RATE_DEFINITIONS: Dict[str, str] = {
    "containment": (
        "contained ÷ sessions, as a percentage rounded half up to 1 decimal (computed exactly, "
        "not in floating point); null without sessions."
    ),
    "resolution": (
        "resolved ÷ sessions, as a percentage rounded half up to 1 decimal (computed exactly, "
        "not in floating point); null without sessions. Resolved sessions are contained ones, so "
        "resolution ≤ containment."
    ),
}


def rate(part: int, whole: int) -> Optional[Decimal]:
    """part ÷ whole as a percentage, rounded half up to RATE_DECIMALS. In whole numbers, so it
    is exact: a Decimal division would round once at its context's precision before the
    rounding asked for."""
    if whole <= 0:
        return None
    scale = 100 * 10**RATE_DECIMALS
    quotient, remainder = divmod(part * scale, whole)
    if 2 * remainder >= whole:
        quotient += 1
    return Decimal(quotient).scaleb(-RATE_DECIMALS)


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

    def rates(self) -> Dict[str, Optional[Decimal]]:
        """RATE_DEFINITIONS, in its order."""
        return {
            "containment": rate(self.sessions - self.handed_off, self.sessions),
            "resolution": rate(self.resolved, self.sessions),
        }

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


# -- reading the sums ------------------------------------------------------------------------

_S = sessions_table.c


def _counts(sums: Dict[str, Any]) -> Counts:
    funnel = Funnel(
        started=sums["change_started"],
        verified=sums["change_verified"],
        confirmed=sums["change_confirmed"],
        reordered=sums["change_reordered"],
        handed_off=sums["change_handed_off"],
        abandoned=sums["change_open"],
    )
    return Counts(
        sessions=sums["sessions"],
        handed_off=sums["handed_off"],
        resolved=sums["resolved"],
        fallbacks=sums["fallbacks"],
        change_payment=funnel,
        ratings=sums["ratings"],
        rating_total=sums["rating_total"],
    )


def grouped_counts(
    connection: Connection, first_day: Optional[str], last_day: Optional[str], now: float
) -> List[Tuple[str, str, Counts]]:
    """(day, language, counts) for every day and language in the range (days inclusive): the
    sums kept by mall.rollup, less the changes of sessions still going (not abandoned yet)."""
    groups = {(row["day"], row["language"]): _counts(row) for row in rollup.sums(connection, first_day, last_day)}
    for session in active_since(connection, now - settings.SESSION_IDLE_MINUTES * 60):
        counts = groups.get((session.day, session.language))
        if counts is not None:  # a session outside the range has no group here
            counts.change_payment.abandoned -= rollup.contribution(session).get("change_open", 0)
    return [(day, language, counts) for (day, language), counts in groups.items()]


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
    seen_days = sorted({day for day, _, counts in groups if counts.sessions})
    first = first_day or (seen_days[0] if seen_days else None)
    last = last_day or (seen_days[-1] if seen_days else None)
    by_day = {day: Counts() for day in days_between(first, last)} if first and last else {}
    for day, language, counts in groups:
        if not counts.sessions:
            continue  # a day its sessions were moved away from (mall.redate): all zeros
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
