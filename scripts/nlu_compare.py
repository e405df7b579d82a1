"""Compares candidate NLU pipelines by measurement and writes docs/NLU.md (make eval).

    python scripts/nlu_compare.py                    every candidate in scripts/nlu_candidates/
    python scripts/nlu_compare.py --only NAME ...    re-measure some; the others keep their last figures
    python scripts/nlu_compare.py --report           the report again from the last run's figures

Each candidate config is trained with `rasa train nlu` on data/nlu (curated data plus the real
customers' training split; never on tests/nlu/) in a fresh process with an empty cache, then a
second fresh process loads the model and parses every message of the two held-out sets:
tests/nlu/real_holdout.yml (real customers) and tests/nlu/holdout.yml (curated).

Scoring rule: a message is right when the predicted intent (after the pipeline's fallbacks) is
its true intent, or when its true intent is out_of_scope and the pipeline sent it to
nlu_fallback (the bot says it did not understand, which is a correct answer to a question it
cannot handle). nlu_fallback on any other message is wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mall.outcomes import ORDER_FLOW_INTENTS  # noqa: E402  (after the path)

CANDIDATES = ROOT / "scripts" / "nlu_candidates"
REPORT = ROOT / "docs" / "NLU.md"
RAW = ROOT / "out" / "eval" / "nlu_compare.json"
REAL_HOLDOUT = ROOT / "tests" / "nlu" / "real_holdout.yml"
CURATED_HOLDOUT = ROOT / "tests" / "nlu" / "holdout.yml"
RASA = ROOT / ".venv" / "bin" / "rasa"

NOT_UNDERSTOOD = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
TAGGED_ENTITIES = ("payment_method", "installments")

TARGETS = {  # issue 22 (issue 12's were 0.93, 0.02, 0.97, 0.97); measured here, a benchmark and not a test
    "real_accuracy": (">=", 0.95),
    "real_oos_to_order_flow": ("<=", 0.01),
    "curated_accuracy": (">=", 0.97),
    "entity_f1": (">=", 0.988),  # no loss against the pipeline issue 22 started from
    "training_seconds": ("<=", 90.0),
}


# ---------------------------------------------------------------- measuring (fresh process)


def parse_set(agent, path: Path) -> List[dict]:
    from rasa.shared.nlu.training_data.loading import load_data

    examples = load_data(str(path), language="zh").intent_examples

    async def parse_all() -> List[dict]:
        parsed = []
        for example in examples:
            start = time.perf_counter()
            result = await agent.parse_message(example.get("text"))
            elapsed = time.perf_counter() - start
            parsed.append(
                {
                    "text": example.get("text"),
                    "intent": example.get("intent"),
                    "predicted": result["intent"]["name"],
                    "confidence": result["intent"]["confidence"],
                    "top": top_intent(result),
                    "seconds": elapsed,
                    "gold_entities": spans(example.get("entities") or []),
                    "entities": spans(result.get("entities") or []),
                }
            )
        return parsed

    return asyncio.run(parse_all())


def top_intent(result: dict) -> Optional[str]:
    """The classifier's own first choice, before any fallback overrode it."""
    ranked = [entry["name"] for entry in result.get("intent_ranking", []) if entry["name"] != NOT_UNDERSTOOD]
    return ranked[0] if ranked else None


def spans(entities: Sequence[dict]) -> List[Tuple[str, int, int]]:
    return [(e["entity"], e["start"], e["end"]) for e in entities if e["entity"] in TAGGED_ENTITIES]


def measure(model: Path, output: Path) -> None:
    """Run in its own process: start-up is timed from a cold interpreter."""
    import logging

    started = time.perf_counter()
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    imported = time.perf_counter()
    configure_structlog(logging.WARNING)  # unconfigured, structlog prints every parse (as `rasa run` does not)
    logging.disable(logging.WARNING)
    agent = Agent.load(str(model))
    asyncio.run(agent.parse_message("你好"))  # DIET builds its prediction graph on the first parse
    loaded = time.perf_counter()
    results = {
        "import_seconds": imported - started,
        "load_seconds": loaded - imported,
        "real": parse_set(agent, REAL_HOLDOUT),
        "curated": parse_set(agent, CURATED_HOLDOUT),
    }
    output.write_text(json.dumps(results, ensure_ascii=False))


# ---------------------------------------------------------------- training and scoring


@dataclass
class Candidate:
    name: str
    config: Path
    description: str
    training_seconds: float = 0.0
    model_bytes: int = 0
    measured: Dict = field(default_factory=dict)


def load_candidates(only: Sequence[str]) -> List[Candidate]:
    candidates = []
    for path in sorted(CANDIDATES.glob("*.yml")):
        if only and path.stem not in only:
            continue
        first_comment = path.read_text().splitlines()[0].lstrip("# ").strip()
        candidates.append(Candidate(path.stem, path, first_comment))
    return candidates


def run_candidate(candidate: Candidate, workdir: Path) -> None:
    workdir = workdir / candidate.name
    workdir.mkdir()
    config = workdir / "config.yml"  # a copy: rasa train writes an assistant_id into the file it reads
    shutil.copy(candidate.config, config)
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(workdir / "cache"), "PYTHONPATH": str(ROOT)}
    command = [str(RASA), "train", "nlu", "--config", str(config), "--nlu", "data/nlu"]
    command += ["--out", str(workdir), "--fixed-model-name", candidate.name]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    candidate.training_seconds = time.perf_counter() - start
    model = workdir / f"{candidate.name}.tar.gz"
    candidate.model_bytes = model.stat().st_size
    output = workdir / f"{candidate.name}.json"
    worker = [sys.executable, str(Path(__file__).resolve()), "--measure", str(model), str(output)]
    subprocess.run(worker, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    candidate.measured = json.loads(output.read_text())


def is_right(row: dict) -> bool:
    return row["predicted"] == row["intent"] or (row["intent"] == OUT_OF_SCOPE and row["predicted"] == NOT_UNDERSTOOD)


def accuracy(rows: Sequence[dict]) -> float:
    return sum(is_right(row) for row in rows) / len(rows)


def top_accuracy(rows: Sequence[dict]) -> float:
    return sum(row["top"] == row["intent"] for row in rows) / len(rows)


def oos_to_order_flow(rows: Sequence[dict]) -> Tuple[float, int, int]:
    oos = [row for row in rows if row["intent"] == OUT_OF_SCOPE]
    misrouted = sum(row["predicted"] in ORDER_FLOW_INTENTS for row in oos)
    return misrouted / len(oos), misrouted, len(oos)


def entity_f1(rows: Sequence[dict], entity: Optional[str] = None) -> float:
    """Exact spans (type, start, end); micro-averaged over TAGGED_ENTITIES unless one is named."""

    def keep(found: Sequence) -> set:
        return {tuple(span) for span in found if entity is None or span[0] == entity}

    true_positives = predicted = gold = 0
    for row in rows:
        found, expected = keep(row["entities"]), keep(row["gold_entities"])
        true_positives += len(found & expected)
        predicted += len(found)
        gold += len(expected)
    if not true_positives:
        return 0.0
    precision, recall = true_positives / predicted, true_positives / gold
    return 2 * precision * recall / (precision + recall)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def scores(candidate: Candidate) -> Dict[str, float]:
    real, curated = candidate.measured["real"], candidate.measured["curated"]
    latencies = [row["seconds"] * 1000 for row in real + curated]
    return {
        "real_accuracy": accuracy(real),
        "real_top_accuracy": top_accuracy(real),
        "real_oos_to_order_flow": oos_to_order_flow(real)[0],
        "curated_accuracy": accuracy(curated),
        "curated_top_accuracy": top_accuracy(curated),
        "entity_f1": entity_f1(curated),
        "training_seconds": candidate.training_seconds,
        "p50_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 0.95),
        "load_seconds": candidate.measured["load_seconds"],
        "model_mb": candidate.model_bytes / 1e6,
    }


def saved_figures(candidate: Candidate) -> Dict[str, float]:
    return {"training_seconds": candidate.training_seconds, "model_bytes": candidate.model_bytes}


def from_last_run(candidates: Sequence[Candidate]) -> List[Candidate]:
    saved = json.loads(RAW.read_text())
    candidates = [candidate for candidate in candidates if candidate.name in saved]
    for candidate in candidates:
        figures = saved[candidate.name]
        candidate.training_seconds, candidate.model_bytes = figures["training_seconds"], figures["model_bytes"]
        candidate.measured = figures
    return candidates


def met(name: str, value: float) -> bool:
    direction, bound = TARGETS[name]
    return value >= bound if direction == ">=" else value <= bound


# ---------------------------------------------------------------- the report


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


def write_report(candidates: Sequence[Candidate]) -> None:
    chosen = chosen_candidate(candidates)
    real_size = len(candidates[0].measured["real"])
    curated_size = len(candidates[0].measured["curated"])
    lines = [
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
        "them and are the final measure. The FallbackClassifier threshold of config.yml is chosen by",
        "`make tune-fallback` on a split of the training data (docs/FALLBACK.md).",
    ]
    if chosen:
        real = chosen.measured["real"]
        lines += [
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
    REPORT.write_text("\n".join(lines) + "\n")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--report", action="store_true", help="rewrite docs/NLU.md from the last run's figures")
    parser.add_argument("--measure", nargs=2, metavar=("MODEL", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        measure(Path(args.measure[0]), Path(args.measure[1]))
        return 0
    candidates = load_candidates(args.only)
    if args.report:
        write_report(from_last_run(candidates))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for candidate in candidates:
            print(f"{candidate.name}: training and measuring", flush=True)
            run_candidate(candidate, Path(tmp))
            print("  " + ", ".join(f"{k} {v:.3f}" for k, v in scores(candidate).items()), flush=True)
    figures = json.loads(RAW.read_text()) if args.only and RAW.exists() else {}  # --only re-measures those
    figures.update({c.name: {**c.measured, **saved_figures(c)} for c in candidates})
    RAW.parent.mkdir(parents=True, exist_ok=True)
    RAW.write_text(json.dumps(figures, ensure_ascii=False))
    write_report(from_last_run(load_candidates([])))
    print(f"wrote {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
