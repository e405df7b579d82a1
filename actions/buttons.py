"""Buttons the actions add to their replies: what a click sends is an `inform` with entities,
exactly as if the customer had typed the value."""

from __future__ import annotations

import json
from typing import Dict, List

from mall.catalog import INSTALLMENT_PLANS, PAID_IN_FULL, PAYMENT_METHODS, method_title, plan_title

Button = Dict[str, str]


def inform(title: str, **entities: str) -> Button:
    return {"title": title, "payload": "/inform" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))}


def payment_method_buttons(language: str) -> List[Button]:
    return [inform(method_title(method, language), payment_method=code) for code, method in PAYMENT_METHODS.items()]


def plan_buttons(language: str) -> List[Button]:
    """The plans on offer, then paying in full."""
    return [inform(plan_title(plan, language), installments=str(plan)) for plan in (*INSTALLMENT_PLANS, PAID_IN_FULL)]
