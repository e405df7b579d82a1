"""Cross-validation of the intent pipeline on the training data only, in one process, for
choosing features, C, class weights, thresholds and data (the held-out sets are not read).

    python scripts/nlu_cv.py [--config config.yml] [--folds 5] [--seeds 1 2] [--set NAME.KEY=VALUE ...]
                             [--always-train FILE ...] [--without FILE ...] [--entities] [--dump out/cv/NAME.json]

data/nlu is split into stratified folds (by intent); each fold is predicted by the
pipeline of --config trained on the other folds, with Rasa's own components (tokenizer,
featurizers, intent classifier, FallbackClassifier, UnknownWordsFallback) created in-process;
entity extractors are skipped (they do not touch the intent) unless --entities asks for the
entity F1 of the curated messages (exact payment_method and installments spans, as make eval).
Files named by --always-train are in every fold's training data and never predicted, and so
is data/nlu/real_customers_extra.yml (the second real sample, training only): data can then be
compared on the same predicted messages with and without it (--without FILE leaves a file out).

Scored as scripts/nlu_compare.py scores the held-out sets (nlu_fallback on an out_of_scope
message is right), separately for the real customers' training split
(data/nlu/real_customers.yml) and the curated files:
- real acc. / curated acc.: after the fallbacks;
- real OOS -> order flow: real out_of_scope messages predicted as change_payment_method,
  check_order_status or inform.
--set overrides a pipeline entry's setting: `--set LinearSVMIntentClassifier.C=2`,
`--set 4.max_ngram=5` (by position). --dump writes every prediction (with the ranking) for
threshold sweeps.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Sequence, Set, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mall.outcomes import ORDER_FLOW_INTENTS, OUT_OF_SCOPE  # noqa: E402  (after the path)
from scripts.nlu_compare import entity_f1, is_right, spans  # noqa: E402  (scored as the held-out sets)

REAL_TRAIN = ROOT / "data" / "nlu" / "real_customers.yml"
REAL_EXTRA = ROOT / "data" / "nlu" / "real_customers_extra.yml"  # training only: never predicted
ENTITY_EXTRACTORS = {
    "CRFEntityExtractor",
    "rasa_addons.crf_entities.ThreadSafeCRFEntityExtractor",
    "rasa_addons.digit_entities.DigitEntityExtractor",
    "EntitySynonymMapper",
}


def parse_value(text: str) -> Any:
    return yaml.safe_load(text)


def pipeline_of(config_path: Path, overrides: Sequence[str], entities: bool = False) -> List[Dict[str, Any]]:
    pipeline = yaml.safe_load(config_path.read_text())["pipeline"]
    for override in overrides:
        target, value = override.split("=", 1)
        name, key = target.rsplit(".", 1)
        entries = [pipeline[int(name)]] if name.isdigit() else [e for e in pipeline if e["name"].endswith(name)]
        if not entries:
            raise SystemExit(f"no pipeline entry {name!r}")
        for entry in entries:
            entry[key] = parse_value(value)
    return [entry for entry in pipeline if entities or entry["name"] not in ENTITY_EXTRACTORS]


def load_examples(paths: Sequence[Tuple[Path, str]]) -> List[Tuple[str, str, str, list]]:
    """(text, intent, origin, entities) with origin real / curated / extra; markup removed."""
    from rasa.shared.nlu.training_data.loading import load_data

    rows = []
    for path, origin in paths:
        for message in load_data(str(path), language="zh").intent_examples:
            rows.append((message.get("text"), message.get("intent"), origin, message.get("entities") or []))
    return rows


def training_files(always_train: Sequence[Path], without: Sequence[Path]) -> List[Tuple[Path, str]]:
    extra = {p.resolve() for p in always_train} | {REAL_EXTRA.resolve()}
    skipped = {p.resolve() for p in without}
    files = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        if path.resolve() in extra | skipped:
            continue
        files.append((path, "real" if path == REAL_TRAIN else "curated"))
    always = [p for p in [*always_train, REAL_EXTRA] if p.exists() and p.resolve() not in skipped]
    return files + [(p, "extra") for p in dict.fromkeys(always)]


def run_fold(pipeline, train_paths, listed: Set[str], train_rows, test_rows, workdir: Path) -> List[Dict[str, Any]]:
    """Trains the pipeline on train_rows (plus the regexes and lookups of the data files) and
    predicts test_rows: [{text, intent, origin, predicted, ranking, unknown}]."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    structure = TrainingData().merge(*(load_data(str(p), language="zh") for p, _ in train_paths))
    examples = [
        Message(data={"text": text, "intent": intent, "entities": entities}) for text, intent, _, entities in train_rows
    ]
    data = TrainingData(
        training_examples=examples,
        regex_features=structure.regex_features,
        lookup_tables=structure.lookup_tables,
        entity_synonyms=fold_synonyms(structure.entity_synonyms, listed, train_rows, test_rows),
    )
    tests = [Message(data={"text": row[0]}) for row in test_rows]
    storage = LocalModelStorage(workdir)
    ranking_before_fallback: List[List[Tuple[str, float]]] = []
    for index, entry in enumerate(pipeline):
        config = {k: v for k, v in entry.items() if k != "name"}
        clazz = DefaultV1Recipe._from_registry(entry["name"]).clazz
        config = {**clazz.get_default_config(), **config}
        node = f"{index}_{clazz.__name__}"
        context = ExecutionContext(GraphSchema({}), node_name=node)
        component = clazz.create(config, storage, Resource(node), context)
        if clazz.__name__ == "FallbackClassifier":
            ranking_before_fallback = [
                [(r["name"], r["confidence"]) for r in m.get("intent_ranking") or []] for m in tests
            ]
        if hasattr(component, "train"):
            component.train(data)
        if hasattr(component, "process_training_data"):
            component.process_training_data(data)
        component.process(tests)
    results = []
    for (text, intent, origin, gold), message, ranking in zip(test_rows, tests, ranking_before_fallback, strict=True):
        results.append(
            {
                "text": text,
                "intent": intent,
                "origin": origin,
                "predicted": (message.get("intent") or {}).get("name"),
                "ranking": ranking[:3],
                "entities": spans(message.get("entities") or []),
                "gold_entities": spans(gold),
            }
        )
    return results


def written_synonyms(rows) -> set:
    """The forms that a row's annotation maps to another value ("[全款]{... "value": "1"}")."""
    return {
        text[e["start"] : e["end"]].lower()
        for text, _, _, entities in rows
        for e in entities
        if str(e.get("value")) != text[e["start"] : e["end"]]
    }


def listed_synonyms(paths: Sequence[Tuple[Path, str]]) -> Set[str]:
    """The forms in the data files' `synonym:` lists (Rasa merges them with inline ones)."""
    listed: Set[str] = set()
    for path, _ in paths:
        for entry in (yaml.safe_load(path.read_text()) or {}).get("nlu") or []:
            if "synonym" in entry:
                listed |= {line[2:].strip().lower() for line in entry["examples"].splitlines() if line.strip()}
    return listed


def fold_synonyms(synonyms: Dict[str, Any], listed: Set[str], train_rows, test_rows) -> Dict[str, Any]:
    """Rasa's synonyms without the ones only a predicted row's annotation brings: the synonym
    lists stay (they are not examples), a form written only in the test fold does not."""
    unseen = written_synonyms(test_rows) - written_synonyms(train_rows) - listed
    return {form: value for form, value in synonyms.items() if form.lower() not in unseen}


def folds_of(rows, n_folds: int, seed: int) -> List[List[int]]:
    from sklearn.model_selection import StratifiedKFold

    scored = [i for i, row in enumerate(rows) if row[2] != "extra"]
    labels = [rows[i][1] for i in scored]
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return [[scored[j] for j in test] for _, test in splitter.split(scored, labels)]


def summary(results: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    real = [r for r in results if r["origin"] == "real"]
    curated = [r for r in results if r["origin"] == "curated"]
    real_oos = [r for r in real if r["intent"] == OUT_OF_SCOPE]
    misrouted = sum(r["predicted"] in ORDER_FLOW_INTENTS for r in real_oos)
    top = lambda rows: sum(bool(r["ranking"]) and r["ranking"][0][0] == r["intent"] for r in rows) / len(rows)  # noqa: E731
    return {
        "real_acc": sum(map(is_right, real)) / len(real),
        "real_top": top(real),
        "real_oos_order": misrouted / len(real_oos),
        "real_oos_order_n": f"{misrouted}/{len(real_oos)}",
        "curated_acc": sum(map(is_right, curated)) / len(curated),
        "curated_top": top(curated),
        "curated_entity_f1": entity_f1(curated),
        "real_n": len(real),
        "curated_n": len(curated),
    }


def prepare_process() -> None:
    """Quiet Rasa and TensorFlow; embed each message once, however many folds train on it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.WARNING)
    import warnings

    warnings.filterwarnings("ignore")
    from rasa_addons import sentence_encoder

    sentence_encoder.memo = {}


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="*", default=[1])
    parser.add_argument("--set", dest="overrides", nargs="*", default=[])
    parser.add_argument("--always-train", type=Path, nargs="*", default=[])
    parser.add_argument("--without", type=Path, nargs="*", default=[], help="leave these data files out")
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--entities", action="store_true", help="train the entity extractors too; entity F1 on curated")
    args = parser.parse_args(argv)

    prepare_process()
    pipeline = pipeline_of(args.config, args.overrides, args.entities)
    paths = training_files([p.resolve() for p in args.always_train], [p.resolve() for p in args.without])
    rows = load_examples(paths)
    listed = listed_synonyms(paths)
    started = time.perf_counter()
    results: List[Dict[str, Any]] = []
    per_seed = []
    for seed in args.seeds:
        seed_results = []
        for fold in folds_of(rows, args.folds, seed):
            held = set(fold)
            train_rows = [row for i, row in enumerate(rows) if i not in held]
            test_rows = [rows[i] for i in fold]
            with tempfile.TemporaryDirectory() as tmp:
                seed_results += run_fold(pipeline, paths, listed, train_rows, test_rows, Path(tmp))
        for r in seed_results:
            r["seed"] = seed
        per_seed.append(summary(seed_results))
        results += seed_results
    total = summary(results)
    label = " ".join(args.overrides) or "as configured"
    label += "; always trained: " + (", ".join(p.name for p, origin in paths if origin == "extra") or "nothing")
    if args.without:
        label += "; without " + ", ".join(p.name for p in args.without)
    print(f"{label}  ({args.folds} folds x seeds {args.seeds}, {time.perf_counter() - started:.0f} s)")
    for seed, s in zip(args.seeds, per_seed, strict=True):
        print(
            f"  seed {seed}: real acc {s['real_acc']:.4f} (no fallback {s['real_top']:.4f}), "
            f"real OOS->order {s['real_oos_order']:.4f} ({s['real_oos_order_n']}), "
            f"curated acc {s['curated_acc']:.4f} (no fallback {s['curated_top']:.4f})"
        )
    print(
        f"  mean:   real acc {total['real_acc']:.4f}, real OOS->order {total['real_oos_order']:.4f}, "
        f"curated acc {total['curated_acc']:.4f}   [real n={total['real_n']}, curated n={total['curated_n']}]"
    )
    if args.entities:
        print(f"  entity F1 (payment_method + installments, curated messages): {total['curated_entity_f1']:.4f}")
    if args.dump:
        args.dump.parent.mkdir(parents=True, exist_ok=True)
        args.dump.write_text(json.dumps({"label": label, "results": results}, ensure_ascii=False))
    confusions = Counter((r["intent"], r["predicted"]) for r in results if r["origin"] == "real" and not is_right(r))
    print("  real, most frequent errors:", ", ".join(f"{a}->{b} {n}" for (a, b), n in confusions.most_common(8)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
