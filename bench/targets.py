"""The targets of the performance, scale-out and layout issues, each with what this run measured."""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

Results = Dict[str, Any]
Target = Tuple[str, str, bool]  # (target, measured, met)


def ratio(ours: float, stock: float) -> float:
    return ours / stock if stock else float("inf")


def _latency(ours: Results, stock: Results) -> List[Target]:
    turns = ours["turns"]
    faq, action, stock_faq = ours["faq"], ours["action"], stock["faq"]
    return [
        (
            "FAQ turn p50 ≤ 1.2× stock",
            f"{faq['p50_ms']:.1f} ms vs {stock_faq['p50_ms']:.1f} ms = "
            f"{ratio(faq['p50_ms'], stock_faq['p50_ms']):.2f}×",
            faq["p50_ms"] <= 1.2 * stock_faq["p50_ms"],
        ),
        (
            "action turn p50 ≤ 2× stock",
            f"{action['p50_ms']:.1f} ms = {ratio(action['p50_ms'], stock_faq['p50_ms']):.2f}×",
            action["p50_ms"] <= 2 * stock_faq["p50_ms"],
        ),
        (
            "p95 ≤ 100 ms at one user (FAQ and action turns)",
            f"{faq['p95_ms']:.1f} / {action['p95_ms']:.1f} ms",
            max(faq["p95_ms"], action["p95_ms"]) <= 100,
        ),
        (
            "turn 50 within 1.2× of turn 1",
            f"{1000 * turns[-1]:.1f} vs {1000 * turns[0]:.1f} ms = {ratio(turns[-1], turns[0]):.2f}×",
            turns[-1] <= 1.2 * turns[0],
        ),
        (
            "ready to chat ≤ 0.5× stock's start",
            f"{ours['ready_s']:.1f} s vs {stock['ready_s']:.1f} s = {ratio(ours['ready_s'], stock['ready_s']):.2f}×",
            ours["ready_s"] <= 0.5 * stock["ready_s"],
        ),
        (
            "single process (the default), after scale-out: FAQ p50 ≤ 0.5× stock",
            f"{ratio(faq['p50_ms'], stock_faq['p50_ms']):.2f}×",
            faq["p50_ms"] <= 0.5 * stock_faq["p50_ms"],
        ),
    ]


def _training(ours: Results, stock: Results) -> List[Target]:
    trained, stock_trained = ours["training"], stock["training"]
    return [
        ("full training from an empty cache ≤ 60 s", f"{trained['scratch_s']:.0f} s", trained["scratch_s"] <= 60),
        (
            "`rasa train` with nothing changed ≤ the stock bot's",
            f"{trained['unchanged_s']:.1f} s vs {stock_trained['unchanged_s']:.1f} s = "
            f"{ratio(trained['unchanged_s'], stock_trained['unchanged_s']):.2f}×",
            trained["unchanged_s"] <= stock_trained["unchanged_s"],
        ),
        (
            "retraining with nothing changed ≤ 10 s (make train)",
            f"{trained['make_unchanged_s']:.2f} s",
            trained["make_unchanged_s"] <= 10,
        ),
    ]


def _capacity(ours: Results, lookup: Results) -> List[Target]:
    load16 = next(level for level in ours["load"] if level["users"] == 16)
    return [
        (
            "16 conversations: ≥ 50 messages/s with p95 ≤ 300 ms",
            f"{load16['throughput']:.1f} msg/s, p95 {load16['p95_ms']:.0f} ms",
            load16["throughput"] >= 50 and load16["p95_ms"] <= 300,
        ),
        (
            "1,000,000 orders: lookup latency unchanged",
            f"p50 {lookup['large']['p50_ms'] * 1000:.0f} µs vs {lookup['demo']['p50_ms'] * 1000:.0f} µs "
            "on the demo database",
            lookup["large"]["p50_ms"] <= 1.5 * lookup["demo"]["p50_ms"] + 0.05,
        ),
    ]


def _cluster(cluster: Results) -> List[Target]:
    one, two = (next(r for r in cluster["saturated"] if r["instances"] == n and r["users"] == 64) for n in (1, 2))
    killed = cluster["killed"]
    return [
        (
            "cluster, 64 conversations: 2 instances ≥ 1.7× the throughput of 1",
            f"{two['throughput']:.1f} vs {one['throughput']:.1f} msg/s = "
            f"{ratio(two['throughput'], one['throughput']):.2f}×",
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


def insights_targets(insights: Results) -> List[Target]:
    """Issue 22: recording sessions as turns are stored, and the figures over a million sessions."""
    rows: List[Target] = []
    for backend, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        recording = insights[f"recording_{backend}"]
        rows.append(
            (
                f"recording adds ≤ 1 ms to a turn's p50 ({name})",
                f"{recording['added_ms']:.2f} ms (a turn's save {recording['without_ms']:.2f} → "
                f"{recording['with_ms']:.2f} ms)",
                recording["added_ms"] <= 1.0,
            )
        )
    for backend, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        figures = insights[f"figures_{backend}"]
        rows.append(
            (
                f"the figures for {figures['sessions']:,} sessions ≤ 1 s ({name})",
                f"{1000 * figures['median_s']:.0f} ms",
                figures["median_s"] <= 1.0,
            )
        )
    return rows


def targets(ours: Results, stock: Results, lookup: Results, cluster: Results, insights: Results) -> List[Target]:
    return [
        *_latency(ours, stock),
        *_training(ours, stock),
        *_capacity(ours, lookup),
        *_cluster(cluster),
        *insights_targets(insights),
    ]
