"""Several questions in one message ("分期有手续费吗 能提前还吗") each get their answer.

The classifier gives a message one intent, so the second question went unanswered. A
message that splits into clauses which are each, on their own, a confident question the
assistant answers from its knowledge (fees, repayment, options...) is handled as that many
messages in a row, in the order written. Anything else (an order number, a request, a
clause not understood) is handled as one message, as before.
"""

from __future__ import annotations

import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor

from rasa_addons.patches import Patch

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

HandleMessage = Callable[[MessageProcessor, UserMessage], Awaitable[Optional[List[Dict[Text, Any]]]]]


def clauses(text: Text) -> List[Text]:
    return [part.strip() for part in _BREAK.split(text) if len(_WORD.findall(part)) >= 2]


def answer_each_question(handle: HandleMessage) -> HandleMessage:
    async def handle_message(self: MessageProcessor, message: UserMessage) -> Optional[List[Dict[Text, Any]]]:
        parts = [] if message.parse_data or not message.text else clauses(message.text)
        if not 2 <= len(parts) <= MAX_QUESTIONS:
            return await handle(self, message)
        parsed = [await self.parse_message(UserMessage(part, sender_id=message.sender_id)) for part in parts]
        intents = [parse["intent"].get("name") for parse in parsed]
        if len(set(intents)) < len(intents) or not set(intents) <= INDEPENDENT_QUESTIONS:
            return await handle(self, message)
        for part, parse in zip(parts, parsed, strict=True):
            await handle(
                self,
                UserMessage(
                    part,
                    message.output_channel,
                    message.sender_id,
                    parse_data=parse,
                    input_channel=message.input_channel,
                    metadata=message.metadata,
                ),
            )
        if isinstance(message.output_channel, CollectingOutputChannel):
            return message.output_channel.messages
        return None

    return handle_message


PATCH = Patch(MessageProcessor, "handle_message", answer_each_question, "every question of a message answered")
