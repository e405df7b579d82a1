"""Writes docs/EVAL.md from `rasa test nlu --cross-validation` output (make eval).

Intent and entity precision/recall/F1 per class, the confusion matrix, and every
misclassified example. Entities are the CRF's (payment_method, installments); order numbers
and phone tails come from a fixed-pattern extractor and are unannotated in the training
data, so they are scored on the held-out set instead (make test: F1 1.000 for both).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.nlu_compare import TAGGED_ENTITIES  # noqa: E402  (after the path)

DOC = ROOT / "docs" / "EVAL.md"
SUMMARY_ROWS = {"accuracy", "micro avg", "macro avg", "weighted avg"}


def table(report: dict, names) -> list:
    lines = ["| class | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for name in names:
        scores = report[name]
        lines.append(
            f"| {name} | {scores['precision']:.3f} | {scores['recall']:.3f} | "
            f"{scores['f1-score']:.3f} | {scores['support']} |"
        )
    return lines


def crf_report(results: Path) -> Path:
    """Rasa names a report after the extractor's class: ours is a CRFEntityExtractor subclass."""
    reports = sorted(results.glob("*CRFEntityExtractor_report.json"))
    if len(reports) != 1:
        raise SystemExit(f"expected one CRF entity report in {results}, found {[r.name for r in reports]}")
    return reports[0]


def main(results_dir: str, folds: str) -> int:
    results = Path(results_dir)
    intents = json.loads((results / "intent_report.json").read_text())
    entities = json.loads(crf_report(results).read_text())
    errors = json.loads((results / "intent_errors.json").read_text())
    images = DOC.parent / "eval"
    images.mkdir(parents=True, exist_ok=True)
    shutil.copy(results / "intent_confusion_matrix.png", images / "intent_confusion_matrix.png")

    intent_names = sorted(
        name for name, value in intents.items() if isinstance(value, dict) and name not in SUMMARY_ROWS
    )
    weighted = intents["weighted avg"]
    lines = [
        "# NLU evaluation",
        "",
        f"Written by `make eval`: {folds}-fold cross-validation on the training data (data/nlu),",
        "the pipeline of config.yml. Every example is predicted by a model that did not train on it.",
        "",
        f"Intent accuracy **{intents['accuracy']:.3f}**, weighted F1 {weighted['f1-score']:.3f} "
        f"over {weighted['support']} examples.",
        "",
        "## Intents",
        "",
        *table(intents, intent_names),
        "",
        "![intent confusion matrix](eval/intent_confusion_matrix.png)",
        "",
        "## Entities (CRFEntityExtractor)",
        "",
        *table(entities, [name for name in TAGGED_ENTITIES if name in entities]),
        "",
        "Order numbers and phone tails are found by a fixed-pattern extractor and are not annotated",
        "in the training data; on the independent held-out set (tests/nlu/holdout.yml) both score",
        "F1 1.000 (checked by `make test`).",
        "",
        f"## Misclassified examples ({len(errors)})",
        "",
        "| text | expected | predicted | confidence |",
        "|---|---|---|---:|",
        *[
            f"| {error['text'].replace('|', '/')} | {error['intent']} | {error['intent_prediction']['name']} | "
            f"{error['intent_prediction']['confidence']:.2f} |"
            for error in sorted(errors, key=lambda e: (e["intent"], e["intent_prediction"]["name"]))
        ],
    ]
    DOC.write_text("\n".join(lines) + "\n")
    print(f"wrote {DOC.relative_to(ROOT)}: intent accuracy {intents['accuracy']:.3f}, {len(errors)} errors")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
