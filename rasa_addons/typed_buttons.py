"""A customer who types the label of a button the bot just showed means that button.

"WeChat Pay" typed at "Which payment method?" is the button's payload, whatever the
classifier makes of the words. The message keeps the customer's text (transcripts, reply
language); its meaning is the payload's.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.patches import Patch

_IGNORED = re.compile(r"[\s\W_]+")

HandleMessage = Callable[[MessageProcessor, UserMessage, DialogueStateTracker], Awaitable[None]]


def _normalised(text: Text) -> Text:
    return _IGNORED.sub("", unicodedata.normalize("NFKC", text)).casefold()


def pressed_button(text: Optional[Text], tracker: DialogueStateTracker) -> Optional[Text]:
    """The payload of the button of the bot's latest message whose title the text is."""
    if not text or text.lstrip().startswith("/"):
        return None
    typed = _normalised(text)
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            for button in (event.data or {}).get("buttons") or []:
                if typed and _normalised(str(button.get("title", ""))) == typed:
                    return button.get("payload")
            return None
    return None


def read_typed_buttons(handle: HandleMessage) -> HandleMessage:
    async def handle_message_with_tracker(
        self: MessageProcessor, message: UserMessage, tracker: DialogueStateTracker
    ) -> None:
        payload = None if message.parse_data else pressed_button(message.text, tracker)
        if payload:
            as_pressed = UserMessage(payload, sender_id=message.sender_id, metadata=message.metadata)
            parse_data: Dict[Text, Any] = await self.parse_message(as_pressed, tracker)
            message.parse_data = {**parse_data, "text": message.text}
        await handle(self, message, tracker)

    return handle_message_with_tracker


PATCH = Patch(
    MessageProcessor, "_handle_message_with_tracker", read_typed_buttons, "a typed button label means the button"
)
