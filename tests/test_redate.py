"""Dating demo traffic (mall.redate): a played conversation moved back in time, its sessions,
sums, ticket and misses with it, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from mall import figures, rollup
from mall.agents import AgentRole
from mall.conversations import ConversationLog
from mall.redate import AgentDelays, redate
from mall.sessions import every_session
from mall.store import OrderStore
from mall.support import MALL_TIME
from tests.conversation_events import Conversation, at


def test_a_conversation_moves_with_its_ticket_and_misses(database):
    log, store = ConversationLog(database), OrderStore(database)
    try:
        talk = Conversation(log, "played", time.time()).new_session().not_understood("asdf")  # played now
        ticket = store.tickets.open("played", "customer_request", "zh")
        store.misses.record("played", "asdf", "fallback", [], "zh")
        talk.handoff("转人工", ticket=ticket)
        agent = store.agents.add("wang", "小王", AgentRole.AGENT, "a long enough password", "test")
        store.assignment.claim(ticket, agent)
        store.tickets.agent_replied(ticket, agent.name)
        store.assignment.close(ticket, agent)
        start = datetime(2026, 11, 10, 15, 0, tzinfo=MALL_TIME)
        redate(log, store, "played", start, AgentDelays(timedelta(minutes=4), timedelta(minutes=11)))

        assert log.events("played")[0]["timestamp"] == start.timestamp()
        with log.db.transaction() as connection:
            shown = figures.figures(connection, now=at("2026-12-01")).as_json()
            running = rollup.sums(connection, None, None)
            rollup.recount(connection, every_session(connection))
            assert [row for row in running if row["sessions"]] == rollup.sums(connection, None, None)
        assert shown["by_day"] == {"2026-11-10": {**shown["by_day"]["2026-11-10"], "sessions": 1, "handed_off": 1}}
        moved = store.tickets.get(ticket)
        assert datetime.fromisoformat(moved.created_at).astimezone(MALL_TIME).date().isoformat() == "2026-11-10"
        opened = datetime.fromisoformat(moved.created_at)
        assert datetime.fromisoformat(moved.agent_joined_at) - opened == timedelta(minutes=4)
        assert datetime.fromisoformat(moved.assigned_at) - opened == timedelta(minutes=4)
        assert datetime.fromisoformat(moved.closed_at) - opened == timedelta(minutes=15)
        assert store.misses.since()[0].created_at.startswith("2026-11-10")
    finally:
        log.close()
        store.close()
