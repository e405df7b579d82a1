"""Checks NLU training data for mistakes Rasa only warns about, or not at all.

    python scripts/nlu_lint.py [data/nlu ...]

- every entity span starts and ends on a token boundary of the project's tokenizer
  (jieba with the user dictionary, whitespace dropped);
- only the CRF's entities are annotated (order_id and phone_tail come from a fixed-pattern
  extractor and must stay unannotated, or the CRF learns them too);
- every annotated payment_method surface form maps to a canonical value via a synonym;
- a payment method named in an example of the assistant's own intents is annotated (an
  unannotated name teaches the CRF that it is not one);
- no example text appears under two intents, or twice with different annotations;
- counts of examples per intent and language, with the minimums below.

Exit status 1 when any check fails. tests/test_training_data.py runs the same checks.
"""

from __future__ import annotations

import glob
import logging
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mall.catalog import PAYMENT_METHODS  # noqa: E402
from mall.language import message_language  # noqa: E402
from mall.outcomes import OUT_OF_SCOPE  # noqa: E402
from scripts.nlu_compare import TAGGED_ENTITIES  # noqa: E402

# Methods customers ask for that the mall does not take: recognised so the bot can say so.
UNSUPPORTED_METHODS = {"jd_baitiao", "paypal", "apple_pay", "cash_on_delivery"}
# Synonyms of a method that are also plain words ("credit score", "auto debit"): not checked.
AMBIGUOUS_METHOD_NAMES = {"credit", "debit"}
MIN_PER_LANGUAGE = 15  # per intent and per language, zh and en


def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    for dictionary in sorted(glob.glob(str(ROOT / "jieba_dict" / "*"))):
        jieba.load_userdict(dictionary)

    def tokens(text: str) -> List[Tuple[int, int]]:
        return [(start, end) for word, start, end in jieba.tokenize(text) if word.strip()]

    return tokens


def unannotated_methods(text: str, entities: Sequence[dict], names: Sequence[str], starts: set, ends: set) -> List[str]:
    """Payment method names (longest first) on token boundaries that no annotation covers."""
    covered = [(e["start"], e["end"]) for e in entities]
    lowered, found = text.lower(), []
    for name in names:
        start = lowered.find(name)
        while start >= 0:
            end = start + len(name)
            taken = any(s < end and start < e for s, e in covered)
            if not taken and start in starts and end in ends:
                found.append(text[start:end])
                covered.append((start, end))
            start = lowered.find(name, end)
    return found


def lint(paths: Sequence[str]) -> Tuple[List[str], Dict[str, Counter]]:
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = TrainingData().merge(*(load_data(path, language="zh") for path in paths))
    tokens = _tokenizer()
    problems: List[str] = []
    synonyms = {k.lower(): v for k, v in data.entity_synonyms.items()}
    allowed_values = set(PAYMENT_METHODS) | UNSUPPORTED_METHODS
    method_names = sorted(
        (k for k, v in synonyms.items() if v in allowed_values and k not in AMBIGUOUS_METHOD_NAMES),
        key=len,
        reverse=True,
    )
    intents_of_text: Dict[str, set] = defaultdict(set)
    annotations_of_text: Dict[str, set] = defaultdict(set)
    counts: Dict[str, Counter] = defaultdict(Counter)

    for example in data.intent_examples:
        text, intent = example.get("text"), example.get("intent")
        intents_of_text[text.strip().lower()].add(intent)
        counts[intent][message_language(text) or "neutral"] += 1
        annotations_of_text[text.strip().lower()].add(
            tuple(sorted((e["entity"], e["start"], e["end"]) for e in example.get("entities") or []))
        )
        spans = tokens(text)
        starts, ends = {s for s, _ in spans}, {e for _, e in spans}
        if intent != OUT_OF_SCOPE:
            for surface in unannotated_methods(text, example.get("entities") or [], method_names, starts, ends):
                problems.append(f"{intent}: '{text}': the payment method '{surface}' is not annotated")
        for entity in example.get("entities") or []:
            name, start, end = entity["entity"], entity["start"], entity["end"]
            surface = text[start:end]
            if name not in TAGGED_ENTITIES:
                problems.append(f"{intent}: '{text}': do not annotate {name} (extracted by pattern)")
            if start not in starts or end not in ends:
                problems.append(f"{intent}: '{text}': '{surface}' is not on token boundaries")
            if name == "payment_method":
                value = entity.get("value", surface)
                canonical = synonyms.get(str(value).lower(), value)
                if canonical not in allowed_values:
                    problems.append(f"{intent}: '{text}': no synonym maps '{surface}' to a method")

    for text, intents in intents_of_text.items():
        if len(intents) > 1:
            problems.append(f"'{text}' is an example of {sorted(intents)}")
        if len(annotations_of_text[text]) > 1:
            problems.append(f"'{text}' is annotated in {len(annotations_of_text[text])} different ways")
    for intent, by_language in counts.items():
        for language in ("zh", "en"):
            if by_language[language] < MIN_PER_LANGUAGE:
                problems.append(
                    f"{intent}: only {by_language[language]} {language} examples (want {MIN_PER_LANGUAGE}+)"
                )
    return problems, counts


def main(argv: Sequence[str]) -> int:
    paths = list(argv) or [str(ROOT / "data" / "nlu")]
    problems, counts = lint(paths)
    for intent in sorted(counts):
        by_language = counts[intent]
        print(f"{intent:28} zh {by_language['zh']:4}  en {by_language['en']:4}  other {by_language['neutral']:3}")
    for problem in problems:
        print("PROBLEM:", problem)
    print(f"{sum(sum(c.values()) for c in counts.values())} examples, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
