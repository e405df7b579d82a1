"""Decides the reply language: the customer's latest message that has words in it.

Used by the Rasa server's response generator (rasa_addons.nlg) and by actions that
record the customer's language (actions.conversation), so both always agree.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, Optional, Tuple

ZH = "zh"
EN = "en"
DEFAULT_LANGUAGE = ZH  # the mall's home market

_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")

# Names written in Latin letters by Chinese and English speakers alike: they say
# nothing about the language (product names, card brands, "OK").
_NEUTRAL_WORDS = frozenset(
    [
        "ok",
        "okay",
        "xiaomi",
        "mi",
        "redmi",
        "poco",
        "pro",
        "max",
        "ultra",
        "plus",
        "lite",
        "note",
        "pad",
        "book",
        "band",
        "tv",
        "gb",
        "tb",
        "app",
        "id",
        "sms",
        "vip",
        "visa",
        "mastercard",
        "master",
        "unionpay",
        "amex",
        "alipay",
        "wechat",
        "jd",
    ]
)
# Pinyin typed without an input method: a Chinese speaker.
_PINYIN_WORDS = frozenset(["huabei", "zhifubao", "weixin", "xinyongka", "fenqi", "kefu", "nihao", "xiexie", "dingdan"])

UserTurn = Tuple[Optional[str], Optional[Dict[str, Any]]]


def message_language(text: Optional[str]) -> Optional[str]:
    """`zh`, `en`, or None when the text has no words of either (digits, emoji, payloads)."""
    if not text or text.lstrip().startswith("/"):
        return None
    chinese = len(_CJK_CHAR.findall(text))
    english = 0
    for word in _LATIN_WORD.findall(text):
        lowered = word.lower()
        if lowered in _PINYIN_WORDS:
            chinese += 2
        elif lowered in _NEUTRAL_WORDS or (len(word) == 1 and lowered not in "ia"):
            continue
        else:
            english += 1
    if not chinese and not english:
        return None
    # A Chinese word is about 1.5 characters: compare in words.
    return ZH if chinese / 1.5 >= english else EN


def metadata_language(metadata: Optional[Dict[str, Any]]) -> Optional[str]:
    """The page language a channel sent along (e.g. the widget's `customData`)."""
    declared = str((metadata or {}).get("language") or "").lower()
    for language in (ZH, EN):
        if declared.startswith(language):
            return language
    return None


def conversation_language(user_turns_newest_first: Iterable[UserTurn], remembered: Optional[str] = None) -> str:
    """Language of the newest worded message; else the language remembered for the
    conversation's earlier messages; else the page language; else Chinese."""
    page_language = None
    for text, metadata in user_turns_newest_first:
        language = message_language(text)
        if language:
            return language
        page_language = page_language or metadata_language(metadata)
    return remembered or page_language or DEFAULT_LANGUAGE
