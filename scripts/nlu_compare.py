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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mall.outcomes import NOT_UNDERSTOOD, ORDER_FLOW_INTENTS, OUT_OF_SCOPE  # noqa: E402  (after the path)

CANDIDATES = ROOT / "scripts" / "nlu_candidates"
REPORT = ROOT / "docs" / "NLU.md"
RAW = ROOT / "out" / "eval" / "nlu_compare.json"
REAL_HOLDOUT = ROOT / "tests" / "nlu" / "real_holdout.yml"
CURATED_HOLDOUT = ROOT / "tests" / "nlu" / "holdout.yml"
RASA = ROOT / ".venv" / "bin" / "rasa"

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


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--report", action="store_true", help="rewrite docs/NLU.md from the last run's figures")
    parser.add_argument("--measure", nargs=2, metavar=("MODEL", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from scripts import nlu_report  # it reads this module's scoring

    if args.measure:
        measure(Path(args.measure[0]), Path(args.measure[1]))
        return 0
    candidates = load_candidates(args.only)
    if args.report:
        nlu_report.write_report(from_last_run(candidates))
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
    nlu_report.write_report(from_last_run(load_candidates([])))
    print(f"wrote {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
