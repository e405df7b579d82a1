"""The mall's installment plans as the actions offer and show them.

Which plans a method has comes from the order store (mall.plans), read when a question
needs it: a plan the mall has just loaded is offered at once, one it withdrew is not. What
a plan costs is shown as a part of a reply (rasa_addons.nlg): the action names the part
whose wording fits the figures (first period apart or not, interest-free, paid in full),
and data/responses/quotes.yml has the words.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, List, Optional, Sequence, Tuple

from actions.services import order_store
from mall.catalog import PAID_IN_FULL, PAYMENT_METHODS, PaymentMethod, money, parse_plan, periods_text, plan_labels
from mall.orders import Order
from mall.plans import UnknownPlan
from mall.quotes import PlanChange, Quote, compare, to_price

# A number of months someone might ask for ("36期"); larger numbers are not periods at all.
MAX_PLAUSIBLE_PLAN = 60


def offered_periods(method: Optional[str] = None) -> Tuple[int, ...]:
    """The periods of `method`'s plans, fewest first; of any method's when None."""
    return tuple(sorted({plan.periods for plan in order_store().plans.plans(method)}))


def installment_methods() -> List[PaymentMethod]:
    """The methods the mall has plans for, in the catalog's order."""
    codes = {plan.method for plan in order_store().plans.plans()}
    return [method for code, method in PAYMENT_METHODS.items() if code in codes]


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


def quote_for(price: Decimal, item: Optional[str], method: str, periods: int) -> Quote:
    """The order store's quote (mall.plans.UnknownPlan if the mall has no such plan)."""
    return order_store().plans.quote(price, item, method, periods)


def order_quote(order: Order, method: Optional[str] = None, periods: Optional[int] = None) -> Quote:
    """An order's price and item on its own plan, or on the one named."""
    return quote_for(to_price(order.total), order.item, method or order.payment_method, periods or order.installments)


def terms(quote: Quote) -> Dict[str, Any]:
    """What the plan costs, as a part of a reply: per period (the first apart when it
    differs), the fee and the total including fees; interest-free when an offer applies;
    paying in full shows no fee."""
    if quote.periods == PAID_IN_FULL:
        return {"response": "utter_part_in_full", "total": money(quote.total)}
    figures = {
        "first_period": money(quote.first_period),
        "per_period": money(quote.per_period),
        "fee": money(quote.fee),
        "total": money(quote.total),
    }
    if quote.interest_free:
        name = "utter_part_interest_free_first_differs" if quote.first_period_differs else "utter_part_interest_free"
    else:
        name = "utter_part_first_differs" if quote.first_period_differs else "utter_part_even"
    return {"response": name, **figures}


def difference(change: PlanChange) -> Dict[str, Any]:
    """How much more or less the new plan costs in total, as a part of a reply."""
    if change.difference > 0:
        return {"response": "utter_part_costs_more", "difference": money(change.difference)}
    if change.difference < 0:
        return {"response": "utter_part_costs_less", "difference": money(-change.difference)}
    return {"response": "utter_part_costs_same"}


NO_FIGURES: Dict[str, Any] = {"response": "utter_part_no_figures"}


def change_comparison(order: Order, method: str, periods: int) -> Dict[str, Any]:
    """The order's plan and the new one side by side (`old_terms`, `new_terms`) and the
    `difference`, for the summary before a cancel-and-reorder. A plan the mall has no rate
    for (withdrawn since) shows no figures: checkout will."""
    try:
        old: Optional[Quote] = order_quote(order)
    except UnknownPlan:
        old = None
    try:
        new: Optional[Quote] = order_quote(order, method, periods)
    except UnknownPlan:
        new = None
    return {
        "old_terms": terms(old) if old else NO_FIGURES,
        "new_terms": terms(new) if new else NO_FIGURES,
        "difference": difference(compare(old, new)) if old and new else NO_FIGURES,
    }
