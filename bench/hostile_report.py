"""docs/RELIABILITY.md's measured section, from the figures of `make reliability` (bench.hostile)."""

from __future__ import annotations

from typing import Any, Dict, List

from mall import settings

REPORT = settings.ROOT / "docs" / "RELIABILITY.md"
START, END = "<!-- bench.hostile:start -->", "<!-- bench.hostile:end -->"
LIMIT = settings.MAX_MESSAGE_CHARS
BYSTANDER = "分期有手续费吗"


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.0f} ms" if seconds >= 0.0995 else f"{1000 * seconds:.1f} ms"


def _costs(results: Dict[str, Any]) -> List[str]:
    costs = results["costs"]
    lines = [
        "### The cost of one message (REST round trip, first message of a conversation, median)",
        "",
        "| message | " + " | ".join(f"{n:,} chars" for n in costs["lengths"]) + " |",
        "|---|" + "---:|" * len(costs["lengths"]),
    ]
    for kind, row in costs["table"].items():
        lines.append(f"| {kind} | " + " | ".join(ms(row[n]) for n in costs["lengths"]) + " |")
    return lines + [
        "",
        f"Over the limit ({LIMIT:,} characters): {10 * LIMIT:,} characters are answered with "
        f"`utter_message_too_long` in {ms(costs['refused_s'])} (no NLU, nothing stored); a 6 MB body is refused "
        f"with HTTP {costs['huge_status']} in {ms(costs['huge_s'])}.",
    ]


def _floods(results: Dict[str, Any]) -> List[str]:
    flood = results["stall"]
    lines = [
        "### Another customer while others flood the server",
        "",
        f"A customer asks `{BYSTANDER}` in new conversations, one question after another; in alternating windows "
        "(so both see the same background load), others send messages back to back. "
        f"{flood['n']} questions per window kind; the idle figures are those of the first row's run.",
        "",
        "| while | bystander p50 | p95 | max | p95 / idle p95 | flood messages sent (p50 each) |",
        "|---|---:|---:|---:|---:|---:|",
        f"| nobody floods (idle) | {ms(flood['idle_p50'])} | {ms(flood['idle_p95'])} | | 1.00× | |",
    ]
    for label, row in (
        (f"one sender, {LIMIT:,}-character messages (the limit)", flood),
        (f"three senders, {LIMIT:,}-character messages", results["stall_3"]),
        (f"one sender, {10 * LIMIT:,}-character messages (refused)", results["stall_refused"]),
    ):
        lines.append(
            f"| {label} | {ms(row['busy_p50'])} | {ms(row['busy_p95'])} | {ms(row['busy_max'])} | "
            f"{row['ratio']:.2f}× | {row['flood_n']} ({ms(row['flood_p50'])}) |"
        )
    return lines + [
        "",
        f"Target, one sender at the limit: p95 at most 2× idle: {'met' if flood['ratio'] <= 2 else 'NOT met'}. "
        f"SIGTERM while three senders flood: the Rasa server stopped in {results['sigterm_s']:.1f} s "
        f"({results['sigterm_idle_s']:.1f} s with nobody connected; before, a 2,000,000-character message kept it "
        "running for over 20 minutes).",
    ]


def _outages(results: Dict[str, Any]) -> List[str]:
    lines = [
        "### Outages of the action server in the middle of a form",
        "",
        "| killed while | conversations | carried on where they were after the restart |",
        "|---|---:|---:|",
    ]
    for kind, (survived, total) in results["outages"].items():
        what = "confirming the change (yes, apology, yes)" if kind == "confirmation" else "checking the phone tail"
        lines.append(f"| {what} | {total} | {survived} of {total} |")
    away = results["away"]
    return lines + [
        "",
        "### Agent messages while the customer's tab is closed",
        "",
        f"{away['customers']} customers hand off, close the widget, get {away['sent'] // max(away['customers'], 1)} "
        f"agent messages each, and come back: {away['received']} of {away['sent']} messages delivered on return.",
    ]


def section(results: Dict[str, Any]) -> str:
    header = [
        f"Written by `make reliability` (`python -m bench.hostile`) on {results['date']}: {results['machine']}; "
        f"load average when it started: {results['load']}.",
    ]
    parts = [header, _costs(results), _floods(results), _outages(results)]
    return "\n".join([START, "\n\n".join("\n".join(part) for part in parts), END])


def write(results: Dict[str, Any]) -> None:
    text = REPORT.read_text()
    block = section(results)
    if START in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    REPORT.write_text(text)
