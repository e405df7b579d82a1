"""Sending customer messages through the REST channel and timing the replies."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass
from statistics import median
from typing import Dict, List, Sequence

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


async def _with_client(rasa_url: str, work):
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
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
