"""Payment methods and installment plans the mall offers, and how to show them.

Canonical codes are the `payment_method` entity values of the NLU data. Labels are
names, not sentences; every sentence lives in the domain's responses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Optional

PAID_IN_FULL = 1
INSTALLMENT_PLANS = (3, 6, 12, 24)
VALID_PLANS = (PAID_IN_FULL,) + INSTALLMENT_PLANS


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

STATUS_LABELS = {
    "unpaid": ("待支付", "unpaid"),
    "paid": ("已支付", "paid"),
    "shipped": ("已发货", "shipped"),
    "completed": ("已完成", "completed"),
    "cancelled": ("已取消", "cancelled"),
    "refunded": ("已退款", "refunded"),
}

_CHINESE_NUMBERS = {"一": 1, "三": 3, "六": 6, "十二": 12, "二十四": 24, "两": 2}
_ENGLISH_NUMBERS = {"one": 1, "three": 3, "six": 6, "twelve": 12, "twenty-four": 24,
                    "twenty four": 24}


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


def money(amount: float) -> str:
    return f"¥{amount:,.2f}"
