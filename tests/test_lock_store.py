"""Conversation locks across processes: two Rasa instances never serve two messages of one
conversation at once (RasaHQ/rasa#9213 is Rasa's own Redis lock store doing just that)."""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

import pytest

from launcher.backing import running_redis
from rasa_addons.lock_store import ConversationLockStore, MemoryTickets

TURNS, PROCESSES = 40, 4


@pytest.fixture(scope="module")
def redis_url():
    directory = Path(tempfile.mkdtemp(prefix="lock-test-"))
    with running_redis(directory) as redis:
        yield redis.url


def _serve_turns(args: Tuple[str, str, float]) -> List[Tuple[float, float]]:
    """One process: TURNS messages of one conversation, each holding the lock a moment."""
    url, conversation, start_at = args
    store = ConversationLockStore(url=url)

    async def turns() -> List[Tuple[float, float]]:
        spans = []
        for _ in range(TURNS):
            async with store.lock(conversation):
                entered = time.monotonic()
                await asyncio.sleep(0.002)
                spans.append((entered, time.monotonic()))
        return spans

    time.sleep(max(0.0, start_at - time.time()))
    return asyncio.run(turns())


def test_two_processes_never_interleave_a_turn(redis_url):
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        start_at = time.time() + 1.0
        results = pool.map(_serve_turns, [(redis_url, "one-conversation", start_at)] * PROCESSES)
    spans = sorted(span for result in results for span in result)
    assert len(spans) == TURNS * PROCESSES
    overlaps = [(a, b) for a, b in itertools.pairwise(spans) if b[0] < a[1]]
    assert overlaps == []


def test_tickets_are_served_in_order_and_cleaned_up(redis_url):
    store = ConversationLockStore(url=redis_url)
    first = store.issue_ticket("c1")
    second = store.issue_ticket("c1")
    assert second == first + 1
    assert store.tickets.attempt("c1", second) == 0  # waits behind the first
    assert store.tickets.attempt("c1", first) == 1
    assert store.tickets.release("c1", first) == 1
    assert store.tickets.attempt("c1", second) == 1
    assert store.tickets.release("c1", second) == 0


def test_an_expired_ticket_frees_the_conversation(redis_url):
    store = ConversationLockStore(url=redis_url)
    stuck = store.issue_ticket("c2", lock_lifetime=0.2)  # a process that died holding it
    waiting = store.issue_ticket("c2")
    assert store.tickets.attempt("c2", waiting) == 0
    time.sleep(0.3)
    assert store.tickets.attempt("c2", waiting) == 1
    assert store.tickets.attempt("c2", stuck) == -1


def test_without_redis_the_same_rules_hold_in_memory(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    store = ConversationLockStore()
    assert isinstance(store.tickets, MemoryTickets)

    async def two_messages() -> List[str]:
        order: List[str] = []

        async def message(name: str, pause: float) -> None:
            await asyncio.sleep(pause)
            async with store.lock("c3"):
                order.append(f"{name} in")
                await asyncio.sleep(0.05)
                order.append(f"{name} out")

        await asyncio.gather(message("first", 0), message("second", 0.01))
        return order

    assert asyncio.run(two_messages()) == ["first in", "first out", "second in", "second out"]


def test_redis_down_is_a_lock_error():
    from rasa.core.lock_store import LockError

    store = ConversationLockStore(url="redis://127.0.0.1:9/0")  # nothing listens there
    with pytest.raises(LockError):
        store.issue_ticket("c4")
