"""What each session adds to the figures, and their running sums by day and language.

A session's contribution (`contribution`) is where the figures' definitions (mall.figures)
become arithmetic: the one place that says which sessions count as handed off, resolved, in
each step of the change funnel, rated. `session_days` keeps the sums per mall day and
language, moved by each change of a session row in the same transaction (mall.sessions), so
the figures over a million sessions read a few hundred rows. Only `abandoned` depends on the
time of asking: the sums keep the sessions with a change still open (`change_open`), and
mall.figures leaves out those whose last event is less than the idle time ago.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, Iterable, List, Optional, Protocol, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mall.ratings import NEGATIVE

COUNTERS = (
    "sessions",
    "handed_off",
    "resolved",
    "fallbacks",
    "change_started",
    "change_verified",
    "change_confirmed",
    "change_reordered",
    "change_handed_off",
    "change_open",  # started, then nothing that ends a change (yet), no handoff
    "ratings",
    "rating_total",
)

METADATA = sa.MetaData()
days_table = sa.Table(
    "session_days",
    METADATA,
    sa.Column("day", sa.Text, primary_key=True),  # the mall day the sessions started
    sa.Column("language", sa.Text, primary_key=True),
    *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in COUNTERS),
)


class SessionFacts(Protocol):
    """What a contribution reads of a recorded session (mall.sessions.Session)."""

    day: str
    language: str
    messages: int
    fallbacks: int
    answered: int
    task_done: int
    ticket_id: Optional[str]
    change_started: int
    change_verified: int
    change_confirmed: int
    change_reordered: int
    change_declined: int
    change_not_possible: int
    change_handed_off: int
    rating: Optional[int]
    ticket_within_7_days: int


def contribution(session: SessionFacts) -> Dict[str, int]:
    """What one session adds to each sum: nothing without a customer message."""
    if not session.messages:
        return {}
    contained = session.ticket_id is None
    reached = bool(session.answered or session.task_done)
    negative = session.rating in NEGATIVE
    ended = session.change_reordered or session.change_declined or session.change_not_possible
    return {
        "sessions": 1,
        "handed_off": int(not contained),
        "resolved": int(contained and reached and not negative and not session.ticket_within_7_days),
        "fallbacks": session.fallbacks,
        "change_started": session.change_started,
        "change_verified": session.change_verified,
        "change_confirmed": session.change_confirmed,
        "change_reordered": session.change_reordered,
        "change_handed_off": session.change_handed_off,
        "change_open": int(bool(session.change_started and not ended and contained)),
        "ratings": int(session.rating is not None),
        "rating_total": session.rating or 0,
    }


Key = Tuple[str, str]


def move(connection: Connection, before: Optional[SessionFacts], after: Optional[SessionFacts]) -> None:
    """A session row changed from `before` to `after` (None: it did not exist): its
    contribution leaves the sums of `before`'s day and language and joins `after`'s."""
    deltas: Dict[Key, Dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for session, sign in ((before, -1), (after, 1)):
        if session is None:
            continue
        for name, value in contribution(session).items():
            deltas[(session.day, session.language)][name] += sign * value
    for (day, language), delta in deltas.items():
        if any(delta.values()):
            connection.execute(_add_statement(connection), {"day": day, "language": language, **delta})


_ADD: Dict[str, Any] = {}


def _add_statement(connection: Connection) -> Any:
    """INSERT … ON CONFLICT DO UPDATE adding to the sums (both dialects), written once each."""
    dialect = connection.dialect.name
    if dialect not in _ADD:
        quote = connection.dialect.identifier_preparer.quote
        table = quote(days_table.name)
        columns = ", ".join(quote(name) for name in ("day", "language", *COUNTERS))
        values = ", ".join(f":{name}" for name in ("day", "language", *COUNTERS))
        added = ", ".join(f"{quote(name)} = {table}.{quote(name)} + excluded.{quote(name)}" for name in COUNTERS)
        _ADD[dialect] = sa.text(
            f"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT (day, language) DO UPDATE SET {added}"
        )
    return _ADD[dialect]


def sums(connection: Connection, first_day: Optional[str], last_day: Optional[str]) -> List[Dict[str, Any]]:
    """The sums of every day and language in the range (mall days, inclusive; None: open)."""
    query = sa.select(days_table)
    if first_day:
        query = query.where(days_table.c.day >= first_day)
    if last_day:
        query = query.where(days_table.c.day <= last_day)
    return [dict(row) for row in connection.execute(query).mappings()]


def recount(connection: Connection, sessions: Iterable[SessionFacts]) -> None:
    """Every sum again from `sessions` (all the recorded ones): after rows were written in
    bulk (the benchmark's generated sessions), or to check the running sums."""
    totals: Dict[Key, Dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for session in sessions:
        for name, value in contribution(session).items():
            totals[(session.day, session.language)][name] += value
    connection.execute(days_table.delete())
    rows = [{"day": day, "language": language, **counts} for (day, language), counts in totals.items()]
    if rows:
        connection.execute(days_table.insert(), rows)
