"""Mobile numbers never appear in full: not in replies, tickets, transcripts, the agent
console or log lines.

A mainland mobile number is 11 digits, 1[3-9]xxxxxxxxx, and people write it in many ways:
13800001234, 138 0000 1234, 138-0000-1234, +86 138 0000 1234, +8613800001234,
0086-138-0000-1234, in full-width digits (１３８００００１２３４), or in Chinese numerals
(一三八零零零零一二三四). Digits joined by a few separators (spaces, hyphens, dots) form a
run; a mobile number is any stretch of whole digit groups of a run whose digits are the
number (with 86 or 0086 in front or not). Its middle four digits become `*`, where they were
written, so the rest of the text stays as it is: 138 **** 1234.

Only whole groups count, so a 16-digit order number (5201121000000001, or in groups of four)
never contains a mobile number, and amounts (¥3,999.00) and dates are left alone.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import List, Optional, Tuple

_CHINESE_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN = "".join(_CHINESE_DIGITS)
# Between the groups of one number: spaces (not line breaks), hyphens and dashes, dots,
# brackets (+86 (138) ...), in ASCII or full width.
_SEPARATOR = r"[^\S\r\n]|[-‐‑‒–—－.．·()（）]"
_RUN = re.compile(rf"(?:[\d{_CN}](?:(?:{_SEPARATOR}){{1,3}}(?=[\d{_CN}]))?)+")
_GROUP = re.compile(rf"\d+|[{_CN}]+")
_MOBILE = re.compile(r"(?:0086|86)?(1[3-9]\d{9})")
MIN_DIGITS = 11
MAX_DIGITS = 15  # 0086 + 11
_installed = False


def _digit(char: str) -> str:
    return str(_CHINESE_DIGITS[char] if char in _CHINESE_DIGITS else unicodedata.digit(char))


def _mobile_positions(run: str) -> List[int]:
    """Positions in `run` of the digits to hide: the middle four of each mobile number."""
    groups: List[Tuple[str, List[int]]] = [
        ("".join(map(_digit, match.group())), list(range(match.start(), match.end()))) for match in _GROUP.finditer(run)
    ]
    hidden: List[int] = []
    first = 0
    while first < len(groups):
        digits, positions = "", []
        for last in range(first, len(groups)):
            digits += groups[last][0]
            positions += groups[last][1]
            if len(digits) > MAX_DIGITS:
                break
            mobile = _MOBILE.fullmatch(digits)
            if mobile:
                start = mobile.start(1)
                hidden += positions[start + 3 : start + 7]
                first = last
                break
        first += 1
    return hidden


def mask_phones_in_text(text: str) -> str:
    """Every mobile number in `text` with its middle four digits hidden."""
    if not text or sum(char.isdigit() or char in _CHINESE_DIGITS for char in text) < MIN_DIGITS:
        return text
    masked: Optional[List[str]] = None
    for run in _RUN.finditer(text):
        if len(run.group()) < MIN_DIGITS:
            continue
        for position in _mobile_positions(run.group()):
            if masked is None:
                masked = list(text)
            masked[run.start() + position] = "*"
    return "".join(masked) if masked is not None else text


def mask_phone(phone: str) -> str:
    """13800001234 -> 138****1234."""
    return mask_phones_in_text(phone)


def install_log_masking() -> None:
    """Mask mobile numbers in every log record of this process, whoever logs it.

    A record factory sees each record once, before any handler formats it, so this
    also covers Rasa's and Sanic's own loggers (a user may type their number).
    """
    global _installed
    if _installed:
        return
    previous_factory = logging.getLogRecordFactory()

    def masking_factory(*args, **kwargs) -> logging.LogRecord:
        record = previous_factory(*args, **kwargs)
        message = record.getMessage()
        masked = mask_phones_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    logging.setLogRecordFactory(masking_factory)
    _installed = True
