"""python -m mall.insights [--json] [--from YYYY-MM-DD] [--to YYYY-MM-DD]: what the assistant
resolves, where customers drop out, what they think (issue 22).

The figures come from the conversation store's recorded sessions (mall.sessions, defined in
mall.figures); the agents' times from the order store's handoff tickets. `Insights` is what
the console's pages call: the same numbers as the command, in the same words.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Dict, List, Optional, Sequence

from mall import figures, settings
from mall.conversations import ConversationLog
from mall.figures import DEFINITIONS, RATE_DEFINITIONS, Figures
from mall.review import Group, grouped
from mall.sessions import mall_day
from mall.store import OrderStore
from mall.tickets import Ticket, TicketStatus

AGENT_DEFINITIONS: Dict[str, str] = {
    "first_response": (
        "Median time from a ticket's opening to an agent's first reply, over the tickets opened in the range "
        "that got one (whole seconds)."
    ),
    "handling": (
        "Median time from a ticket's latest assignment to an agent to its closing by an agent, over the tickets "
        "opened in the range that an agent closed (whole seconds)."
    ),
}


@dataclass(frozen=True)
class TicketTimes:
    first_response: Optional[float]  # seconds from opening to the first agent reply
    handling: Optional[float]  # seconds from the latest assignment to an agent to closing


def _seconds_between(start: Optional[str], end: Optional[str]) -> Optional[float]:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def ticket_times(ticket: Ticket) -> TicketTimes:
    """The one reader of a ticket's timestamps for the figures, as the helpdesk defines them
    (mall.migrations.helpdesk): first response = agent_joined_at - created_at, handling =
    closed_at - assigned_at. When the helpdesk records them otherwise, only this changes."""
    closed_by_agent = ticket.status is TicketStatus.CLOSED and ticket.assigned_at is not None
    return TicketTimes(
        first_response=_seconds_between(ticket.created_at, ticket.agent_joined_at),
        handling=_seconds_between(ticket.assigned_at, ticket.closed_at) if closed_by_agent else None,
    )


@dataclass(frozen=True)
class AgentTimes:
    tickets: int
    first_response_median: Optional[int]  # seconds
    handling_median: Optional[int]  # seconds


def _median(values: List[float]) -> Optional[int]:
    if not values:
        return None
    return int(Decimal(str(statistics.median(values))).quantize(Decimal(1), ROUND_HALF_UP))


def agent_times(
    tickets: Sequence[Ticket], first_day: Optional[str] = None, last_day: Optional[str] = None
) -> AgentTimes:
    """The agents' medians over the tickets opened in the range (mall days, inclusive)."""
    chosen = [
        ticket
        for ticket in tickets
        if ticket.created_at
        and (not first_day or _ticket_day(ticket) >= first_day)
        and (not last_day or _ticket_day(ticket) <= last_day)
    ]
    times = [ticket_times(ticket) for ticket in chosen]
    return AgentTimes(
        tickets=len(chosen),
        first_response_median=_median([t.first_response for t in times if t.first_response is not None]),
        handling_median=_median([t.handling for t in times if t.handling is not None]),
    )


def _ticket_day(ticket: Ticket) -> str:
    return mall_day(datetime.fromisoformat(ticket.created_at or "").timestamp())


class Insights:
    """The figures over the two stores, for the command and the console's pages."""

    def __init__(self, conversations: ConversationLog, orders: OrderStore) -> None:
        self.conversations = conversations
        self.orders = orders

    def figures(self, first_day: Optional[str] = None, last_day: Optional[str] = None) -> Figures:
        with self.conversations.db.connection() as connection:
            return figures.figures(connection, first_day, last_day, now=time.time())

    def handoffs_by_reason(self, first_day: Optional[str] = None, last_day: Optional[str] = None) -> Dict[str, int]:
        with self.conversations.db.connection() as connection:
            return figures.handoffs_by_reason(connection, first_day, last_day)

    def agent_times(self, first_day: Optional[str] = None, last_day: Optional[str] = None) -> AgentTimes:
        return agent_times(self.orders.tickets.listed(), first_day, last_day)

    def frequent_misses(self, first_day: Optional[str] = None, last_day: Optional[str] = None) -> List[Group]:
        """The messages not understood, grouped as `make review` groups them."""
        misses = self.orders.misses.since()
        return grouped([m for m in misses if _in_range(m.created_at, first_day, last_day)])


def _in_range(created_at: str, first_day: Optional[str], last_day: Optional[str]) -> bool:
    day = mall_day(datetime.fromisoformat(created_at).timestamp())
    return (not first_day or day >= first_day) and (not last_day or day <= last_day)


# -- the command ---------------------------------------------------------------------------


def readable(
    shown: Dict[str, Any], rates: Dict[str, Optional[Decimal]], reasons: Dict[str, int], agents: AgentTimes
) -> str:
    """`make insights`: the figures with their definitions."""
    lines: List[str] = []
    for key in ("sessions", "contained", "handed_off", "resolved", "fallbacks"):
        lines.append(f"{key:>12}  {shown[key]:>8}   {DEFINITIONS[key]}")
    for key, percent in rates.items():
        lines.append(f"{key:>12}  {'-' if percent is None else f'{percent}%':>8}   {RATE_DEFINITIONS[key]}")
    lines.append("change_payment")
    for stage, value in shown["change_payment"].items():
        lines.append(f"{stage:>12}  {value:>8}   {DEFINITIONS['change_payment.' + stage]}")
    average = shown["csat"]["average"]
    lines.append("csat")
    lines.append(f"{'responses':>12}  {shown['csat']['responses']:>8}   {DEFINITIONS['csat.responses']}")
    lines.append(f"{'average':>12}  {'-' if average is None else f'{average:.2f}':>8}   {DEFINITIONS['csat.average']}")
    lines.append("handoffs by reason: " + (", ".join(f"{r} {n}" for r, n in reasons.items()) or "none"))
    lines.append(f"agents ({agents.tickets} tickets)")
    for name, value in (("first_response", agents.first_response_median), ("handling", agents.handling_median)):
        lines.append(f"{name:>14}  {'-' if value is None else f'{value} s':>8}   {AGENT_DEFINITIONS[name]}")
    lines.append(f"by_language   {DEFINITIONS['by_language']}")
    for language, counts in shown["by_language"].items():
        lines.append(f"  {language}: {_brief(counts)}")
    lines.append(f"by_day   {DEFINITIONS['by_day']}")
    lines += [f"  {day}: {_brief(counts)}" for day, counts in shown["by_day"].items()]
    return "\n".join(lines) + "\n"


def _brief(counts: Dict[str, Any]) -> str:
    funnel = "→".join(
        str(counts["change_payment"][stage]) for stage in ("started", "verified", "confirmed", "reordered")
    )
    average = counts["csat"]["average"]
    return (
        f"sessions {counts['sessions']}, contained {counts['contained']}, resolved {counts['resolved']}, "
        f"fallbacks {counts['fallbacks']}, change {funnel}, csat {counts['csat']['responses']}"
        + (f" × {average:.2f}" if average is not None else "")
    )


def _day(text: str) -> str:
    return date.fromisoformat(text).isoformat()


def _parser() -> argparse.ArgumentParser:
    every = {**DEFINITIONS, **RATE_DEFINITIONS, **AGENT_DEFINITIONS}
    epilog = "\n".join(f"{key}: {text}" for key, text in every.items())
    parser = argparse.ArgumentParser(
        prog="python -m mall.insights",
        description=__doc__,
        epilog=epilog,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="the figures as JSON (exactly the fixed keys)")
    parser.add_argument("--from", dest="first_day", type=_day, help="first mall day (YYYY-MM-DD, inclusive)")
    parser.add_argument("--to", dest="last_day", type=_day, help="last mall day (YYYY-MM-DD, inclusive)")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    conversations = ConversationLog(settings.conversations_database())
    orders = OrderStore(settings.orders_database())
    try:
        insights = Insights(conversations, orders)
        counted = insights.figures(args.first_day, args.last_day)
        shown = counted.as_json()
        if args.json:
            sys.stdout.write(json.dumps(shown, ensure_ascii=False, indent=2) + "\n")
        else:
            reasons = insights.handoffs_by_reason(args.first_day, args.last_day)
            agents = insights.agent_times(args.first_day, args.last_day)
            sys.stdout.write(readable(shown, counted.total.rates(), reasons, agents))
    finally:
        conversations.close()
        orders.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
