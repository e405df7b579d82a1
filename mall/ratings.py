"""Customer ratings (CSAT): the scale, what counts as negative, and the rating buttons.

The assistant asks once per session (actions/feedback.py), after a finished change, a closed
ticket, or a goodbye after an answer; the customer's choice is recorded with the session
(mall.sessions) and counted by mall.insights.
"""

from __future__ import annotations

from typing import Any, Dict, List

RATING_INTENT = "rate"  # the buttons' payload: /rate{"rating": N}
# Intents only buttons send: no training examples (scripts/validate_data.py), and nothing a
# supervisor may label a customer's message with (mall.labelling).
BUTTON_ONLY_INTENTS = frozenset({RATING_INTENT})
RATING_ENTITY = "rating"
SCALE = (1, 2, 3, 4, 5)  # 1 very dissatisfied ... 5 very satisfied
NEGATIVE = frozenset([1, 2])  # a session rated so is not resolved (mall.insights)
# Numbers first: a customer who types "5" means the button titled "5 😄" (rasa_addons.typed_buttons
# compares titles without symbols). The same in both languages; the question says which end is which.
FACES = {1: "😞", 2: "🙁", 3: "😐", 4: "🙂", 5: "😄"}


def is_rating(value: Any) -> bool:
    """A whole number on the scale (a payload can be typed, so anything else is possible)."""
    if isinstance(value, bool):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return number.is_integer() and int(number) in SCALE


def rating_buttons() -> List[Dict[str, str]]:
    return [
        {"title": f"{score} {FACES[score]}", "payload": f'/{RATING_INTENT}{{"{RATING_ENTITY}":{score}}}'}
        for score in SCALE
    ]
