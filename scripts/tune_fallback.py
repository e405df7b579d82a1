"""Chooses the FallbackClassifier threshold from data instead of guessing it.

    make tune-fallback        (about two minutes; writes docs/FALLBACK.md)

Trains the NLU pipeline of config.yml (without the FallbackClassifier) on 80 % of the training
data, then scores confidence thresholds on the other 20 % (in-domain messages that
should be understood) and on tests/nlu/not_understood.txt (messages that should not):
- a correct message sent to the fallback costs 1 (the customer rephrases),
- a wrong intent above the threshold costs 2 (the bot does the wrong thing),
- a not-understood message above the threshold costs 1 (a confused answer),
- an out_of_scope message sent to the fallback costs nothing ("I didn't understand" is a right
  answer to a question the bot cannot handle: the same rule as make eval, docs/NLU.md).
A message is accepted when its confidence reaches the threshold and beats the runner-up by
config.yml's ambiguity_threshold, as FallbackClassifier decides.
The cheapest threshold that sends at most MAX_FALSE_FALLBACK_SHARE of the understood messages
to the fallback is chosen: past that, customers rephrase too often for a few fewer wrong intents
(the cost curve is flat around its minimum). The independent held-out set is scored with it too.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import List, Sequence, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mall.outcomes import NOT_UNDERSTOOD, OUT_OF_SCOPE  # noqa: E402  (after the path)

REPORT = ROOT / "docs" / "FALLBACK.md"
THRESHOLDS = [round(0.30 + 0.05 * i, 2) for i in range(14)]  # 0.30 .. 0.95
SEED = 2611
MAX_FALSE_FALLBACK_SHARE = 0.03  # one understood message in 33 sent to "did you mean ...?"

Scored = List[Tuple[str, str, float, float]]  # (expected, predicted, confidence, lead over the runner-up)


def train_without_fallback(workdir: Path, nlu_file: Path, config_path: Path = ROOT / "config.yml") -> Path:
    from rasa.model_training import train_nlu

    config = yaml.safe_load(config_path.read_text())
    config["pipeline"] = [c for c in config["pipeline"] if c["name"] != "FallbackClassifier"]
    config_file = workdir / "config.yml"
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True))
    return Path(train_nlu(str(config_file), str(nlu_file), str(workdir), fixed_model_name="tuning"))


def score(model: Path, examples: Sequence[Tuple[str, str]]) -> Scored:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # unconfigured, structlog prints every parse
    agent = Agent.load(str(model))

    async def parse_all() -> Scored:
        results = []
        for text, expected in examples:
            parsed = await agent.parse_message(text)
            confidences = [entry["confidence"] for entry in parsed.get("intent_ranking", [])] + [0.0, 0.0]
            intent = parsed["intent"]
            results.append((expected, intent["name"], intent["confidence"], confidences[0] - confidences[1]))
        return results

    return asyncio.run(parse_all())


def costs(in_domain: Scored, not_understood: Scored, threshold: float, ambiguity: float) -> Tuple[int, int, int]:
    """(correct sent to the fallback, wrong accepted, not-understood accepted).
    UnknownWordsFallback's verdict (nlu_fallback) is a fallback at any threshold."""

    def accepted(predicted: str, confidence: float, lead: float) -> bool:
        return predicted != NOT_UNDERSTOOD and confidence >= threshold and lead >= ambiguity

    false_fallbacks = sum(
        1
        for e, p, c, lead in in_domain
        if e != OUT_OF_SCOPE and (p == NOT_UNDERSTOOD or (e == p and not accepted(p, c, lead)))
    )
    wrong_accepted = sum(1 for e, p, c, lead in in_domain if e != p and accepted(p, c, lead))
    confused = sum(1 for _, p, c, lead in not_understood if accepted(p, c, lead))
    return false_fallbacks, wrong_accepted, confused


def fallback_setting(key: str, default: float, config_path: Path = ROOT / "config.yml") -> float:
    pipeline = yaml.safe_load(config_path.read_text())["pipeline"]
    fallback = next(c for c in pipeline if c["name"] == "FallbackClassifier")
    return float(fallback.get(key, default))


def accuracy(scored: Scored) -> float:
    return sum(1 for e, p, _, _ in scored if e == p) / len(scored)


def measure() -> Tuple[Scored, Scored, Scored]:
    """The model trained on 80 % of the training data, scored on the other 20 %, the held-out
    set and messages nobody can understand."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "data" / "nlu"), language="zh")
    train, split = data.train_test_split(train_frac=0.8, random_seed=SEED)
    holdout = load_data(str(ROOT / "tests" / "nlu" / "holdout.yml"), language="zh")
    gibberish = [
        line.strip()
        for line in (ROOT / "tests" / "nlu" / "not_understood.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        nlu_file = workdir / "train.yml"
        nlu_file.write_text(train.nlu_as_yaml())
        model = train_without_fallback(workdir, nlu_file)
        split_scored = score(model, [(m.get("text"), m.get("intent")) for m in split.intent_examples])
        holdout_scored = score(model, [(m.get("text"), m.get("intent")) for m in holdout.intent_examples])
        gibberish_scored = score(model, [(text, "none") for text in gibberish])
    return split_scored, holdout_scored, gibberish_scored


def chosen_line(chosen: float, configured: float) -> str:
    if round(chosen, 2) == round(configured, 2):
        return f"Chosen threshold: **{chosen:.2f}** (set in config.yml)."
    return (
        f"Chosen threshold: **{chosen:.2f}**; config.yml keeps {configured:.2f}, which cross-validation "
        "over the whole training data preferred (docs/DATA.md)."
    )


def report(split: Scored, holdout: Scored, gibberish: Scored, ambiguity: float) -> List[str]:
    rows = []
    for threshold in THRESHOLDS:
        false_fallbacks, wrong_accepted, confused = costs(split, gibberish, threshold, ambiguity)
        rows.append(
            (false_fallbacks + 2 * wrong_accepted + confused, threshold, false_fallbacks, wrong_accepted, confused)
        )
    understood = sum(1 for expected, _, _, _ in split if expected != OUT_OF_SCOPE)
    bearable = [row for row in rows if row[2] <= MAX_FALSE_FALLBACK_SHARE * understood] or rows
    chosen = min(bearable)[1]  # lowest cost, then lowest threshold
    hold_ff, hold_wrong, _ = costs(holdout, [], chosen, ambiguity)
    confusions = Counter((e, p) for e, p, _, _ in split + holdout if e != p).most_common(8)
    lines = [
        "# Fallback threshold",
        "",
        "Written by `make tune-fallback` (scripts/tune_fallback.py). The NLU pipeline was trained on",
        f"80 % of the training data (seed {SEED}); thresholds were scored on the other 20 %",
        f"({len(split)} messages) and on {len(gibberish)} messages nobody can understand",
        "(tests/nlu/not_understood.txt). Cost = false fallbacks + 2 × wrong intents accepted +",
        "not-understood messages accepted; out_of_scope messages sent to the fallback cost nothing.",
        f"Accepted = confidence ≥ threshold and ahead of the runner-up by ≥ {ambiguity:.2f} (ambiguity_threshold).",
        f"Chosen: the cheapest threshold sending at most {MAX_FALSE_FALLBACK_SHARE:.0%} of the {understood} understood",
        "messages to the fallback.",
        "",
        "| threshold | false fallbacks | wrong intents accepted | not-understood accepted | cost |",
        "|---:|---:|---:|---:|---:|",
    ]
    for cost, threshold, ff, wrong, confused in rows:
        mark = " **(chosen)**" if threshold == chosen else ""
        lines.append(f"| {threshold:.2f}{mark} | {ff} | {wrong} | {confused}/{len(gibberish)} | {cost} |")
    return lines + [
        "",
        chosen_line(chosen, fallback_setting("threshold", 0.3)),
        "",
        f"On the independent held-out set (tests/nlu/holdout.yml, {len(holdout)} messages) at",
        f"{chosen:.2f}: {hold_ff} correct messages would go to the fallback, {hold_wrong} wrong intents",
        "would be accepted.",
        "",
        f"Top-intent accuracy without a threshold: {accuracy(split):.3f} on the 20 % split,",
        f"{accuracy(holdout):.3f} on the held-out set. Most frequent confusions (expected → predicted):",
        "",
        *[f"- {expected} → {predicted}: {count}" for (expected, predicted), count in confusions],
    ]


def main() -> int:
    logging.disable(logging.WARNING)
    lines = report(*measure(), fallback_setting("ambiguity_threshold", 0.1))
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
