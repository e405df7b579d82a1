"""python -m bench [--quick]: trains and serves both bots, measures, writes the report."""

from __future__ import annotations

import argparse
import datetime
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict

import requests

from bench import cluster, insights, load, lookup, report
from bench.bots import ASSISTANT, Bot, machine_description, serving, stock_bot, timed_make_train, train
from bench.targets import targets
from mall.settings import ROOT

REPORT = ROOT / "docs" / "BENCHMARK.md"
FINDINGS = ROOT / "bench" / "findings.md"
USERS = [1, 4, 16, 64]


def step(message: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", flush=True)


def held_out_accuracy(rasa_url: str) -> Dict[str, float]:
    """Parse the held-out set through the running server (/model/parse)."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = load_data(str(ROOT / "tests" / "nlu" / "holdout.yml"), language="zh").intent_examples
    correct_intents = exact_entities = 0
    for example in examples:
        parsed = requests.post(
            f"{rasa_url}/model/parse?token=bench-token", json={"text": example.get("text")}, timeout=30
        ).json()
        correct_intents += parsed["intent"]["name"] == example.get("intent")
        expected = sorted((e["entity"], str(e["value"])) for e in example.get("entities") or [])
        found = sorted((e["entity"], str(e["value"])) for e in parsed.get("entities", []))
        exact_entities += expected == found
    return {
        "n": len(examples),
        "intent_accuracy": correct_intents / len(examples),
        "entity_exact": exact_entities / len(examples),
    }


def measure(bot: Bot, workdir: Path, sizes: Dict[str, int]) -> Dict[str, Any]:
    results: Dict[str, Any] = {}
    step(f"{bot.name}: training from scratch (empty cache)")
    cache = workdir / "cache"
    scratch = train(bot, workdir / "models", cache, force=True)
    step(f"{bot.name}: trained in {scratch.seconds:.0f} s; training again with nothing changed")
    unchanged = train(bot, workdir / "models", cache)
    results["training"] = {
        "scratch_s": scratch.seconds,
        "scratch_peak_mb": scratch.peak_mb,
        "unchanged_s": unchanged.seconds,
    }
    if bot is ASSISTANT:
        results["training"]["make_unchanged_s"] = timed_make_train()
    results["model_mb"] = scratch.model.stat().st_size / 1024**2
    results["model"] = scratch.model

    step(f"{bot.name}: starting the servers")
    with serving(bot, scratch.model, workdir / "serve") as served:
        results["ready_s"], results["first_reply_s"] = served.ready_seconds, served.first_reply_seconds
        step(f"{bot.name}: ready after {served.ready_seconds:.1f} s; measuring latency")
        results["faq"] = load.fresh_conversations(served.url, bot.faq_texts, sizes["fresh"]).summary()
        if bot.has_actions:
            results["action"] = load.fresh_conversations(served.url, bot.action_texts, sizes["fresh"]).summary()
        runs = load.long_conversations(served.url, bot.long_texts, sizes["long_turns"], sizes["long_repeats"])
        results["turns"] = load.per_turn_median(runs)
        results["load"] = []
        for users in USERS:
            step(f"{bot.name}: {users} concurrent conversations")
            outcome = load.concurrent_users(served.url, bot.faq_texts, users, max(10, sizes["load"] // users))
            results["load"].append(
                {
                    "users": users,
                    "messages": outcome.messages,
                    "throughput": outcome.throughput,
                    **outcome.latencies.summary(),
                }
            )
        if bot is ASSISTANT:
            results["accuracy"] = held_out_accuracy(served.url)
        results["peak_mb"] = served.peak_mb()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for trying the benchmark out")
    parser.add_argument(
        "--only", choices=["insights"], help="measure only issue 22's targets; their rows and section replaced"
    )
    args = parser.parse_args()
    if args.only == "insights":
        step("recording sessions, and the figures over 1,000,000 sessions (SQLite, PostgreSQL)")
        report.update_insights(REPORT, insights.measure())
        step(f"updated {REPORT.relative_to(ROOT)}")
        return 0
    sizes = (
        {"fresh": 40, "long_turns": 50, "long_repeats": 2, "load": 60, "lookup": 500, "orders": 100_000, "cluster": 240}
        if args.quick
        else {
            "fresh": 200,
            "long_turns": 50,
            "long_repeats": 20,
            "load": 240,
            "lookup": 5000,
            "orders": 1_000_000,
            "cluster": 960,
        }
    )
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        stock = stock_bot(workdir / "stock-project")
        ours_results = measure(ASSISTANT, workdir / "assistant", sizes)
        stock_results = measure(stock, workdir / "stock", sizes)
        step(f"order lookups with {sizes['orders']:,} generated orders")
        lookup_results = lookup.measure(workdir, sizes["orders"], sizes["lookup"])
        step("the cluster (make serve-cluster) through its load balancer, with 1 and 2 Rasa instances")
        cluster_results = cluster.measure(ours_results["model"], sizes["cluster"])
        step("recording sessions, and the figures over 1,000,000 sessions (SQLite, PostgreSQL)")
        insights_results = insights.measure()
        meta = {
            "date": f"{datetime.date.today():%Y-%m-%d}",
            "machine": machine_description(),
            "fresh": sizes["fresh"],
            "long_turns": sizes["long_turns"],
            "long_repeats": sizes["long_repeats"],
            "lookup_samples": sizes["lookup"],
            "cluster": cluster_results,
            "insights": insights_results,
            "accuracy": ours_results["accuracy"],
            "findings": FINDINGS.read_text() if FINDINGS.exists() else "",
        }
        report.write(REPORT, ours_results, stock_results, lookup_results, meta)
        step(f"wrote {REPORT.relative_to(ROOT)}")
        for target, measured, met in targets(
            ours_results, stock_results, lookup_results, cluster_results, insights_results
        ):
            print(f"  {'met' if met else 'NOT MET':8} {target}: {measured}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
