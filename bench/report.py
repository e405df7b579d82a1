"""docs/BENCHMARK.md and its plots, from the measurements of one run."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Tuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

Results = Dict[str, Any]


def _ratio(ours: float, stock: float) -> float:
    return ours / stock if stock else float("inf")


def targets(ours: Results, stock: Results, lookup: Results, cluster: Results) -> List[Tuple[str, str, bool]]:
    """(target, measured, met) for each target of the performance and scale-out issues."""
    turns = ours["turns"]
    load16 = next(level for level in ours["load"] if level["users"] == 16)
    rows = [
        (
            "FAQ turn p50 ≤ 1.2× stock",
            f"{ours['faq']['p50_ms']:.1f} ms vs {stock['faq']['p50_ms']:.1f} ms = {_ratio(ours['faq']['p50_ms'], stock['faq']['p50_ms']):.2f}×",
            ours["faq"]["p50_ms"] <= 1.2 * stock["faq"]["p50_ms"],
        ),
        (
            "action turn p50 ≤ 2× stock",
            f"{ours['action']['p50_ms']:.1f} ms = {_ratio(ours['action']['p50_ms'], stock['faq']['p50_ms']):.2f}×",
            ours["action"]["p50_ms"] <= 2 * stock["faq"]["p50_ms"],
        ),
        (
            "p95 ≤ 100 ms at one user (FAQ and action turns)",
            f"{ours['faq']['p95_ms']:.1f} / {ours['action']['p95_ms']:.1f} ms",
            max(ours["faq"]["p95_ms"], ours["action"]["p95_ms"]) <= 100,
        ),
        (
            "turn 50 within 1.2× of turn 1",
            f"{1000 * turns[-1]:.1f} vs {1000 * turns[0]:.1f} ms = {_ratio(turns[-1], turns[0]):.2f}×",
            turns[-1] <= 1.2 * turns[0],
        ),
        (
            "ready to chat ≤ 0.5× stock's start",
            f"{ours['ready_s']:.1f} s vs {stock['ready_s']:.1f} s = {_ratio(ours['ready_s'], stock['ready_s']):.2f}×",
            ours["ready_s"] <= 0.5 * stock["ready_s"],
        ),
        ("full training ≤ 90 s", f"{ours['training']['scratch_s']:.0f} s", ours["training"]["scratch_s"] <= 90),
        (
            "retraining with nothing changed ≤ 10 s (make train)",
            f"{ours['training']['make_unchanged_s']:.2f} s (rasa train's own check: {ours['training']['unchanged_s']:.1f} s)",
            ours["training"]["make_unchanged_s"] <= 10,
        ),
        (
            "16 conversations: ≥ 50 messages/s with p95 ≤ 300 ms",
            f"{load16['throughput']:.1f} msg/s, p95 {load16['p95_ms']:.0f} ms",
            load16["throughput"] >= 50 and load16["p95_ms"] <= 300,
        ),
        (
            "1,000,000 orders: lookup latency unchanged",
            f"p50 {lookup['large']['p50_ms'] * 1000:.0f} µs vs {lookup['demo']['p50_ms'] * 1000:.0f} µs on the demo database",
            lookup["large"]["p50_ms"] <= 1.5 * lookup["demo"]["p50_ms"] + 0.05,
        ),
    ]
    one, two = (next(r for r in cluster["saturated"] if r["instances"] == n and r["users"] == 64) for n in (1, 2))
    killed = cluster["killed"]
    rows += [
        (
            "single process (the default), after scale-out: FAQ p50 ≤ 0.5× stock",
            f"{_ratio(ours['faq']['p50_ms'], stock['faq']['p50_ms']):.2f}×",
            ours["faq"]["p50_ms"] <= 0.5 * stock["faq"]["p50_ms"],
        ),
        (
            "cluster, 64 conversations: 2 instances ≥ 1.7× the throughput of 1",
            f"{two['throughput']:.1f} vs {one['throughput']:.1f} msg/s = {_ratio(two['throughput'], one['throughput']):.2f}×",
            two["throughput"] >= 1.7 * one["throughput"],
        ),
        (
            "cluster, 64 conversations, 2 instances: p95 ≤ 300 ms",
            f"{two['p95_ms']:.0f} ms at that saturating load (each of the {two['users']} waits about "
            f"{two['users']} / throughput = {1000 * two['users'] / two['throughput']:.0f} ms); "
            "customers typing: see the cluster section",
            two["p95_ms"] <= 300,
        ),
        (
            "cluster, an instance killed: no message lost, at most one retried turn per customer",
            f"{killed['lost']} lost, {killed['retried']} retried (at most {killed['most_retried_by_one']} by one "
            f"customer), the longest retried turn {killed['longest_retried_s']:.1f} s",
            killed["lost"] == 0 and killed["most_retried_by_one"] <= 1,
        ),
    ]
    return rows


def cluster_tables(cluster: Results) -> List[str]:
    lines = [
        "Saturated: each simulated customer sends its next message the moment the reply arrives.",
        "",
        "| Rasa instances | conversations at once | messages | msg/s | p50 | p95 |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in cluster["saturated"]:
        lines.append(
            f"| {row['instances']} | {row['users']} | {row['messages']} | {row['throughput']:.1f} "
            f"| {row['p50_ms']:.0f} ms | {row['p95_ms']:.0f} ms |"
        )
    lines += [
        "",
        "Typing: each customer reads the reply and types the next message, a random pause of "
        f"{cluster['typing'][0]['think_s']:.0f} s on average (exponential) before each.",
        "",
        "| Rasa instances | customers | messages | messages/s arriving | p50 | p95 | p99 |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in cluster["typing"]:
        lines.append(
            f"| {row['instances']} | {row['users']} | {row['messages']} | {row['offered_per_s']:.1f} "
            f"| {row['p50_ms']:.0f} ms | {row['p95_ms']:.0f} ms | {row['p99_ms']:.0f} ms |"
        )
    killed = cluster["killed"]
    lines += [
        "",
        f"An instance killed: {killed['users']} saturating customers on 2 instances (so that messages are in "
        f"flight on each), rasa-1 SIGKILLed after {killed['kill_after_s']:.0f} s; the supervisor starts it "
        "again, and it loads its model meanwhile. A message with no answer (an error, or nothing within "
        f"{killed['answer_timeout_s']:.0f} s) is sent again once, a second later, as the widget's customer would.",
        "",
        "| messages | retried | most retried by one customer | lost | longest retried turn | p95 of all |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {killed['messages']} | {killed['retried']} | {killed['most_retried_by_one']} | {killed['lost']} "
        f"| {killed['longest_retried_s']:.1f} s | {killed['p95_ms']:.0f} ms |",
    ]
    return lines


def plot_turns(ours: Results, stock: Results, path: Path) -> None:
    figure, axis = plt.subplots(figsize=(7, 3.6))
    for name, results in (("this assistant", ours), ("stock bot", stock)):
        axis.plot(range(1, len(results["turns"]) + 1), [1000 * s for s in results["turns"]], label=name)
    axis.set_xlabel("turn of the conversation")
    axis.set_ylabel("median latency (ms)")
    axis.set_ylim(bottom=0)
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_load(ours: Results, stock: Results, path: Path) -> None:
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    for name, results in (("this assistant", ours), ("stock bot", stock)):
        users = [level["users"] for level in results["load"]]
        left.plot(users, [level["throughput"] for level in results["load"]], marker="o", label=name)
        right.plot(users, [level["p95_ms"] for level in results["load"]], marker="o", label=name)
    for axis, label in ((left, "messages per second"), (right, "p95 latency (ms)")):
        axis.set_xscale("log", base=2)
        axis.set_xticks([1, 4, 16, 64])
        axis.set_xticklabels(["1", "4", "16", "64"])
        axis.set_xlabel("concurrent conversations")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
        axis.set_ylim(bottom=0)
    left.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write(report: Path, ours: Results, stock: Results, lookup: Results, meta: Results) -> None:
    plots = report.parent / "bench"
    plots.mkdir(parents=True, exist_ok=True)
    plot_turns(ours, stock, plots / "latency_by_turn.png")
    plot_load(ours, stock, plots / "concurrency.png")

    def row(label: str, key: str, unit: str, fmt: str = "{:.1f}") -> str:
        a, b = ours[key], stock[key]
        return f"| {label} | {fmt.format(a)} {unit} | {fmt.format(b)} {unit} | {_ratio(a, b):.2f}× |"

    lines = [
        "# Benchmark",
        "",
        f"Written by `make bench` on {meta['date']}. Machine: {meta['machine']}.",
        "Both bots were trained and served the same way in this run (`rasa train`, `rasa run`, REST",
        "channel, loopback); this assistant with its action server, NLG and SQLite tracker store as",
        "deployed, the stock bot as `rasa init` creates it. Medians of the repeats given.",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *[
            f"| {target} | {measured} | {'yes' if met else '**no**'} |"
            for target, measured, met in targets(ours, stock, lookup, meta["cluster"])
        ],
        "",
        "## Latency through the REST channel (fresh conversations, one user)",
        "",
        f"{meta['fresh']} first messages of new conversations per kind, sent one after another after "
        f"5 warm-up messages.",
        "",
        "| turn | p50 | p95 | p99 | ratio of p50 to the stock bot |",
        "|---|---:|---:|---:|---:|",
        f"| stock bot (greeting, mood) | {stock['faq']['p50_ms']:.1f} ms | {stock['faq']['p95_ms']:.1f} ms | {stock['faq']['p99_ms']:.1f} ms | 1.00× |",
        f"| FAQ (installment questions, zh/en) | {ours['faq']['p50_ms']:.1f} ms | {ours['faq']['p95_ms']:.1f} ms | {ours['faq']['p99_ms']:.1f} ms | {_ratio(ours['faq']['p50_ms'], stock['faq']['p50_ms']):.2f}× |",
        f"| order lookup (verification form + action_lookup_order) | {ours['action']['p50_ms']:.1f} ms | {ours['action']['p95_ms']:.1f} ms | {ours['action']['p99_ms']:.1f} ms | {_ratio(ours['action']['p50_ms'], stock['faq']['p50_ms']):.2f}× |",
        "",
        "## Latency against turn number",
        "",
        f"{meta['long_repeats']} conversations of {meta['long_turns']} messages each (seven messages in turn, so turn 50 "
        "repeats turn 1's message); median per turn.",
        "",
        "![latency by turn](bench/latency_by_turn.png)",
        "",
        "| | turn 1 | turn 10 | turn 25 | turn 50 | turn 50 / turn 1 |",
        "|---|---:|---:|---:|---:|---:|",
        *[
            f"| {name} | "
            + " | ".join(f"{1000 * r['turns'][t - 1]:.1f} ms" for t in (1, 10, 25, 50))
            + f" | {_ratio(r['turns'][49], r['turns'][0]):.2f}× |"
            for name, r in (("this assistant", ours), ("stock bot", stock))
        ],
        "",
        "## Concurrent conversations",
        "",
        "Each simulated customer sends its messages one after another and starts a new conversation",
        "every 10 messages.",
        "",
        "![throughput and p95](bench/concurrency.png)",
        "",
        "| conversations at once | this assistant: msg/s | p95 | stock bot: msg/s | p95 | throughput ratio |",
        "|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {a['users']} | {a['throughput']:.1f} | {a['p95_ms']:.0f} ms | {b['throughput']:.1f} | {b['p95_ms']:.0f} ms | {_ratio(a['throughput'], b['throughput']):.2f}× |"
            for a, b in zip(ours["load"], stock["load"], strict=True)
        ],
        "",
        "## Start, training, size, memory",
        "",
        "| | this assistant | stock bot | ratio |",
        "|---|---:|---:|---:|",
        row("start to ready (`/status` answers)", "ready_s", "s"),
        row("start to first reply", "first_reply_s", "s"),
        f"| training from scratch (empty cache) | {ours['training']['scratch_s']:.1f} s | {stock['training']['scratch_s']:.1f} s | {_ratio(ours['training']['scratch_s'], stock['training']['scratch_s']):.2f}× |",
        f"| retraining, nothing changed (`rasa train`) | {ours['training']['unchanged_s']:.1f} s | {stock['training']['unchanged_s']:.1f} s | {_ratio(ours['training']['unchanged_s'], stock['training']['unchanged_s']):.2f}× |",
        f"| retraining, nothing changed (`make train`) | {ours['training']['make_unchanged_s']:.2f} s | | |",
        f"| peak memory while training | {ours['training']['scratch_peak_mb']:.0f} MB | {stock['training']['scratch_peak_mb']:.0f} MB | {_ratio(ours['training']['scratch_peak_mb'], stock['training']['scratch_peak_mb']):.2f}× |",
        row("model size", "model_mb", "MB"),
        row("peak memory while serving (Rasa + action server)", "peak_mb", "MB", "{:.0f}"),
        "",
        "## Order lookups with a million orders",
        "",
        f"{meta['lookup_samples']} lookups (ownership check + read of a random existing order) in the order store.",
        "",
        "| database | orders | p50 | p95 | p99 |",
        "|---|---:|---:|---:|---:|",
        *[
            f"| {name} | {lookup[key]['orders']:,} | {lookup[key]['p50_ms'] * 1000:.0f} µs | {lookup[key]['p95_ms'] * 1000:.0f} µs | {lookup[key]['p99_ms'] * 1000:.0f} µs |"
            for name, key in (("demo", "demo"), ("generated", "large"))
        ],
        "",
        f"Generating the 1,000,000 orders took {lookup['large']['generated_seconds']:.0f} s "
        f"({lookup['large']['file_mb']:.0f} MB). Lookups use the primary key and the "
        "(order_id, created_at) index of verification_failures, so they do not scan.",
        "",
        "## Scaling out: the cluster through its load balancer",
        "",
        "`make serve-cluster` as deployed (nginx, PostgreSQL, Redis, the action server with 2 workers),",
        "started on free ports with 1 and then 2 Rasa instances; FAQ messages over REST through nginx.",
        "Every process shares this machine's cores, the load generator included: a second instance",
        "adds a process, not a core.",
        "",
        *cluster_tables(meta["cluster"]),
        "",
        "## Accuracy of the benchmarked model",
        "",
        f"Held-out set (tests/nlu/holdout.yml, {meta['accuracy']['n']} messages) parsed by the running server: "
        f"intent right **{meta['accuracy']['intent_accuracy']:.3f}** (a message sent to the fallback counts as "
        f"wrong; `rasa test` scores the top intent before the fallback), all entities exactly right "
        f"{meta['accuracy']['entity_exact']:.3f}.",
        "",
        "## Reproduce",
        "",
        "```bash",
        "make bench     # writes docs/BENCHMARK.md and docs/bench/*.png (about 20 minutes on 2 cores)",
        "```",
    ]
    if meta.get("findings"):
        lines += ["", meta["findings"].strip()]
    report.write_text("\n".join(lines) + "\n")
