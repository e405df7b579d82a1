"""Prices in what customers write: "3999", "¥3,999", "3999元", "8999.5", "三千九", "1.2万".

`parse_price` reads one price expression (a button, a form's answer). `find_prices` finds
the prices in a whole message, and that is the hard part: a bare four-digit number is just
as likely the phone tail the ownership check asks for ("尾号1234", or "1234" alone), and
digits also name products, periods and years ("小米14", "12期", "2024年"). So a number is
taken for a price only when money says so:

- its own form: a currency sign or unit (¥ ￥ RMB CNY; 元 块 块钱 rmb yuan), thousands
  separators ("3,999"), a scale ("1.2万", "5千"), Chinese numerals with 百/千/万 ("三千九");
- or what is right around a bare number: a plan or a question of money right after it
  ("3999分12期", "3999花呗12期", "3999 12期", "5499 over 12 months", "3999每期多少",
  "3999多少钱一期", "3999的手机", a follow-up "那5499的呢"), or a money word right before it
  ("价格3999", "多少钱？3999", "pay 5499", "costs 5499", "price is 3999", "what if it's
  8999"). What follows is taken only
  from three digits up, so a model number ("小米14分12期") stays a model number.

And in a message that asks what something costs (its intent says so: the caller knows),
naming no order, a bare number of three digits or more is a price too: "每其还多少 3999
花贝 12期" (typos that the plan after it does not catch), "5999呢".

A phone-tail or order-number word right before a bare number ("尾号", "后四位", "last four",
"ends in", "订单") keeps it what it was, and so does a number followed by a unit that is not
money ("12期", "24个月", "2024年", "5000万像素", "12GB") or glued to letters ("K70"). A bare
number with nothing of the above is not a price: the verification form asks for the tail and
customers answer "1234". Nor is a range ("100-150元", "3000到4000块") or a guess ("几十块",
"三千多"): a quote needs one price.

Everything here is linear in the message's length: one pass per pattern, and each number's
surroundings are read in a window of fixed size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import List, Optional

from mall.catalog import PAYMENT_METHODS
from mall.quotes import CENT

# No electronics order costs more (nor do the quotes' property tests go further); a larger
# number is something else (pixels, a phone number, an order number).
MAX_PRICE = Decimal("1000000")
MIN_DIGITS_BEFORE_A_PLAN = 3  # "3999分12期" is a price, "小米14分12期" a model number
WINDOW = 40  # characters of context read on either side of a number

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")

_CHINESE_DIGITS = {character: digit for digit, character in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}
_CHINESE_NUMERAL = "零〇一二两三四五六七八九十百千万"

# An amount in digits, with what makes it money by itself around it.
_ARABIC = re.compile(
    r"(?P<sign>(?:[¥￥]|(?<![a-z])(?:rmb|cny))\s*)?"
    r"(?<![0-9.,])(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![0-9]|[.,]\d)"
    r"(?P<scale>\s*[万千])?"
    r"(?P<unit>\s*(?:块钱|元|块|(?:rmb|yuan|cny|bucks?)(?![a-z])))?",
    re.IGNORECASE,
)
_CHINESE = re.compile(
    rf"(?P<sign>[¥￥]\s*)?(?P<number>[一二两三四五六七八九十][{_CHINESE_NUMERAL}]*)(?P<unit>\s*(?:块钱|元|块))?"
)

# What follows a number that is not money: periods, time, counts, sizes, memory, percent.
_NOT_MONEY_AFTER = re.compile(
    r"\s*(?:期|个月|个|月|年|天|日|号|次|台|件|人|岁|分钟|小时|秒|像素|毫安|英寸|寸|瓦|米|公里|斤|克|条|位|张|部|套|折|%|％"
    r"|分(?!\s*(?:\d{1,2}|[一二三四六十两]+)?\s*期)"
    r"|(?:months?|years?|days?|weeks?|times?|gb|tb|mb|mah|hz|inch(?:es)?|mp|k|w)\b)",
    re.IGNORECASE,
)
# Every method, not only those with installments: "3999用支付宝分12期" asks about a price too
# (and is told that Alipay takes no installments).
_METHOD_NAMES = "|".join(re.escape(name) for method in PAYMENT_METHODS.values() for name in (method.zh, method.en))
_PERIODS = r"(?:\d{1,2}|[一二三四六十两]+)"
_PLAN_AFTER = re.compile(
    rf"\s*(?:(?:用|走|刷|选)?\s*(?:{_METHOD_NAMES})\s*)?(?:分\s*{_PERIODS}?\s*期|{_PERIODS}\s*期|一次性?付清|全款)"
    rf"|\s*(?:(?:(?:on|with|by|via|using)\s+)?(?:{_METHOD_NAMES})\s+)?(?:(?:over|in|for|across|into|x)\s+)?"
    r"(?:\d{1,2}|three|six|twelve|twenty[- ]?four)\s*"
    r"(?:monthly\s+)?(?:months?|installments?|instalments?|periods?|payments?)\b"
    r"|\s*(?:每期|每个月|每月|月供|一个月|一期|手续费|利息|多少钱|的?呢)"
    r"|的(?:手机|电视|电脑|笔记本|平板|东西|商品|产品|手表|手环|机子|货)",
    re.IGNORECASE,
)
_MONEY_BEFORE = re.compile(
    r"(?:价格|价钱|价位|售价|标价|定价|原价|总价|现价|金额|总额|多少钱|花了|付了|要付|实付|应付|一共|总共|价)"
    r"[是为：:\s约大概差不多就才只要共了，,？?]*$"
    r"|\b(?:price[sd]?|pricing|costs?|costing|pay(?:ing)?|paid|total|amount|worth|spend(?:ing)?|spent|budget|charged?"
    r"|what\s+if\s+it'?s|if\s+it'?s|what\s+about|how\s+about)"
    r"(?:\s+(?:is|was|of|at|about|around|roughly|approx(?:imately)?|only|just|me|it|like|be|will\s+be|would\s+be))*"
    r"[\s:：]*$",
    re.IGNORECASE,
)
# A phone tail's or an order number's words right before a bare number keep it theirs.
_NOT_A_PRICE_BEFORE = re.compile(
    r"(?:尾号|后四位|后4位|手机号码?|电话号?码?|号码|订单号?|单号"
    r"|\b(?:phone|mobile|number|no\.?|tail|last\s*(?:four|4)(?:\s*digits?)?|ends?\s+(?:in|with)|ending(?:\s+(?:in|with))?"
    r"|order(?:\s*(?:number|no\.?|#))?))"
    r"[\s:：是为#]*(?:is\s+)?$",
    re.IGNORECASE,
)
# Part of a date, a time or a dashed number ("2024-05-01", "12:30", "138-0000-1234").
_IN_A_GROUP_BEFORE = re.compile(r"\d[\-/:.]$")
_IN_A_GROUP_AFTER = re.compile(r"[\-/:]\d")
# Not one amount: a range ("100-150元", "3000到4000块") or a guess ("几十块", "三千多").
_RANGE_BEFORE = re.compile(r"[\d元块]\s*[\-~～—到至]\s*$")
_RANGE_AFTER = re.compile(r"\s*[\-~～—到至]\s*[\d一二两三四五六七八九]")
_ROUGHLY_BEFORE = re.compile(r"[几数]$")
_ROUGHLY_AFTER = re.compile(r"多(?!少)|来(?:块|元)")
_LEADING_ZERO = re.compile(r"0\d")  # "0021": a phone tail, never an amount
_GLUED_LETTER = re.compile(r"[a-z]", re.IGNORECASE)


@dataclass(frozen=True)
class PriceMention:
    start: int
    end: int
    value: Decimal

    @property
    def text(self) -> str:
        """The price as an entity value: a plain decimal, "3999", "8999.5", "12000"."""
        return format(self.value.normalize(), "f")


def parse_price(text: str) -> Optional[Decimal]:
    """The price that `text` is, whole ("3999", "¥3,999", "三千九百九十九", "1.2万"); None if
    it is not one. A bare number counts here: the caller asked for a price."""
    normalized = text.strip().translate(_FULL_WIDTH)
    for pattern in (_ARABIC, _CHINESE):
        match = pattern.fullmatch(normalized)
        if match:
            return _value(match)
    return None


def find_prices(text: str, money_asked: bool = False) -> List[PriceMention]:
    """The prices in a message (see the module's docstring for when a number is one), in
    the order they appear; each span covers the sign, the number and its unit.
    `money_asked`: the message asks what something costs, about no order."""
    normalized = text.translate(_FULL_WIDTH)  # same length: the spans hold for `text`
    found: List[PriceMention] = []
    for pattern in (_ARABIC, _CHINESE):
        for match in pattern.finditer(normalized):
            value = _value(match)
            if value is not None and _is_price(normalized, match, money_asked):
                found.append(PriceMention(match.start(), match.end(), value))
    return sorted(found, key=lambda mention: mention.start)


def _is_price(text: str, match: re.Match, money_asked: bool) -> bool:
    before = text[max(0, match.start() - WINDOW) : match.start()]
    after = text[match.end() : match.end() + WINDOW]
    if _NOT_MONEY_AFTER.match(after) or _GLUED_LETTER.match(after[:1]) or _GLUED_LETTER.match(before[-1:]):
        return False
    if _RANGE_BEFORE.search(before) or _RANGE_AFTER.match(after):
        return False
    if _ROUGHLY_BEFORE.search(before) or _ROUGHLY_AFTER.match(after):
        return False
    groups = match.groupdict()
    number = groups["number"]
    if groups.get("sign") or groups.get("unit") or groups.get("scale"):
        return True
    if match.re is _CHINESE:
        return any(unit in number for unit in "百千万")
    if "," in number:
        return True
    whole_digits = len(number.split(".")[0])
    money_around = money_asked or _PLAN_AFTER.match(after) is not None
    if not ((whole_digits >= MIN_DIGITS_BEFORE_A_PLAN and money_around) or _MONEY_BEFORE.search(before)):
        return False  # a bare number: a phone tail
    # Money around it, unless the number belongs to a phone, an order, a date or a time.
    return not (
        _NOT_A_PRICE_BEFORE.search(before) or _IN_A_GROUP_BEFORE.search(before) or _IN_A_GROUP_AFTER.match(after)
    )


def _value(match: re.Match) -> Optional[Decimal]:
    """The amount a match names, if it is a price: above 0, whole cents, at most MAX_PRICE."""
    groups = match.groupdict()
    number = groups["number"]
    if match.re is _CHINESE:
        whole = _chinese_number(number)
        amount = Decimal(whole) if whole is not None else None
    else:
        try:
            amount = Decimal(number.replace(",", ""))
        except InvalidOperation:
            amount = None
        scale = (groups.get("scale") or "").strip()
        if amount is not None and scale:
            amount *= 10000 if scale == "万" else 1000
    if _LEADING_ZERO.match(number):
        return None
    if amount is None or not CENT <= amount <= MAX_PRICE or amount != amount.quantize(CENT):
        return None
    return amount.quantize(CENT)


def _chinese_number(numeral: str) -> Optional[int]:
    """三千九百九十九 → 3999, and as people say it: 三千九 → 3900, 两万五 → 25000, 一万二 →
    12000 (a last digit after a unit counts in the next unit down, unless 零 came first:
    一千零五 → 1005). None if it is not a well-formed numeral."""
    total = 0  # the 万s so far
    section = 0  # below 万
    digit: Optional[int] = None
    last_unit = 0  # the last unit in this section, 10000 right after 万
    after_zero = False
    for character in numeral:
        if character in _CHINESE_DIGITS:
            if digit is not None:  # two digits in a row ("一二三四"): a tail read aloud
                return None
            digit = _CHINESE_DIGITS[character]
            after_zero = after_zero or digit == 0
            if digit == 0:
                digit = None
        elif character in _CHINESE_UNITS:
            unit = _CHINESE_UNITS[character]
            if last_unit and last_unit != 10000 and unit >= last_unit:
                return None  # 百 after 十, 千 after 百: not a number
            section += (1 if digit is None and unit == 10 else (digit or 0)) * unit
            if digit is None and unit != 10:
                return None  # 百 or 千 with no digit before it
            digit, last_unit, after_zero = None, unit, False
        else:  # 万
            if total or (digit is None and not section):
                return None
            total = (section + (digit or 0)) * 10000
            section, digit, last_unit, after_zero = 0, None, 10000, False
    if digit is not None:
        section += digit * (last_unit // 10 if last_unit and not after_zero else 1)
    return total + section
