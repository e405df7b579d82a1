"""Payment methods, order statuses and plans, and how to name them.

Canonical codes are the `payment_method` entity values of the NLU data and the `status`
values of the orders table. Labels are names, not sentences; every sentence lives in the
domain's responses. Which plans the mall offers is data in the order store (mall.plans);
this module only names them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any, Dict, Mapping, Optional, Sequence, Union

# Paying in full is one period: the one plan every method has, with no fee (mall.quotes).
PAID_IN_FULL = 1


@dataclass(frozen=True)
class PaymentMethod:
    code: str
    zh: str
    en: str
    allows_installments: bool


PAYMENT_METHODS: Dict[str, PaymentMethod] = {
    method.code: method
    for method in (
        PaymentMethod("huabei", "花呗", "Huabei", True),
        PaymentMethod("credit_card", "信用卡", "credit card", True),
        PaymentMethod("debit_card", "借记卡", "debit card", False),
        PaymentMethod("alipay", "支付宝", "Alipay", False),
        PaymentMethod("wechat_pay", "微信支付", "WeChat Pay", False),
    )
}


class Handling(str, Enum):
    """What the assistant can do about an order's payment method in each status."""

    REORDER = "reorder"  # unpaid: cancel and place again with the new method
    HANDOFF = "handoff"  # paid already: human support changes it
    CLOSED = "closed"  # nothing to pay or change any more


@dataclass(frozen=True)
class OrderStatus:
    code: str
    zh: str
    en: str
    handling: Handling


ORDER_STATUSES: Dict[str, OrderStatus] = {
    status.code: status
    for status in (
        OrderStatus("unpaid", "待支付", "unpaid", Handling.REORDER),
        OrderStatus("paid", "已支付", "paid", Handling.HANDOFF),
        OrderStatus("shipped", "已发货", "shipped", Handling.HANDOFF),
        OrderStatus("completed", "已完成", "completed", Handling.HANDOFF),
        OrderStatus("cancelled", "已取消", "cancelled", Handling.CLOSED),
        OrderStatus("refunded", "已退款", "refunded", Handling.CLOSED),
    )
}
UNPAID = "unpaid"
CANCELLED = "cancelled"
# Orders a signed-in customer may still want to change: not yet received, cancelled or refunded.
OPEN_STATUSES = ("unpaid", "paid", "shipped")


def order_status(code: str) -> OrderStatus:
    """The status named `code`; an unknown code is shown as it is and changes nothing."""
    return ORDER_STATUSES.get(code) or OrderStatus(code, code, code, Handling.CLOSED)


_CHINESE_NUMBERS = {"一": 1, "三": 3, "六": 6, "十二": 12, "二十四": 24, "两": 2}
_ENGLISH_NUMBERS = {"one": 1, "three": 3, "six": 6, "twelve": 12, "twenty-four": 24, "twenty four": 24}


def payment_method(code: Any) -> Optional[PaymentMethod]:
    return PAYMENT_METHODS.get(str(code)) if code is not None else None


def parse_plan(value: Any) -> Optional[int]:
    """Number of periods from an entity value: 12, "12", "十二", "twelve"; else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() else None
    text = str(value).strip().lower()
    if re.fullmatch(r"\d{1,3}(\.0+)?", text):
        return int(float(text))
    return _CHINESE_NUMBERS.get(text) or _ENGLISH_NUMBERS.get(text)


def plan_labels(installments: int) -> Dict[str, str]:
    if installments == PAID_IN_FULL:
        return {"zh": "一次付清", "en": "paid in full"}
    return {"zh": f"分{installments}期", "en": f"{installments} monthly installments"}


def method_title(method: PaymentMethod, language: str) -> str:
    """A payment method as a button says it."""
    return method.zh if language == "zh" else method.en[:1].upper() + method.en[1:]


def plan_title(installments: int, language: str) -> str:
    """A plan as a button says it."""
    if installments == PAID_IN_FULL:
        return "一次付清" if language == "zh" else "Pay in full"
    return f"{installments}期" if language == "zh" else f"{installments} months"


def _listed(words: Sequence[str], language: str, last: Dict[str, str]) -> str:
    if len(words) < 2:
        return "".join(words)
    separator = "、" if language == "zh" else ", "
    return separator.join(words[:-1]) + last[language] + words[-1]


_OR = {"zh": "或", "en": " or "}


def template_variables() -> Dict[str, str]:
    """What every reply may say about the payment methods (`_zh`, `_en`)."""
    methods = list(PAYMENT_METHODS.values())
    groups = {
        "methods": methods,
        "installment_methods": [method for method in methods if method.allows_installments],
        "full_payment_methods": [method for method in methods if not method.allows_installments],
    }
    variables = {}
    for name, group in groups.items():
        variables[f"{name}_zh"] = _listed([method.zh for method in group], "zh", _OR)
        variables[f"{name}_en"] = _listed([method.en for method in group], "en", _OR)
    return variables


def periods_text(periods: Sequence[int], language: str) -> str:
    """Numbers of periods as a reply lists them: "3、6、12、24 期", "3, 6, 12 or 24 months"."""
    numbers = [str(count) for count in periods]
    if language == "zh":
        return "、".join(numbers) + " 期"
    return _listed(numbers, "en", _OR) + (" month" if numbers == ["1"] else " months")


def plan_variables(periods_by_method: Mapping[str, Sequence[int]]) -> Dict[str, str]:
    """`plans_zh`, `plans_en`: the plans on offer (`periods_by_method`, from the order store)
    as the general replies list them; per method when the methods' plans differ."""
    offered = {code: periods for code, periods in periods_by_method.items() if periods and code in PAYMENT_METHODS}
    distinct = {tuple(periods) for periods in offered.values()}
    if len(distinct) <= 1:
        periods = next(iter(distinct), ())
        return {f"plans_{language}": periods_text(periods, language) if periods else "" for language in ("zh", "en")}
    names = {code: PAYMENT_METHODS[code] for code in offered}
    return {
        "plans_zh": "，".join(f"{names[code].zh} {periods_text(p, 'zh')}" for code, p in offered.items()),
        "plans_en": "; ".join(f"{periods_text(p, 'en')} with {names[code].en}" for code, p in offered.items()),
    }


def money(amount: Union[Decimal, float]) -> str:
    """An amount as replies show it: ¥4,298.93. Quotes are exact Decimals of whole cents;
    an order's stored total is a float of whole cents (read through its shortest repr)."""
    return f"¥{Decimal(str(amount)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
