"""docs/NLU.md from the figures of scripts/nlu_compare.py's candidates."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Sequence

import yaml

from mall.outcomes import ORDER_FLOW_INTENTS
from scripts.nlu_compare import (
    NOT_UNDERSTOOD,
    REPORT,
    ROOT,
    TAGGED_ENTITIES,
    TARGETS,
    Candidate,
    entity_f1,
    is_right,
    met,
    oos_to_order_flow,
    scores,
)


def chosen_candidate(candidates: Sequence[Candidate]) -> Optional[Candidate]:
    """The candidate whose pipeline config.yml uses."""
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    for candidate in candidates:
        if yaml.safe_load(candidate.config.read_text())["pipeline"] == pipeline:
            return candidate
    return None


def comparison_table(candidates: Sequence[Candidate], chosen: Optional[Candidate]) -> List[str]:
    lines = [
        "| candidate | real acc. | real acc., no fallback | real OOS → order flow | curated acc. | "
        "curated, no fallback | entity F1 | training | parse p50 / p95 | model load | model size |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for candidate in candidates:
        s = scores(candidate)
        _, misrouted, total = oos_to_order_flow(candidate.measured["real"])
        name = f"**{candidate.name}** (config.yml)" if candidate is chosen else candidate.name
        lines.append(
            f"| {name} | {s['real_accuracy']:.3f} | {s['real_top_accuracy']:.3f} | "
            f"{s['real_oos_to_order_flow']:.3f} ({misrouted}/{total}) | "
            f"{s['curated_accuracy']:.3f} | {s['curated_top_accuracy']:.3f} | {s['entity_f1']:.3f} | "
            f"{s['training_seconds']:.0f} s | "
            f"{s['p50_ms']:.1f} / {s['p95_ms']:.1f} ms | {s['load_seconds']:.1f} s | {s['model_mb']:.1f} MB |"
        )
    return lines


def targets_table(candidate: Candidate) -> List[str]:
    s = scores(candidate)
    labels = {
        "real_accuracy": "intent accuracy, real held-out",
        "real_oos_to_order_flow": "real out_of_scope starting an order flow",
        "curated_accuracy": "intent accuracy, curated held-out",
        "entity_f1": "entity F1 (payment_method + installments, curated held-out)",
        "training_seconds": "NLU training from scratch (s)",
    }
    lines = ["| target | bound | measured | met |", "|---|---|---:|---|"]
    for name, (direction, bound) in TARGETS.items():
        verdict = "yes" if met(name, s[name]) else "**no**"
        lines.append(f"| {labels[name]} | {direction} {bound:g} | {s[name]:.3f} | {verdict} |")
    return lines


def per_intent_table(rows: Sequence[dict]) -> List[str]:
    lines = ["| intent | messages | recall | precision | to fallback |", "|---|---:|---:|---:|---:|"]
    predicted_as = Counter(row["predicted"] for row in rows)
    for intent in sorted({row["intent"] for row in rows}):
        own = [row for row in rows if row["intent"] == intent]
        right = sum(is_right(row) for row in own)
        exact = sum(row["predicted"] == intent for row in rows if row["intent"] == intent)
        precision = exact / predicted_as[intent] if predicted_as[intent] else 0.0
        fallback = sum(row["predicted"] == NOT_UNDERSTOOD for row in own)
        lines.append(f"| {intent} | {len(own)} | {right / len(own):.3f} | {precision:.3f} | {fallback} |")
    return lines


def misclassified(rows: Sequence[dict]) -> List[str]:
    wrong: Dict[str, List[dict]] = defaultdict(list)
    for row in rows:
        if not is_right(row):
            wrong[row["intent"]].append(row)
    lines = []
    for intent in sorted(wrong, key=lambda name: (-len(wrong[name]), name)):
        lines += ["", f"**{intent}** ({len(wrong[intent])})", ""]
        for row in sorted(wrong[intent], key=lambda r: (r["predicted"], r["text"])):
            text = row["text"].replace("|", "/")
            lines.append(f"- {text} → {row['predicted']} ({row['confidence']:.2f})")
    return lines


def _overview(candidates: Sequence[Candidate], chosen: Optional[Candidate]) -> List[str]:
    real_size = len(candidates[0].measured["real"])
    curated_size = len(candidates[0].measured["curated"])
    return [
        "# NLU: candidate pipelines compared",
        "",
        "Written by `make eval` (scripts/nlu_compare.py). Every candidate is trained with `rasa train nlu`",
        "on data/nlu (the curated files and the real customers' training split) in a fresh process with an",
        "empty cache, then measured on data it never saw: tests/nlu/real_holdout.yml",
        f"({real_size} real customer messages) and tests/nlu/holdout.yml ({curated_size} curated messages).",
        "",
        "- **accuracy**: the predicted intent after the pipeline's fallbacks is the true one; for a message",
        '  whose true intent is out_of_scope, nlu_fallback ("I didn\'t understand") also counts as right.',
        "  nlu_fallback on any other message is wrong.",
        "- **no fallback**: the classifier's first choice, as if there were no fallback threshold (each",
        "  candidate's confidences are scaled differently; this column compares the classifiers alone).",
        "- **real OOS → order flow**: share of real out_of_scope messages predicted as",
        f"  {', '.join(ORDER_FLOW_INTENTS)} (the bot would start or steer an order dialogue).",
        "- **entity F1**: payment_method and installments on the curated held-out set, exact spans,",
        "  micro-averaged (order numbers and phone tails come from a fixed-pattern extractor).",
        "- **training**: wall time of `rasa train nlu` from scratch, Rasa's start included.",
        "- **parse p50 / p95**: `Agent.parse_message` per message over both held-out sets, one at a time.",
        "- **model load**: `Agent.load` plus the first parse in a fresh process, after `import rasa`.",
        "",
        f"Machine: {os.cpu_count()} cores, shared; timings move by ±20 % between runs.",
        "",
        "## Comparison",
        "",
        *comparison_table(candidates, chosen),
        "",
        *[f"- **{c.name}** (`{c.config.relative_to(ROOT)}`): {c.description}" for c in candidates],
        "",
        "The settings of each candidate (C, temperature, word pairs, epochs) were chosen by cross-validation",
        "on the training data, the real training split above all; the held-out sets were not used to tune",
        "them and are the final measure. The FallbackClassifier threshold of config.yml: `make tune-fallback`",
        "on a split of the training data (docs/FALLBACK.md), checked by cross-validation (docs/DATA.md).",
    ]


def _chosen(chosen: Candidate) -> List[str]:
    real = chosen.measured["real"]
    return [
        "",
        f"## Targets (issue 22), for the chosen pipeline: {chosen.name}",
        "",
        *targets_table(chosen),
        "",
        "Entity F1 by type: "
        + ", ".join(f"{name} {entity_f1(chosen.measured['curated'], name):.3f}" for name in TAGGED_ENTITIES)
        + ". FAQ turn latency against the stock bot is measured by `make bench` (docs/BENCHMARK.md).",
        "",
        "## Per intent, real held-out split",
        "",
        "Recall counts nlu_fallback as right for out_of_scope (the rule above); precision is exact.",
        "",
        *per_intent_table(real),
        "",
        f"## Real messages still misclassified ({sum(not is_right(r) for r in real)}), by true intent",
        "",
        "Predicted intent and confidence after the arrow.",
        *misclassified(real),
    ]


def write_report(candidates: Sequence[Candidate]) -> None:
    chosen = chosen_candidate(candidates)
    lines = _overview(candidates, chosen) + (_chosen(chosen) if chosen else [])
    REPORT.write_text("\n".join(lines) + "\n")
