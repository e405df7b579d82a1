"""The agents' medians (mall.insights.agent_times), read from tickets' timestamps through the one
reader the console's page will call too."""

from __future__ import annotations

from typing import Optional

from mall.insights import AgentTimes, agent_times, ticket_times
from mall.tickets import Ticket, TicketStatus


def ticket(created: str, joined: Optional[str], closed: Optional[str], status=TicketStatus.CLOSED) -> Ticket:
    day = "2026-11-02T"
    return Ticket(
        ticket_id=f"HT{created}",
        sender_id="s",
        status=status,
        reason="customer_request",
        language="zh",
        created_at=f"{day}{created}+00:00",
        agent_joined_at=f"{day}{joined}+00:00" if joined else None,
        assigned_at=f"{day}{joined}+00:00" if joined else None,  # claimed as they replied
        closed_at=f"{day}{closed}+00:00" if closed else None,
    )


def test_first_response_and_handling_medians_in_whole_seconds():
    tickets = [
        ticket("10:00:00", "10:01:00", "10:11:00"),  # 60 s, 600 s
        ticket("10:00:00", "10:02:01", "10:04:01"),  # 121 s, 120 s
        ticket("10:00:00", "10:00:30", None, TicketStatus.OPEN),  # 30 s, still open
        ticket("10:00:00", None, "10:05:00", TicketStatus.CANCELLED),  # nobody replied
    ]
    assert ticket_times(tickets[0]).first_response == 60 and ticket_times(tickets[0]).handling == 600
    assert agent_times(tickets) == AgentTimes(tickets=4, first_response_median=60, handling_median=360)


def test_a_range_counts_the_tickets_opened_in_it_by_mall_day():
    late = ticket("17:00:00", "17:01:00", None, TicketStatus.OPEN)  # 01:00 on 11-03 in the mall
    assert agent_times([late], "2026-11-02", "2026-11-02").tickets == 0
    assert agent_times([late], "2026-11-03", "2026-11-03") == AgentTimes(1, 60, None)
    assert agent_times([]) == AgentTimes(0, None, None)
