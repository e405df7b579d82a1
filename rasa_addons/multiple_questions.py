"""Several questions in one message ("分期有手续费吗 能提前还吗") each get their answer.

The classifier gives a message one intent, so the second question went unanswered. A
message that splits into clauses which are each, on their own, a confident question the
assistant answers from its knowledge (fees, repayment, options...) is handled as that many
messages in a row, in the order written (rasa_addons.door). Anything else (an order number, a
request, a clause not understood) is handled as one message.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Sequence, Text

# Questions answered by a reply alone, whatever came before (no form, no order).
INDEPENDENT_QUESTIONS = frozenset(
    {
        "ask_installment_howto",
        "ask_installment_options",
        "ask_installment_fees",
        "ask_installment_review",
        "ask_repayment",
        "bot_challenge",
        "ask_help",
    }
)
MAX_QUESTIONS = 3
# Where one question ends: a question or full stop, a space between Chinese words, a comma
# after a question particle, or "also".
_BREAK = re.compile(
    r"\s*(?:[？?！!。；;\n]+|(?<=[吗呢么])[，,、]|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])"
    r"|(?:另外|还有就是|顺便问下|and also|also)(?=\s|[\u4e00-\u9fff]))\s*",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z\u4e00-\u9fff]")


def clauses(text: Text) -> List[Text]:
    return [part.strip() for part in _BREAK.split(text) if len(_WORD.findall(part)) >= 2]


def could_be_several(parts: Sequence[Text]) -> bool:
    return 2 <= len(parts) <= MAX_QUESTIONS


def are_separate_questions(parsed: Sequence[Dict[str, Any]]) -> bool:
    """Each clause is a different question the assistant answers on its own."""
    intents = [parse["intent"].get("name") for parse in parsed]
    return len(set(intents)) == len(intents) and set(intents) <= INDEPENDENT_QUESTIONS
