"""The mall's installment plans as the actions offer them.

Which plans a method has comes from the order store (mall.plans), read when a question
needs it: a plan the mall has just loaded is offered at once, one it withdrew is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Tuple

from actions.services import order_store
from mall.catalog import PAID_IN_FULL, PaymentMethod, parse_plan, periods_text, plan_labels

# A number of months someone might ask for ("36期"); larger numbers are not periods at all.
MAX_PLAUSIBLE_PLAN = 60


def offered_periods(method: Optional[str] = None) -> Tuple[int, ...]:
    """The periods of `method`'s plans, fewest first; of any method's when None."""
    return tuple(sorted({plan.periods for plan in order_store().plans.plans(method)}))


def offered_variables(periods: Sequence[int]) -> Dict[str, str]:
    """`offered_zh`, `offered_en`: the plans a reply offers instead of one the mall has not."""
    return {"offered_zh": periods_text(periods, "zh"), "offered_en": periods_text(periods, "en")}


def plan_names(method: PaymentMethod, periods: int, prefix: str = "") -> Dict[str, str]:
    """A method and plan as replies name them: `{prefix}method_zh`, `{prefix}plan_en`, ..."""
    plan = plan_labels(periods)
    return {
        f"{prefix}method_zh": method.zh,
        f"{prefix}method_en": method.en,
        f"{prefix}plan_zh": plan["zh"],
        f"{prefix}plan_en": plan["en"],
    }


@dataclass(frozen=True)
class PeriodsChoice:
    """What a message's numbers of periods come to: the plan chosen, if it is offered (or
    paying in full), else the number the mall has no plan for, if it is a plausible one."""

    periods: Optional[int] = None
    not_offered: Optional[int] = None


def choose_periods(values: Sequence[Any], offered: Sequence[int]) -> PeriodsChoice:
    """ "小米14分12期" may tag the 14 too: the first number that is an offered plan or paying
    in full; otherwise the first number, if it could be a number of months."""
    numbers = [parse_plan(value) for value in values]
    chosen = next((n for n in numbers if n == PAID_IN_FULL or n in offered), None)
    if chosen is not None:
        return PeriodsChoice(periods=chosen)
    first = numbers[0] if numbers else None
    if first is not None and PAID_IN_FULL < first <= MAX_PLAUSIBLE_PLAN:
        return PeriodsChoice(not_offered=first)
    return PeriodsChoice()
