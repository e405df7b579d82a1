"""Splits the hand-labelled real customer messages into training and held-out NLU files.

    python scripts/real_data.py               # both files below, only if the held-out split stays as committed
    python scripts/real_data.py --extra       # only data/nlu/real_customers_extra.yml
    python scripts/real_data.py --reshuffle   # replace the held-out split (every figure on it starts again)
    python scripts/real_data.py --score RESULTS_DIR   # after `rasa test nlu --nlu tests/nlu/real_holdout.yml`

Reads data/real/labelled.tsv (columns: text, intent, language, source, source_label, topic;
see docs/DATA.md) and writes, deterministically:

- data/nlu/real_customers.yml: about 60% of every (intent, language) group, for training;
- tests/nlu/real_holdout.yml: the other 40%, for evaluation only (never trained on).

and from data/real/labelled_extra.tsv (a second sample of the same sources, same columns),
training data only, never split:

- data/nlu/real_customers_extra.yml: every usable row, except those whose text is in
  labelled.tsv (either side of the split), in a held-out set or in the curated data.

The split of labelled.tsv does not depend on labelled_extra.tsv: rows added there never move
a message between the training and the held-out file.

Rows whose text (stripped, lower-cased, entity markup removed) is already in the curated
training data (data/nlu/*.yml except the generated files) or the curated held-out set
(tests/nlu/holdout.yml) are left out of both files, so no text is both trained on and tested.

payment_method spans are annotated where the surface form is an unambiguous synonym from
data/nlu/payment_synonyms.yml (bare "credit", "debit" and "cc" are not: "credit limit",
"credit score"). installments are not annotated: the real messages that name a number of
periods are too few to annotate reliably. Order numbers and phone tails stay unannotated.
Standard library and PyYAML only.
"""

from __future__ import annotations

import csv
import random
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Set, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "data" / "real" / "labelled.tsv"
TRAIN_OUT = ROOT / "data" / "nlu" / "real_customers.yml"
EXTRA_LABELLED = ROOT / "data" / "real" / "labelled_extra.tsv"
EXTRA_OUT = ROOT / "data" / "nlu" / "real_customers_extra.yml"
GENERATED = (TRAIN_OUT, EXTRA_OUT)
HOLDOUT_OUT = ROOT / "tests" / "nlu" / "real_holdout.yml"
CURATED_HOLDOUT = ROOT / "tests" / "nlu" / "holdout.yml"
SYNONYMS = ROOT / "data" / "nlu" / "payment_synonyms.yml"

SEED = 20240601
HOLDOUT_SHARE = 0.4
INTENTS = [
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "ask_help",
    "ask_installment_howto",
    "ask_installment_options",
    "ask_installment_fees",
    "ask_installment_review",
    "ask_repayment",
    "change_payment_method",
    "check_order_status",
    "inform",
    "request_human",
    "dont_know",
    "out_of_scope",
]
TOPICS = {
    "",
    "cancel_order",
    "refund",
    "address_change",
    "delivery_complaint",
    "credit_limit",
    "card_pin",
    "card_application",
    "loan",
    "account_phone_change",
    "returns",
    "invoice",
    "coupon",
    "product",
    "chitchat",
    "other",
}
# Synonyms too ambiguous to annotate in free text.
NOT_ANNOTATED = {"credit", "debit", "cc", "借记"}
MARKUP = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def normalise(text: str) -> str:
    return " ".join(MARKUP.sub(r"\1", text).split()).lower()


def read_labelled(path: Path = LABELLED) -> List[Dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for n, row in enumerate(rows, start=2):
        if row["intent"] not in INTENTS:
            raise ValueError(f"line {n}: unknown intent {row['intent']!r}")
        if row["language"] not in ("zh", "en"):
            raise ValueError(f"line {n}: language must be zh or en, not {row['language']!r}")
        if row["topic"] not in TOPICS or (row["topic"] and row["intent"] != "out_of_scope"):
            raise ValueError(f"line {n}: bad topic {row['topic']!r} for {row['intent']}")
        if not row["source"]:
            raise ValueError(f"line {n}: no source")
    return rows


def _examples(doc) -> Iterable[str]:
    for block in (doc or {}).get("nlu") or []:
        if "intent" in block and isinstance(block.get("examples"), str):
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    yield line[2:]


def curated_texts() -> Set[str]:
    paths = [p for p in sorted((ROOT / "data" / "nlu").glob("*.yml")) if p not in GENERATED]
    paths.append(CURATED_HOLDOUT)
    texts: Set[str] = set()
    for path in paths:
        texts.update(normalise(t) for t in _examples(yaml.safe_load(path.read_text(encoding="utf-8"))))
    return texts


def payment_surfaces() -> List[str]:
    doc = yaml.safe_load(SYNONYMS.read_text(encoding="utf-8"))
    surfaces = set()
    for block in doc["nlu"]:
        if "synonym" in block:
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    surface = line[2:].strip().lower()
                    if surface not in NOT_ANNOTATED:
                        surfaces.add(surface)
    return sorted(surfaces, key=len, reverse=True)  # longest first: "花呗分期" before "花呗"


def annotate(text: str, surfaces: Sequence[str]) -> str:
    """Marks payment methods as [surface](payment_method); Latin words only on word edges."""
    taken: List[Tuple[int, int]] = []
    lower = text.lower()
    for surface in surfaces:
        if surface.isascii():
            pattern = re.compile(r"(?<![a-z0-9])" + re.escape(surface) + r"(?![a-z0-9])")
        else:
            pattern = re.compile(re.escape(surface))
        for m in pattern.finditer(lower):
            if all(m.end() <= s or m.start() >= e for s, e in taken):
                taken.append((m.start(), m.end()))
    out, last = [], 0
    for start, end in sorted(taken):
        out.append(text[last:start])
        out.append(f"[{text[start:end]}](payment_method)")
        last = end
    out.append(text[last:])
    return "".join(out)


def split(rows: List[Dict[str, str]]) -> Tuple[List[Dict[str, str]], List[Dict[str, str]]]:
    groups: Dict[Tuple[str, str], List[Dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[(row["intent"], row["language"])].append(row)
    train, holdout = [], []
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda r: (r["text"], r["source"]))
        random.Random(f"{SEED}-{key[0]}-{key[1]}").shuffle(group)
        n_holdout = round(len(group) * HOLDOUT_SHARE)
        n_holdout = min(max(n_holdout, 1), len(group) - 1) if len(group) >= 2 else 0
        holdout.extend(group[:n_holdout])
        train.extend(group[n_holdout:])
    return train, holdout


def render(rows: List[Dict[str, str]], header: str, surfaces: Sequence[str]) -> str:
    by_intent: Dict[str, List[str]] = defaultdict(list)
    for row in rows:
        by_intent[row["intent"]].append(annotate(row["text"], surfaces))
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += ['version: "3.1"', "nlu:"]
    for intent in INTENTS:
        if by_intent.get(intent):
            lines += [f"- intent: {intent}", "  examples: |"]
            lines += [f"    - {text}" for text in sorted(by_intent[intent])]
    return "\n".join(lines) + "\n"


def usable(rows: List[Dict[str, str]], curated: Set[str]) -> Tuple[List[Dict[str, str]], Dict[str, int]]:
    kept, seen, skipped = [], set(), defaultdict(int)
    for row in rows:
        text = " ".join(row["text"].split())
        key = normalise(text)
        if not key:
            skipped["empty"] += 1
        elif any(c in text for c in "[]{}"):
            skipped["markup characters"] += 1  # would be read as entity annotation
        elif key in curated:
            skipped["already in curated data"] += 1
        elif key in seen:
            skipped["duplicate"] += 1
        else:
            seen.add(key)
            kept.append(dict(row, text=text))
    return kept, dict(skipped)


def training_only(
    extra: List[Dict[str, str]], first: List[Dict[str, str]]
) -> Tuple[List[Dict[str, str]], Dict[str, int]]:
    """The second sample's usable rows: as `usable`, and never a text of the first sample (trained
    on or held out), of either held-out file or of the real training file, compared as normalised."""
    taken = curated_texts() | {normalise(row["text"]) for row in first}
    for path in (HOLDOUT_OUT, TRAIN_OUT):  # as committed, whatever the split would be today
        taken |= {normalise(text) for _, text in _intent_examples(path)}
    kept, skipped = usable(extra, taken)
    renamed = {"already in curated data": "already sampled, held out or curated"}
    return kept, {renamed.get(k, k): n for k, n in skipped.items()}


DIALOGUE_INTENTS = {"change_payment_method", "check_order_status", "inform"}


def score(results_dir: Path) -> int:
    """Intent accuracy on the real held-out set, by language, from `rasa test nlu` output.

    Also the share of out_of_scope messages taken as change_payment_method,
    check_order_status or inform (the intents that start or steer an order dialogue).
    nlu_fallback counts as wrong.
    """
    import json

    language = {normalise(r["text"]): r["language"] for r in read_labelled()}
    holdout = [(normalise(t), intent) for intent, t in _intent_examples(HOLDOUT_OUT)]
    errors = json.loads((results_dir / "intent_errors.json").read_text(encoding="utf-8"))
    wrong = {normalise(e["text"]): (e["intent_prediction"] or {}).get("name") for e in errors}
    total: Dict[str, int] = defaultdict(int)
    correct: Dict[str, int] = defaultdict(int)
    oos = oos_dialogue = 0
    for text, intent in holdout:
        lang = language.get(text, "?")
        for key in ("all", lang):
            total[key] += 1
            correct[key] += text not in wrong
        if intent == "out_of_scope":
            oos += 1
            oos_dialogue += wrong.get(text) in DIALOGUE_INTENTS
    for key in ("all", "en", "zh"):
        if total[key]:
            print(f"intent accuracy {key}: {correct[key] / total[key]:.3f} ({correct[key]}/{total[key]})")
    if oos:
        print(
            f"out_of_scope taken as {'/'.join(sorted(DIALOGUE_INTENTS))}: "
            f"{oos_dialogue / oos:.3f} ({oos_dialogue}/{oos})"
        )
    return 0


def _intent_examples(path: Path) -> Iterable[Tuple[str, str]]:
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield block["intent"], line[2:]


COMMON_HEADER = (
    "Generated by scripts/real_data.py from data/real/labelled.tsv: do not edit by hand.\n"
    "Real customer messages from public datasets; sources and licences in docs/DATA.md.\n"
)


def write_extra(rows: List[Dict[str, str]], surfaces: Sequence[str]) -> None:
    """data/nlu/real_customers_extra.yml from labelled_extra.tsv; excludes what the committed
    split files and labelled.tsv hold, so it never depends on (or moves) the split."""
    extra, skipped = training_only(read_labelled(EXTRA_LABELLED), rows)
    held_out = {normalise(text) for _, text in _intent_examples(HOLDOUT_OUT)}
    assert not held_out & {normalise(row["text"]) for row in extra}
    header = COMMON_HEADER.replace("labelled.tsv", "labelled_extra.tsv") + (
        "A second sample of the same sources: training only. No text here is in data/real/labelled.tsv,\n"
        "in a held-out set or in the curated data."
    )
    EXTRA_OUT.write_text(render(extra, header, surfaces), encoding="utf-8")
    print(f"second sample: {len(extra)} training rows in {EXTRA_OUT.relative_to(ROOT)}, skipped: {skipped or 'none'}")


def main(argv: Sequence[str]) -> int:
    if len(argv) == 2 and argv[0] == "--score":
        return score(Path(argv[1]))
    rows = read_labelled()
    surfaces = payment_surfaces()
    if argv == ["--extra"]:
        write_extra(rows, surfaces)
        return 0
    if argv not in ([], ["--reshuffle"]):
        print(__doc__)
        return 2
    kept, skipped = usable(rows, curated_texts())
    train, holdout = split(kept)
    holdout_header = COMMON_HEADER + "Held-out split (about 40%): evaluation only, never train on it."
    holdout_text = render(holdout, holdout_header, surfaces)
    if HOLDOUT_OUT.exists() and HOLDOUT_OUT.read_text(encoding="utf-8") != holdout_text and argv != ["--reshuffle"]:
        # The split depends on which rows are usable: a curated example added later that equals
        # a labelled text drops that row and reshuffles its group. A held-out set that changes
        # under the measurements is not one.
        print(
            f"The split computed now differs from {HOLDOUT_OUT.relative_to(ROOT)}: nothing written. "
            "Run with --extra to regenerate only the second sample's training file, or --reshuffle "
            "to replace the held-out split (then every figure measured on it starts again)."
        )
        return 1
    TRAIN_OUT.write_text(
        render(train, COMMON_HEADER + "Training split (about 60% of each intent and language).", surfaces),
        encoding="utf-8",
    )
    HOLDOUT_OUT.write_text(holdout_text, encoding="utf-8")
    counts: Dict[Tuple[str, str], List[int]] = defaultdict(lambda: [0, 0])
    for row in train:
        counts[(row["intent"], row["language"])][0] += 1
    for row in holdout:
        counts[(row["intent"], row["language"])][1] += 1
    print(f"{len(rows)} labelled rows, {len(kept)} used, skipped: {skipped or 'none'}")
    print(f"{'intent':26} {'lang':4} {'train':>5} {'held-out':>8}")
    for intent, language in sorted(counts):
        n_train, n_holdout = counts[(intent, language)]
        print(f"{intent:26} {language:4} {n_train:5} {n_holdout:8}")
    print(f"total {len(train)} train, {len(holdout)} held out")
    write_extra(rows, surfaces)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
