"""Installment quotes to the cent (mall.quotes): the worked examples of issue 20 and the
arithmetic's properties over many prices, rates and numbers of periods."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mall.catalog import money
from mall.quotes import CENT, compare, quote, to_price

D = Decimal


# -- the worked examples (the demo's rates, data/plans/demo_plans.csv) ------------------------


def test_huabei_12_periods_without_an_offer():
    q = quote(D("3999"), "huabei", 12, D("0.075"))
    assert (q.fee, q.total, q.first_period, q.per_period) == (D("299.93"), D("4298.93"), D("358.29"), D("358.24"))
    assert q.first_period_differs and not q.interest_free
    assert money(q.total) == "¥4,298.93"


def test_huabei_12_periods_interest_free():
    q = quote(D("3999"), "huabei", 12, D("0.075"), interest_free=True)
    assert (q.fee, q.total, q.first_period, q.per_period) == (D("0"), D("3999"), D("333.25"), D("333.25"))
    assert q.interest_free and q.rate == 0 and not q.first_period_differs


def test_credit_card_24_periods():
    q = quote(D("8999"), "credit_card", 24, D("0.144"))
    assert (q.fee, q.first_period, q.per_period) == (D("1295.86"), D("429.01"), D("428.95"))
    assert q.total == D("10294.86")


def test_credit_card_6_periods():
    q = quote(D("3999"), "credit_card", 6, D("0.039"))
    assert (q.fee, q.first_period, q.per_period) == (D("155.96"), D("692.51"), D("692.49"))


def test_credit_card_12_periods():
    q = quote(D("5499"), "credit_card", 12, D("0.072"))
    assert (q.fee, q.first_period, q.per_period) == (D("395.93"), D("491.29"), D("491.24"))


def test_the_xiaomi_14_order_changed_from_interest_free_huabei_12_to_credit_card_6():
    old = quote(D("3999"), "huabei", 12, D("0.075"), interest_free=True)
    new = quote(D("3999"), "credit_card", 6, D("0.039"))
    change = compare(old, new)
    assert (change.old.fee, change.new.fee, change.difference) == (D("0"), D("155.96"), D("155.96"))
    assert compare(new, old).difference == D("-155.96")


def test_paying_in_full_has_no_fee_whatever_the_rate():
    q = quote(D("1999"), "debit_card", 1, D("0.5"))
    assert (q.fee, q.total, q.first_period, q.per_period, q.rate) == (D("0"), D("1999"), D("1999"), D("1999"), D("0"))
    assert not q.interest_free and not q.first_period_differs


def test_plans_for_different_prices_do_not_compare():
    with pytest.raises(ValueError):
        compare(quote(D("3999"), "huabei", 3, D("0.023")), quote(D("5499"), "huabei", 3, D("0.023")))


@pytest.mark.parametrize(
    "method, periods, rate",
    [
        ("bitcoin", 3, D("0.02")),  # no such method
        ("alipay", 3, D("0.02")),  # takes no installments
        ("huabei", 0, D("0.02")),
        ("huabei", 3, D("-0.01")),
        ("huabei", 3, D("1.01")),
    ],
)
def test_a_plan_that_cannot_be_is_refused(method, periods, rate):
    with pytest.raises(ValueError):
        quote(D("3999"), method, periods, rate)


@pytest.mark.parametrize(
    "value, expected",
    [
        (3999, D("3999.00")),
        ("8999.5", D("8999.50")),
        (D("0.01"), D("0.01")),
        (3999.0, D("3999.00")),
        (19.99, D("19.99")),
    ],
)
def test_prices(value, expected):
    assert to_price(value) == expected


@pytest.mark.parametrize("value", [0, -5, "3999.001", "abc", "NaN", "Infinity", "1e40", 0.1 + 0.2])
def test_not_prices(value):
    with pytest.raises(ValueError):
        to_price(value)


@pytest.mark.parametrize(
    "amount, shown",
    [(D("4298.93"), "¥4,298.93"), (D("0.5"), "¥0.50"), (3999.0, "¥3,999.00"), (D("1000000"), "¥1,000,000.00")],
)
def test_money_as_replies_show_it(amount, shown):
    assert money(amount) == shown


# -- properties ------------------------------------------------------------------------------

prices = st.integers(min_value=1, max_value=100_000_000).map(lambda cents: D(cents) * CENT)  # ¥0.01 .. ¥1,000,000.00
rates = st.decimals(min_value=0, max_value=1, places=4)  # 0 .. 100 %, to a hundredth of a percent
periods = st.integers(min_value=2, max_value=60)


def half_up_cents(amount: Fraction) -> int:
    """Rounded half up to whole cents, with fractions: no Decimal rounding to trust."""
    return math.floor(amount * 100 + Fraction(1, 2))


@settings(max_examples=2000, deadline=None)
@given(prices, rates, periods)
def test_the_periods_add_up_to_the_total_and_differ_only_in_the_first(price, rate, count):
    q = quote(price, "huabei", count, rate)
    assert q.fee == D(half_up_cents(Fraction(price) * Fraction(rate))) * CENT
    assert q.total == price + q.fee
    assert q.first_period + q.per_period * (count - 1) == q.total
    assert 0 <= q.first_period - q.per_period <= (count - 1) * CENT
    # each period rounded down: no period after the first is worth more than its share
    assert q.per_period <= q.total / count < q.per_period + CENT
    for amount in (q.fee, q.total, q.first_period, q.per_period):
        assert amount == amount.quantize(CENT)


@settings(max_examples=500, deadline=None)
@given(prices, rates, periods)
def test_an_interest_free_plan_costs_the_price(price, rate, count):
    q = quote(price, "credit_card", count, rate, interest_free=True)
    assert (q.fee, q.total, q.rate) == (0, price, 0)
    assert q.first_period + q.per_period * (count - 1) == price


@settings(max_examples=500, deadline=None)
@given(prices, rates)
def test_paying_in_full_is_one_period_of_the_price(price, rate):
    q = quote(price, "alipay", 1, rate)
    assert (q.fee, q.total, q.first_period, q.per_period) == (0, price, price, price)
