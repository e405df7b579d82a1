"""What an installment plan costs, to the cent: the fee, the total and each period.

The mall's rule (../shared/SPEC.md section 9, issue 20), in exact decimal arithmetic (never
float: 0.1 yuan has no binary fraction, and a quote that is one cent off is wrong):

- fee = price × rate (the rate over the whole plan), rounded half up to the cent;
- each period = (price + fee) / periods, rounded down to the cent; the cents that leaves
  over go to the first period, so the periods add up exactly to the total including fees;
- an interest-free offer has no fee; paying in full (one period) has no fee either.

The rates and offers themselves are data in the order store (mall.plans).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Union

from mall.catalog import PAID_IN_FULL, payment_method

CENT = Decimal("0.01")
ZERO = Decimal("0")


@dataclass(frozen=True)
class Quote:
    """One plan for one price. `rate` is the rate charged over the whole plan: 0 when an
    interest-free offer applies or when paying in full. `per_period` is every period after
    the first; `first_period` is the same or a few cents more."""

    price: Decimal
    method: str
    periods: int
    rate: Decimal
    interest_free: bool
    fee: Decimal
    total: Decimal
    first_period: Decimal
    per_period: Decimal

    @property
    def first_period_differs(self) -> bool:
        """Whether a reply has to name the first period apart from the others."""
        return self.first_period != self.per_period


@dataclass(frozen=True)
class PlanChange:
    """The same price on the old plan and on the new one. `difference` is what the new plan
    costs in total more than the old (negative: less)."""

    old: Quote
    new: Quote
    difference: Decimal


def to_price(value: Union[Decimal, int, str, float]) -> Decimal:
    """A price in yuan as a Decimal of whole cents: 3999, "3999.5", Decimal("8999"), or an
    order's stored total (a REAL column: 3999.0 is read through its shortest repr, so it
    is exactly 3999.00). ValueError if it is not a positive number of whole cents."""
    try:
        amount = Decimal(str(value))
        in_cents = amount.quantize(CENT) if amount.is_finite() and amount > ZERO else None
    except InvalidOperation:  # not a number, or too many digits for a price
        in_cents = None
    if in_cents is None or in_cents != amount:
        raise ValueError(f"not a price in whole cents: {value!r}")
    return in_cents


def quote(price: Decimal, method: str, periods: int, rate: Decimal, interest_free: bool = False) -> Quote:
    """The quote for `price` paid with `method` over `periods` at `rate` (a fraction of the
    price over the whole plan: Decimal("0.075") for 7.5 %)."""
    price = to_price(price)
    known = payment_method(method)
    if known is None:
        raise ValueError(f"unknown payment method {method!r}")
    if periods < PAID_IN_FULL or (periods > PAID_IN_FULL and not known.allows_installments):
        raise ValueError(f"{method} cannot be paid in {periods} periods")
    if not ZERO <= rate <= 1:
        raise ValueError(f"a rate is a fraction between 0 and 1, not {rate}")

    charged = ZERO if interest_free or periods == PAID_IN_FULL else rate
    fee = (price * charged).quantize(CENT, rounding=ROUND_HALF_UP)
    total = price + fee
    # In whole cents, the division is an integer one: each period rounded down, and the
    # remainder (fewer cents than there are periods) goes to the first.
    per_period_cents, left_over_cents = divmod(int(total / CENT), periods)
    per_period = per_period_cents * CENT
    first_period = (per_period_cents + left_over_cents) * CENT
    return Quote(
        price=price,
        method=known.code,
        periods=periods,
        rate=charged,
        interest_free=interest_free and periods > PAID_IN_FULL,
        fee=fee,
        total=total,
        first_period=first_period,
        per_period=per_period,
    )


def compare(old: Quote, new: Quote) -> PlanChange:
    """The old plan against the new one, for the same price (a cancel-and-reorder keeps it)."""
    if old.price != new.price:
        raise ValueError(f"plans for different prices ({old.price} and {new.price}) do not compare")
    return PlanChange(old=old, new=new, difference=new.total - old.total)
