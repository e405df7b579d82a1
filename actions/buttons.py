"""Buttons the actions add to their replies: what a click sends is an `inform` with entities,
exactly as if the customer had typed the value."""

from __future__ import annotations

import json
from typing import Dict, Iterable, List, Optional, Sequence

from mall.catalog import PAID_IN_FULL, PAYMENT_METHODS, PaymentMethod, method_title, plan_title

Button = Dict[str, str]


def inform(title: str, **entities: str) -> Button:
    return {"title": title, "payload": "/inform" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))}


def payment_method_buttons(language: str, methods: Optional[Iterable[PaymentMethod]] = None) -> List[Button]:
    """A button per method: `methods`, or every method the mall takes."""
    chosen = PAYMENT_METHODS.values() if methods is None else methods
    return [inform(method_title(method, language), payment_method=method.code) for method in chosen]


def plan_buttons(periods: Sequence[int], language: str, in_full: bool = True) -> List[Button]:
    """A button per plan on offer (`periods`, from the order store), then paying in full."""
    shown = (*periods, PAID_IN_FULL) if in_full else tuple(periods)
    return [inform(plan_title(plan, language), installments=str(plan)) for plan in shown]
