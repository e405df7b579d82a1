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
# A unit after a number ("6期", "3个月") is how both write numbers of periods or amounts.
_UNIT_AFTER_NUMBER = re.compile(r"(?<=[0-9０-９])\s*(?:个月|期|元|块|月|号|位)")
# Fewer Chinese characters than this, with no English word, is a hint, not a switch: in an
# English conversation "huabei 6期" or "好" keep the conversation in English.
_DECISIVE_CHINESE_CHARS = 2

UserTurn = Tuple[Optional[str], Optional[Dict[str, Any]]]


def language_evidence(text: Optional[str]) -> Optional[Tuple[str, bool]]:
    """(`zh` or `en`, whether the message decides it on its own), or None when the text has
    no words of either (digits, emoji, button payloads)."""
    if not text or text.lstrip().startswith("/"):
        return None
    chinese_chars = len(_CJK_CHAR.findall(_UNIT_AFTER_NUMBER.sub(" ", text)))
    chinese, english = float(chinese_chars), 0
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
    if chinese / 1.5 >= english:
        return ZH, chinese_chars >= _DECISIVE_CHINESE_CHARS
    return EN, True


def message_language(text: Optional[str]) -> Optional[str]:
    """`zh`, `en`, or None when the text has no words of either (digits, emoji, payloads)."""
    evidence = language_evidence(text)
    return evidence[0] if evidence else None


def metadata_language(metadata: Optional[Dict[str, Any]]) -> Optional[str]:
    """The page language a channel sent along (e.g. the widget's `customData`)."""
    declared = str((metadata or {}).get("language") or "").lower()
    for language in (ZH, EN):
        if declared.startswith(language):
            return language
    return None


def conversation_language(user_turns_newest_first: Iterable[UserTurn], remembered: Optional[str] = None) -> str:
    """Language of the newest message that decides one; else the language remembered for
    the conversation's earlier messages; else the newest hint (a message with a word or two
    of Chinese); else the page language; else Chinese."""
    page_language = hint = None
    for text, metadata in user_turns_newest_first:
        evidence = language_evidence(text)
        if evidence and evidence[1]:
            return evidence[0]
        hint = hint or (evidence[0] if evidence else None)
        page_language = page_language or metadata_language(metadata)
    return remembered or hint or page_language or DEFAULT_LANGUAGE
