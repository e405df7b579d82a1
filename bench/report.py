"""docs/BENCHMARK.md and its plots, from the measurements of one run, a section at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from bench.plots import plot_load, plot_turns
from bench.targets import insights_targets, ratio, targets

Results = Dict[str, Any]


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


def _header(meta: Results) -> List[str]:
    return [
        "# Benchmark",
        "",
        f"Written by `make bench` on {meta['date']}. Machine: {meta['machine']}.",
        "Both bots were trained and served the same way in this run (`rasa train`, `rasa run`, REST",
        "channel, loopback); this assistant with its action server, NLG and SQLite tracker store as",
        "deployed, the stock bot as `rasa init` creates it. Medians of the repeats given.",
    ]


def _targets(ours: Results, stock: Results, lookup: Results, meta: Results) -> List[str]:
    return [
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *[
            f"| {target} | {measured} | {'yes' if met else '**no**'} |"
            for target, measured, met in targets(ours, stock, lookup, meta["cluster"], meta["insights"])
        ],
    ]


def _latency(ours: Results, stock: Results, meta: Results) -> List[str]:
    def row(name: str, turn: Results) -> str:
        return (
            f"| {name} | {turn['p50_ms']:.1f} ms | {turn['p95_ms']:.1f} ms | {turn['p99_ms']:.1f} ms "
            f"| {ratio(turn['p50_ms'], stock['faq']['p50_ms']):.2f}× |"
        )

    return [
        "## Latency through the REST channel (fresh conversations, one user)",
        "",
        f"{meta['fresh']} first messages of new conversations per kind, sent one after another after "
        f"5 warm-up messages.",
        "",
        "| turn | p50 | p95 | p99 | ratio of p50 to the stock bot |",
        "|---|---:|---:|---:|---:|",
        row("stock bot (greeting, mood)", stock["faq"]),
        row("FAQ (installment questions, zh/en)", ours["faq"]),
        row("order lookup (verification form + action_lookup_order)", ours["action"]),
    ]


def _turns(ours: Results, stock: Results, meta: Results) -> List[str]:
    return [
        "## Latency against turn number",
        "",
        f"{meta['long_repeats']} conversations of {meta['long_turns']} messages each (seven messages in turn, so "
        "turn 50 repeats turn 1's message); median per turn.",
        "",
        "![latency by turn](bench/latency_by_turn.png)",
        "",
        "| | turn 1 | turn 10 | turn 25 | turn 50 | turn 50 / turn 1 |",
        "|---|---:|---:|---:|---:|---:|",
        *[
            f"| {name} | "
            + " | ".join(f"{1000 * r['turns'][t - 1]:.1f} ms" for t in (1, 10, 25, 50))
            + f" | {ratio(r['turns'][49], r['turns'][0]):.2f}× |"
            for name, r in (("this assistant", ours), ("stock bot", stock))
        ],
    ]


def _concurrency(ours: Results, stock: Results) -> List[str]:
    return [
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
            f"| {a['users']} | {a['throughput']:.1f} | {a['p95_ms']:.0f} ms | {b['throughput']:.1f} "
            f"| {b['p95_ms']:.0f} ms | {ratio(a['throughput'], b['throughput']):.2f}× |"
            for a, b in zip(ours["load"], stock["load"], strict=True)
        ],
    ]


def _start_and_training(ours: Results, stock: Results) -> List[str]:
    def row(label: str, a: float, b: float, unit: str, fmt: str = "{:.1f}") -> str:
        return f"| {label} | {fmt.format(a)} {unit} | {fmt.format(b)} {unit} | {ratio(a, b):.2f}× |"

    trained, stock_trained = ours["training"], stock["training"]
    return [
        "## Start, training, size, memory",
        "",
        "`rasa train` with nothing changed is timed right after a training from an empty cache, as",
        "a developer meets it after any change to the data.",
        "",
        "| | this assistant | stock bot | ratio |",
        "|---|---:|---:|---:|",
        row("start to ready (`/status` answers)", ours["ready_s"], stock["ready_s"], "s"),
        row("start to first reply", ours["first_reply_s"], stock["first_reply_s"], "s"),
        row("training from scratch (empty cache)", trained["scratch_s"], stock_trained["scratch_s"], "s"),
        row("retraining, nothing changed (`rasa train`)", trained["unchanged_s"], stock_trained["unchanged_s"], "s"),
        f"| retraining, nothing changed (`make train`) | {trained['make_unchanged_s']:.2f} s | | |",
        row("peak memory while training", trained["scratch_peak_mb"], stock_trained["scratch_peak_mb"], "MB", "{:.0f}"),
        row("model size", ours["model_mb"], stock["model_mb"], "MB"),
        row("peak memory while serving (Rasa + action server)", ours["peak_mb"], stock["peak_mb"], "MB", "{:.0f}"),
    ]


def _lookups(lookup: Results, meta: Results) -> List[str]:
    return [
        "## Order lookups with a million orders",
        "",
        f"{meta['lookup_samples']} lookups (ownership check + read of a random existing order) in the order store.",
        "",
        "| database | orders | p50 | p95 | p99 |",
        "|---|---:|---:|---:|---:|",
        *[
            f"| {name} | {lookup[key]['orders']:,} | {lookup[key]['p50_ms'] * 1000:.0f} µs "
            f"| {lookup[key]['p95_ms'] * 1000:.0f} µs | {lookup[key]['p99_ms'] * 1000:.0f} µs |"
            for name, key in (("demo", "demo"), ("generated", "large"))
        ],
        "",
        f"Generating the 1,000,000 orders took {lookup['large']['generated_seconds']:.0f} s "
        f"({lookup['large']['file_mb']:.0f} MB). Lookups use the primary key and the "
        "(order_id, created_at) index of verification_failures, so they do not scan.",
    ]


def _cluster(meta: Results) -> List[str]:
    return [
        "## Scaling out: the cluster through its load balancer",
        "",
        "`make serve-cluster` as deployed (nginx, PostgreSQL, Redis, the action server with 2 workers),",
        "started on free ports with 1 and then 2 Rasa instances; FAQ messages over REST through nginx.",
        "Every process shares this machine's cores, the load generator included: a second instance",
        "adds a process, not a core.",
        "",
        *cluster_tables(meta["cluster"]),
    ]


INSIGHTS_HEADING = "## Insights: recording sessions, and the figures over a million"


def insights_section(insights: Results) -> List[str]:
    """Issue 22's measurements (bench.insights), a section of its own."""
    lines = [
        INSIGHTS_HEADING,
        "",
        "Recording: a FAQ turn's save in the conversation store (its events, its session row and the sums by",
        "day, the metrics), p50 over 400 turns of 40 conversations, three rounds alternated, with the recording",
        "and with mall.sessions.record replaced by nothing (PostgreSQL: commits not waiting for the disk, a wait",
        "the same either way that hid the difference in its steps). Figures: 1,000,000 generated sessions over the past",
        "year, then `mall.figures` over all of them (what `python -m mall.insights --json` computes), median of 5.",
        "",
        "| | turn's save without recording | with | added | figures for 1,000,000 sessions |",
        "|---|---:|---:|---:|---:|",
    ]
    for backend, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        recording, figures = insights[f"recording_{backend}"], insights[f"figures_{backend}"]
        lines.append(
            f"| {name} | {recording['without_ms']:.2f} ms | {recording['with_ms']:.2f} ms "
            f"| {recording['added_ms']:.2f} ms | {1000 * figures['median_s']:.0f} ms |"
        )
    return lines


def update_insights(report: Path, insights: Results) -> None:
    """`make bench ONLY=insights`: this section and its rows of the targets replaced in the
    report of the last full run."""
    text = report.read_text()
    rows = insights_targets(insights)
    names = {target.split("(")[0] for target, _, _ in rows}
    lines = [line for line in text.splitlines() if not any(line.startswith(f"| {name}") for name in names)]
    table_end = next(
        i for i, line in enumerate(lines) if i > lines.index("## Targets") + 3 and not line.startswith("|")
    )
    lines[table_end:table_end] = [f"| {t} | {m} | {'yes' if met else '**no**'} |" for t, m, met in rows]
    if INSIGHTS_HEADING in lines:
        start = lines.index(INSIGHTS_HEADING)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = [*insights_section(insights), ""]
    else:
        before = next(i for i, line in enumerate(lines) if line.startswith("## Accuracy"))
        lines[before:before] = [*insights_section(insights), ""]
    report.write_text("\n".join(lines) + "\n")


def _accuracy(meta: Results) -> List[str]:
    accuracy = meta["accuracy"]
    return [
        "## Accuracy of the benchmarked model",
        "",
        f"Held-out set (tests/nlu/holdout.yml, {accuracy['n']} messages) parsed by the running server: "
        f"intent right **{accuracy['intent_accuracy']:.3f}** (a message sent to the fallback counts as "
        f"wrong; `rasa test` scores the top intent before the fallback), all entities exactly right "
        f"{accuracy['entity_exact']:.3f}.",
    ]


REPRODUCE = [
    "## Reproduce",
    "",
    "```bash",
    "make bench     # writes docs/BENCHMARK.md and docs/bench/*.png (about 20 minutes on 2 cores)",
    "```",
]


def write(report: Path, ours: Results, stock: Results, lookup: Results, meta: Results) -> None:
    plots = report.parent / "bench"
    plots.mkdir(parents=True, exist_ok=True)
    plot_turns(ours, stock, plots / "latency_by_turn.png")
    plot_load(ours, stock, plots / "concurrency.png")
    sections = [
        _header(meta),
        _targets(ours, stock, lookup, meta),
        _latency(ours, stock, meta),
        _turns(ours, stock, meta),
        _concurrency(ours, stock),
        _start_and_training(ours, stock),
        _lookups(lookup, meta),
        _cluster(meta),
        insights_section(meta["insights"]),
        _accuracy(meta),
        REPRODUCE,
    ]
    if meta.get("findings"):
        sections.append([meta["findings"].strip()])
    report.write_text("\n\n".join("\n".join(section) for section in sections) + "\n")
