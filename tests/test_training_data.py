"""NLU data quality: token-aligned entities, canonical methods, no intent collisions."""

from pathlib import Path

from scripts.nlu_lint import lint

ROOT = Path(__file__).resolve().parent.parent


def test_training_data_has_no_problems():
    problems, counts = lint([str(ROOT / "data" / "nlu")])
    assert problems == []
    assert len(counts) == 17
