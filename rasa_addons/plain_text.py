"""Text the chat widget shows as written.

rasa-webchat renders bot messages as markdown, so an agent's "[help](javascript:...)" would
be a link and "![x](http://...)" an image fetched from anywhere (raw HTML it shows as text
already).
"""

from __future__ import annotations

import re

# What rasa-webchat's markdown parser (remark-parse, gfm mode) takes a backslash escape
# for; other characters keep a backslash in front of them. It also links bare
# http(s):// and mailto: addresses, which an invisible word joiner after the scheme stops.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!>~|])")
_AUTOLINK = re.compile(r"(?i)\b(https?|mailto)(?=:)")
WORD_JOINER = "\u2060"


def as_plain_text(text: str) -> str:
    return _AUTOLINK.sub(lambda scheme: scheme.group(1) + WORD_JOINER, _MARKDOWN.sub(r"\\\1", text))
