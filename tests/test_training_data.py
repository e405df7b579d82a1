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
