"""Sending customer messages through the REST channel and timing the replies."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from dataclasses import dataclass
from statistics import median
from typing import Awaitable, Callable, Dict, List, Optional, Sequence

import aiohttp


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Latencies:
    seconds: List[float]

    def summary(self) -> Dict[str, float]:
        return {
            "n": len(self.seconds),
            "p50_ms": 1000 * percentile(self.seconds, 0.50),
            "p95_ms": 1000 * percentile(self.seconds, 0.95),
            "p99_ms": 1000 * percentile(self.seconds, 0.99),
        }


class Client:
    def __init__(self, rasa_url: str, session: aiohttp.ClientSession):
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.session = session

    async def say(self, sender: str, text: str) -> float:
        started = time.perf_counter()
        async with self.session.post(self.url, json={"sender": sender, "message": text}) as response:
            response.raise_for_status()
            replies = await response.json()
        elapsed = time.perf_counter() - started
        if not replies:
            raise RuntimeError(f"no reply to {text!r}")
        return elapsed


def new_sender() -> str:
    return f"bench-{uuid.uuid4().hex[:12]}"


async def _with_client(rasa_url: str, work, timeout_seconds: float = 120):
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=timeout_seconds)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        return await work(Client(rasa_url, session))


def fresh_conversations(rasa_url: str, texts: Sequence[str], count: int, warmup: int = 5) -> Latencies:
    """`count` first messages of new conversations, one after another."""

    async def work(client: Client) -> Latencies:
        cycle = itertools.cycle(texts)
        for _ in range(warmup):
            await client.say(new_sender(), next(cycle))
        return Latencies([await client.say(new_sender(), next(cycle)) for _ in range(count)])

    return asyncio.run(_with_client(rasa_url, work))


def long_conversations(rasa_url: str, texts: Sequence[str], turns: int, repeats: int) -> List[List[float]]:
    """Latency of each turn of `repeats` conversations of `turns` messages."""

    async def work(client: Client) -> List[List[float]]:
        await client.say(new_sender(), texts[0])  # warm-up
        runs = []
        for _ in range(repeats):
            sender, cycle = new_sender(), itertools.cycle(texts)
            runs.append([await client.say(sender, next(cycle)) for _ in range(turns)])
        return runs

    return asyncio.run(_with_client(rasa_url, work))


def per_turn_median(runs: List[List[float]]) -> List[float]:
    return [median(turn) for turn in zip(*runs, strict=True)]


@dataclass
class LoadResult:
    users: int
    messages: int
    seconds: float
    latencies: Latencies

    @property
    def throughput(self) -> float:
        return self.messages / self.seconds


def concurrent_users(
    rasa_url: str, texts: Sequence[str], users: int, messages_per_user: int, conversation_length: int = 10
) -> LoadResult:
    """`users` customers at once, each sending messages one after another (a new
    conversation every `conversation_length` messages)."""

    async def user(client: Client, offset: int) -> List[float]:
        cycle = itertools.islice(itertools.cycle(texts), offset, None)
        timings, sender = [], new_sender()
        for number in range(messages_per_user):
            if number and number % conversation_length == 0:
                sender = new_sender()
            timings.append(await client.say(sender, next(cycle)))
        return timings

    async def work(client: Client) -> LoadResult:
        started = time.perf_counter()
        results = await asyncio.gather(*(user(client, offset) for offset in range(users)))
        elapsed = time.perf_counter() - started
        flat = [seconds for timings in results for seconds in timings]
        return LoadResult(users, len(flat), elapsed, Latencies(flat))

    return asyncio.run(_with_client(rasa_url, work))


ANSWER_TIMEOUT_SECONDS = 30  # a typing customer with no answer by then sends the message again


def typing_users(
    rasa_url: str,
    texts: Sequence[str],
    users: int,
    messages_per_user: int,
    think_seconds: float,
    during: Optional[Callable[[], Awaitable[None]]] = None,
) -> TypingResult:
    """`users` customers in conversation at once, each reading the reply and typing the next
    message: before each message a pause drawn at random around `think_seconds` (exponential,
    seeded; 0: none, each message the moment the reply arrives). A message that gets no
    answer (an error, or nothing within the client's timeout) is sent again once, after a
    second, as a customer would; `during` runs alongside (e.g. killing an instance)."""
    chance = random.Random(14)
    pauses = [
        [chance.expovariate(1 / think_seconds) if think_seconds else 0.0 for _ in range(messages_per_user)]
        for _ in range(users)
    ]

    async def user(client: Client, number: int) -> UserOutcome:
        cycle = itertools.islice(itertools.cycle(texts), number, None)
        outcome, sender, began = UserOutcome([], 0, 0, [], 0.0), new_sender(), time.perf_counter()
        for pause in pauses[number]:
            await asyncio.sleep(pause)
            text, started = next(cycle), time.perf_counter()
            for attempt in range(2):
                try:
                    await client.say(sender, text)
                except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError):
                    if attempt == 0:
                        outcome.retried += 1
                        await asyncio.sleep(1.0)
                    else:
                        outcome.lost += 1
                    continue
                elapsed = time.perf_counter() - started
                (outcome.retried_seconds if attempt else outcome.seconds).append(elapsed)
                break
        outcome.active_seconds = time.perf_counter() - began
        return outcome

    async def work(client: Client) -> TypingResult:
        side = asyncio.ensure_future(during()) if during else None
        outcomes = await asyncio.gather(*(user(client, number) for number in range(users)))
        if side is not None:
            await side
        return TypingResult(users, think_seconds, outcomes)

    return asyncio.run(_with_client(rasa_url, work, timeout_seconds=ANSWER_TIMEOUT_SECONDS))


@dataclass
class UserOutcome:
    seconds: List[float]  # answered at the first try
    retried: int  # messages sent a second time
    lost: int  # messages unanswered at the second try as well
    retried_seconds: List[float]  # from the first try to the answer, for retried messages
    active_seconds: float  # from the first pause to the last answer


@dataclass
class TypingResult:
    users: int
    think_seconds: float
    outcomes: List[UserOutcome]

    @property
    def messages(self) -> int:
        return sum(len(o.seconds) + len(o.retried_seconds) + o.lost for o in self.outcomes)

    @property
    def latencies(self) -> Latencies:
        return Latencies([s for o in self.outcomes for s in o.seconds + o.retried_seconds])

    def summary(self) -> Dict[str, float]:
        retried = [s for o in self.outcomes for s in o.retried_seconds]
        return {
            "users": self.users,
            "think_s": self.think_seconds,
            "answer_timeout_s": ANSWER_TIMEOUT_SECONDS,
            "messages": self.messages,
            # Per customer's time in conversation: the last of the random pauses would stretch
            # the whole run's.
            "offered_per_s": self.messages / (sum(o.active_seconds for o in self.outcomes) / len(self.outcomes)),
            **self.latencies.summary(),
            "retried": sum(o.retried for o in self.outcomes),
            "most_retried_by_one": max((o.retried for o in self.outcomes), default=0),
            "lost": sum(o.lost for o in self.outcomes),
            "longest_retried_s": max(retried, default=0.0),
        }
