"""A customer who types the label of a button the bot just showed means that button.

"WeChat Pay" typed at "Which payment method?" is the button's payload, whatever the
classifier makes of the words. The door (rasa_addons.door) keeps the customer's text
(transcripts, reply language) and gives the message the payload's meaning.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Mapping, Optional, Sequence, Text

_IGNORED = re.compile(r"[\s\W_]+")
# No button title is longer (order buttons: item, amount, status); a longer message is not
# looked up.
MAX_TITLE_CHARS = 80


def _normalised(text: Text) -> Text:
    return _IGNORED.sub("", unicodedata.normalize("NFKC", text)).casefold()


def could_be_a_label(text: Optional[Text]) -> bool:
    return bool(text) and len(text or "") <= MAX_TITLE_CHARS and not (text or "").lstrip().startswith("/")


def pressed_button(text: Optional[Text], buttons: Sequence[Mapping[str, Any]]) -> Optional[Text]:
    """The payload of the button whose title the text is, if any."""
    if not could_be_a_label(text):
        return None
    typed = _normalised(text or "")
    if not typed:
        return None
    for button in buttons:
        if _normalised(str(button.get("title", ""))) == typed:
            return button.get("payload")
    return None
