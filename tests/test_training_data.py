"""NLU data quality: token-aligned entities, canonical methods, no intent collisions."""

from pathlib import Path

import yaml

from scripts.nlu_lint import lint
from scripts.validate_data import BUTTON_ONLY_INTENTS

ROOT = Path(__file__).resolve().parent.parent


def test_training_data_has_no_problems():
    problems, counts = lint([str(ROOT / "data" / "nlu")])
    assert problems == []
    domain_intents = yaml.safe_load((ROOT / "domain.yml").read_text())["intents"]
    names = {intent if isinstance(intent, str) else next(iter(intent)) for intent in domain_intents}
    # Every intent has examples but those only buttons send; no examples for an unknown one.
    assert set(counts) == names - BUTTON_ONLY_INTENTS


def test_lint_finds_an_unannotated_method_and_an_example_annotated_two_ways(tmp_path):
    data = tmp_path / "nlu.yml"
    data.write_text(
        """version: "3.1"
nlu:
- synonym: credit_card
  examples: |
    - 信用卡
- intent: ask_installment_options
  examples: |
    - 信用卡能分期吗
- intent: inform
  examples: |
    - [信用卡](payment_method)
- intent: out_of_scope
  examples: |
    - 信用卡怎么办理
    - 信用卡
"""
    )
    problems, _ = lint([str(data)])
    assert "ask_installment_options: '信用卡能分期吗': the payment method '信用卡' is not annotated" in problems
    assert "'信用卡' is annotated in 2 different ways" in problems
    # Out of scope, a card may be the bank's product rather than a way to pay: not checked.
    assert not any("信用卡怎么办理" in problem for problem in problems)
