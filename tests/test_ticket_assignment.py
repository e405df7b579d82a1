"""Who gets a ticket (mall.assignment), on both backends: online agents with the fewest open
chats under the limit, the queue and its estimate, claims (20 at once, one winner),
transfers and reassignments, who may act, disabled agents, idle tickets, returning customers."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import List

import pytest

from mall import settings
from mall.agents import AgentRole
from mall.assignment import Conflict, NotAllowed, may_act, may_view
from mall.audit import AuditAction
from mall.store import OrderStore
from mall.tickets import CloseReason, TicketStatus
from tests.support import demo_store


class Clock:
    """The store's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database, clock):
    opened = demo_store(database, clock=clock)
    yield opened
    opened.close()


def add_agents(store: OrderStore, *names: str, role: AgentRole = AgentRole.AGENT) -> None:
    for name in names:
        store.agents.add(name, name.title(), role, "password-" + name, "test")


def handoff(store: OrderStore, sender: str, live: bool = True, **fields):
    return store.assignment.open_ticket(sender_id=sender, reason="customer_request", language="zh", live=live, **fields)


def test_a_new_ticket_goes_to_the_online_agent_with_the_fewest_open_chats(store, clock, monkeypatch):
    monkeypatch.setattr(settings, "agent_max_chats", lambda env=None: 2)
    add_agents(store, "li", "wang", "zhao")
    add_agents(store, "chen", role=AgentRole.SUPERVISOR)
    store.agents.seen(["li", "wang", "chen"])  # zhao has no console open; chen supervises
    first, second = handoff(store, "c1"), handoff(store, "c2")
    assert {first.assigned_to, second.assigned_to} == {"li", "wang"}  # one each
    third, fourth = handoff(store, "c3"), handoff(store, "c4")
    assert sorted([third.assigned_to, fourth.assigned_to]) == ["li", "wang"]
    fifth = handoff(store, "c5")  # both at the limit: the queue
    assert fifth.assigned_to is None and store.assignment.queue_status(fifth.ticket_id).position == 1
    assert store.assignment.loads() == {"li": 2, "wang": 2}
    assert [e.action for e in store.audit.for_ticket(first.ticket_id)] == ["open", "assign"]

    store.agents.seen(["zhao"])  # zhao opens the console: the queue goes to them
    assert [t.ticket_id for t in store.assignment.dispatch()] == [fifth.ticket_id]
    assert store.tickets.get(fifth.ticket_id).assigned_to == "zhao"
    assert "chen" not in store.assignment.loads()
    clock.advance(seconds=settings.AGENT_PRESENCE_SECONDS + 1)  # nobody heard of since
    assert store.agents.online() == [] and handoff(store, "c6").assigned_to is None


def test_outside_the_chat_a_ticket_waits_to_be_claimed_and_holds_no_place_in_the_queue(store):
    add_agents(store, "li")
    store.agents.seen(["li"])
    ticket = handoff(store, "by-rest", live=False)
    assert ticket.assigned_to is None and store.assignment.queue_status(ticket.ticket_id) is None
    assert store.assignment.dispatch() == []
    assert store.assignment.claim(ticket.ticket_id, store.agents.get("li")).assigned_to == "li"


def claim_at_once(stores: List[OrderStore], ticket_id: str, names: List[str]) -> List[str]:
    """Each name claims the ticket in a thread of its own, all released together."""
    start = threading.Barrier(len(names))
    outcomes: List[str] = []

    def claim(store: OrderStore, name: str) -> None:
        agent = store.agents.get(name)
        start.wait()
        try:
            store.assignment.claim(ticket_id, agent)
            outcomes.append("won:" + name)
        except Conflict:
            outcomes.append("lost")

    threads = [threading.Thread(target=claim, args=(stores[i % len(stores)], n)) for i, n in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_twenty_agents_claiming_one_ticket_at_once_make_one_owner(store, database):
    names = [f"agent{i:02d}" for i in range(20)]
    add_agents(store, *names)
    ticket = handoff(store, "contested")  # nobody online: queued
    # Four stores: four processes' worth of connection pools on one database.
    stores = [OrderStore(database) for _ in range(4)]
    try:
        outcomes = claim_at_once(stores, ticket.ticket_id, names)
    finally:
        for opened in stores:
            opened.close()
    winners = [outcome[4:] for outcome in outcomes if outcome.startswith("won:")]
    assert len(winners) == 1 and outcomes.count("lost") == 19
    assert store.tickets.get(ticket.ticket_id).assigned_to == winners[0]
    claims = [e for e in store.audit.for_ticket(ticket.ticket_id) if e.action == AuditAction.CLAIM.value]
    assert [(e.actor, e.subject) for e in claims] == [(winners[0], winners[0])]


def test_tickets_opened_at_once_never_push_an_agent_over_the_limit(store, database, clock, monkeypatch):
    monkeypatch.setattr(settings, "agent_max_chats", lambda env=None: 2)
    add_agents(store, "li", "wang")
    store.agents.seen(["li", "wang"])
    stores = [OrderStore(database, clock=clock) for _ in range(3)]
    start = threading.Barrier(9)

    def open_one(i: int) -> None:
        start.wait()
        handoff(stores[i % 3], f"rush-{i}")

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(9)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for opened in stores:
            opened.close()
    assert store.assignment.loads() == {"li": 2, "wang": 2}
    queued = [t for t in store.tickets.listed(TicketStatus.OPEN) if t.assigned_to is None]
    assert sorted(store.assignment.queue_status(t.ticket_id).position for t in queued) == [1, 2, 3, 4, 5]


def test_transfer_with_a_note_and_who_may_do_what(store):
    add_agents(store, "li", "wang")
    add_agents(store, "chen", role=AgentRole.SUPERVISOR)
    li, wang, chen = (store.agents.get(name) for name in ("li", "wang", "chen"))
    ticket = store.assignment.claim(handoff(store, "moving").ticket_id, li)
    assert may_act(li, ticket) and not may_act(wang, ticket) and may_act(chen, ticket)
    assert not may_view(wang, ticket) and may_view(chen, ticket)
    with pytest.raises(NotAllowed):
        store.assignment.transfer(ticket.ticket_id, wang, "wang", "mine now")
    with pytest.raises(NotAllowed):
        store.assignment.close(ticket.ticket_id, wang)
    with pytest.raises(NotAllowed):
        store.assignment.add_note(ticket.ticket_id, wang, "mine too?")
    with pytest.raises(Conflict):
        store.assignment.claim(ticket.ticket_id, wang)
    moved = store.assignment.transfer(ticket.ticket_id, li, "wang", "客户要退款，电话 13800001234")
    assert moved.assigned_to == "wang"
    (note,) = store.notes.for_ticket(ticket.ticket_id)
    assert (note.author, note.text) == ("li", "客户要退款，电话 138****1234")
    back = store.assignment.transfer(ticket.ticket_id, chen, "li", "")  # a supervisor reassigns
    assert back.assigned_to == "li"
    actions = [(e.action, e.actor, e.subject, e.detail) for e in store.audit.for_ticket(ticket.ticket_id)]
    assert actions[-4:] == [
        ("claim", "li", "li", None),
        ("transfer", "li", "wang", "li"),
        ("note", "li", None, None),
        ("reassign", "chen", "li", "wang"),
    ]
    assert store.assignment.close(ticket.ticket_id, li) is True
    assert store.assignment.close(ticket.ticket_id, li) is False
    closed = store.tickets.get(ticket.ticket_id)
    assert (closed.status, closed.closed_by, closed.close_reason) == ("closed", "li", CloseReason.AGENT)
    assert may_view(wang, closed)  # the history is everyone's
    with pytest.raises(Conflict):
        store.assignment.transfer(ticket.ticket_id, li, "wang", "")


def test_a_disabled_agent_goes_offline_and_their_tickets_back_to_the_queue(store):
    add_agents(store, "li")
    store.agents.seen(["li"])
    ticket = handoff(store, "orphan")
    assert ticket.assigned_to == "li"
    version = store.agents.get("li").session_version
    assert store.assignment.set_disabled("li", True, "chen")
    assert not store.assignment.set_disabled("li", True, "chen")
    li = store.agents.get("li")
    assert li.disabled and li.session_version == version + 1 and store.agents.online() == []
    assert store.tickets.get(ticket.ticket_id).assigned_to is None
    assert store.agents.authenticate("li", "password-li") is None
    assert store.assignment.set_disabled("li", False, "chen")
    assert store.agents.authenticate("li", "password-li").name == "li"


def test_the_estimated_wait_comes_from_recent_first_responses(store, clock):
    add_agents(store, "li")
    li = store.agents.get("li")
    for minutes in (2, 4):  # two answered tickets: 2 and 4 minutes to the first response
        ticket = handoff(store, f"answered-{minutes}")
        store.assignment.claim(ticket.ticket_id, li)
        clock.advance(minutes=minutes)
        store.tickets.agent_replied(ticket.ticket_id, "li")
    first, second = handoff(store, "waiting-1"), handoff(store, "waiting-2")
    assert store.assignment.queue_status(first.ticket_id).wait_minutes == 3  # mean 3 min, first in line
    assert store.assignment.queue_status(second.ticket_id).wait_minutes == 6
    store.agents.seen(["li"])
    store.assignment.dispatch()  # li is at the limit of 3 now: one more taken
    assert store.assignment.queue_status(first.ticket_id) is None
    assert store.assignment.queue_status(second.ticket_id).position == 1


def test_what_the_customer_was_told_is_told_once(store):
    add_agents(store, "li")
    first, second = handoff(store, "told-1"), handoff(store, "told-2")
    untold = [(ticket.ticket_id, position) for ticket, position in store.assignment.untold()]
    assert untold == [(first.ticket_id, 1), (second.ticket_id, 2)]
    assert store.tickets.tell(first.ticket_id, 1, None) and not store.tickets.tell(first.ticket_id, 1, None)
    assert store.tickets.tell(second.ticket_id, 2, None)
    assert store.assignment.untold() == []
    store.assignment.claim(first.ticket_id, store.agents.get("li"))
    untold = [(ticket.ticket_id, ticket.assigned_to, position) for ticket, position in store.assignment.untold()]
    assert untold == [(first.ticket_id, "li", None), (second.ticket_id, None, 1)]  # joined; moved up


def test_a_ticket_waiting_on_the_customer_closes_when_idle(store, clock):
    add_agents(store, "li")
    ticket = store.assignment.claim(handoff(store, "quiet").ticket_id, store.agents.get("li"))
    store.tickets.agent_replied(ticket.ticket_id, "li")
    clock.advance(minutes=10)
    store.tickets.customer_wrote(ticket.ticket_id)
    clock.advance(minutes=29)
    assert store.tickets.idle(30) == []  # the customer wrote last
    store.tickets.agent_replied(ticket.ticket_id, "li")
    clock.advance(minutes=29)
    assert store.tickets.idle(30) == []
    clock.advance(minutes=2)
    assert [t.ticket_id for t in store.tickets.idle(30)] == [ticket.ticket_id]
    assert store.tickets.close_idle(ticket.ticket_id, 30) and not store.tickets.close_idle(ticket.ticket_id, 30)
    closed = store.tickets.get(ticket.ticket_id)
    assert (closed.status, closed.close_reason, closed.closed_by) == ("closed", CloseReason.IDLE, None)
    assert store.audit.for_ticket(ticket.ticket_id)[-1].action == "idle_close"


def test_a_customer_back_within_seven_days_gets_a_linked_ticket(store, clock):
    first = handoff(store, "conversation-1", customer_id="customer-1234")
    store.tickets.cancel(first.ticket_id)
    clock.advance(days=3)
    again = handoff(store, "conversation-2", customer_id="customer-1234")  # another browser, same account
    assert again.previous_ticket_id == first.ticket_id
    store.tickets.close(again.ticket_id, "li")
    clock.advance(days=8)
    assert handoff(store, "conversation-2", customer_id="customer-1234").previous_ticket_id is None
