"""Order lookups (ownership check + read, what the bot does per lookup) on the demo
database and on one with a million orders."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import sqlalchemy as sa

from bench.load import Latencies
from mall.demo import init as seed_demo_orders
from mall.migrations import orders
from mall.store import OrderStore

STATUSES = ["unpaid", "paid", "shipped", "completed", "cancelled", "refunded"]
METHODS = ["huabei", "credit_card", "debit_card", "alipay", "wechat_pay"]


def _generated_rows(count: int, seed: int) -> Iterator[Dict[str, Any]]:
    rng = random.Random(seed)
    for number in range(count):
        yield {
            "order_id": f"53{number:014d}",
            "phone": f"13{rng.randrange(10**9):09d}",
            "status": rng.choice(STATUSES),
            "payment_method": rng.choice(METHODS),
            "installments": rng.choice([1, 3, 6, 12, 24]),
            "total": round(rng.uniform(50, 20000), 2),
            "items": json.dumps([{"name": f"Product {rng.randrange(500)}", "quantity": 1}]),
            "replaced_by": None,
            "replaces": None,
            "created_at": "2026-11-01T10:00:00+08:00",
            "updated_at": "2026-11-01T10:00:00+08:00",
        }


def add_generated_orders(store: OrderStore, count: int, seed: int = 7, batch: int = 100_000) -> None:
    rows = _generated_rows(count, seed)
    while True:
        chunk = [row for _, row in zip(range(batch), rows, strict=False)]
        if not chunk:
            return
        with store.db.transaction() as connection:
            connection.execute(orders.insert(), chunk)


def lookup_latencies(store: OrderStore, samples: int, seed: int = 11) -> Latencies:
    rng = random.Random(seed)
    known: List[Tuple[str, str]] = [
        (row["order_id"], row["phone"][-4:])
        for row in store.db.rows(sa.select(orders.c.order_id, orders.c.phone).order_by(sa.func.random()).limit(5000))
    ]
    timings = []
    for _ in range(samples):
        order_id, tail = rng.choice(known)
        started = time.perf_counter()
        store.ownership.verify(order_id, tail, "bench")
        store.orders.get(order_id)
        timings.append(time.perf_counter() - started)
    return Latencies(timings)


def measure(workdir: Path, big: int, samples: int) -> dict:
    demo = OrderStore(workdir / "demo.db")
    seed_demo_orders(demo)
    large = OrderStore(workdir / "large.db")
    started = time.perf_counter()
    add_generated_orders(large, big)
    generated_in = time.perf_counter() - started
    result = {
        "demo": {"orders": demo.orders.count(), **lookup_latencies(demo, samples).summary()},
        "large": {
            "orders": large.orders.count(),
            **lookup_latencies(large, samples).summary(),
            "generated_seconds": generated_in,
            "file_mb": (workdir / "large.db").stat().st_size / 1024**2,
        },
    }
    demo.close()
    large.close()
    return result
