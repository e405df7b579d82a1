"""The installment plans and offers in the order store (mall.plans), the file the mall loads
them from and its command, on both backends (the `database` fixture: a SQLite file,
PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from mall import demo
from mall.migrations import installment_plans
from mall.plans import (
    InstallmentPlans,
    Offer,
    Plan,
    PlansFileError,
    UnknownPlan,
    main,
    read_csv,
)
from mall.quotes import compare, to_price
from mall.store import OrderStore
from tests.support import demo_store

D = Decimal
XIAOMI_14 = "Xiaomi 14 12GB+256GB"
HEADER = "kind,method,periods,rate,item\n"


@pytest.fixture
def store(database):
    opened = demo_store(database)
    yield opened
    opened.close()


@pytest.fixture
def plans(store):
    return InstallmentPlans(store.db)


def quote_order(store: OrderStore, plans: InstallmentPlans, order_id: str, method=None, periods=None):
    """An order's price and item on its own plan, or on another."""
    order = store.orders.get(order_id)
    return plans.quote(
        to_price(order.total),
        order.items[0]["name"],
        method or order.payment_method,
        periods or order.installments,
    )


def test_the_demo_has_the_mall_example_settings(plans):
    assert [(p.periods, p.rate) for p in plans.plans("huabei")] == [
        (3, D("0.023")),
        (6, D("0.045")),
        (12, D("0.075")),
        (24, D("0.135")),
    ]
    assert [(p.periods, p.rate) for p in plans.plans("credit_card")] == [
        (3, D("0.021")),
        (6, D("0.039")),
        (12, D("0.072")),
        (24, D("0.144")),
    ]
    assert plans.plans("alipay") == []
    assert plans.offers() == [Offer(XIAOMI_14, "huabei", periods) for periods in (3, 6, 12)]
    assert plans.export_csv() == demo.DEMO_PLANS_FILE.read_text(encoding="utf-8")


def test_the_worked_examples(store, plans):
    plain = plans.quote(D("3999"), None, "huabei", 12)
    assert (plain.fee, plain.total, plain.first_period, plain.per_period) == (
        D("299.93"),
        D("4298.93"),
        D("358.29"),
        D("358.24"),
    )

    xiaomi_14 = quote_order(store, plans, "5201121000000001")  # huabei 12
    assert xiaomi_14.interest_free and (xiaomi_14.fee, xiaomi_14.per_period) == (D("0"), D("333.25"))

    tv = quote_order(store, plans, "5201121000000006")  # ¥8,999, credit card 24
    assert (tv.fee, tv.first_period, tv.per_period) == (D("1295.86"), D("429.01"), D("428.95"))

    changed = compare(xiaomi_14, quote_order(store, plans, "5201121000000001", "credit_card", 6))
    assert (changed.old.fee, changed.new.fee) == (D("0"), D("155.96"))
    assert (changed.new.first_period, changed.new.per_period, changed.difference) == (
        D("692.51"),
        D("692.49"),
        D("155.96"),
    )

    laptop = plans.quote(D("5499"), None, "credit_card", 12)
    assert (laptop.fee, laptop.first_period, laptop.per_period) == (D("395.93"), D("491.29"), D("491.24"))


@pytest.mark.parametrize(
    "item, method, periods, interest_free",
    [
        (XIAOMI_14, "huabei", 12, True),
        ("  xiaomi 14   12gb+256GB ", "huabei", 3, True),  # as a customer or a clerk might type it
        (XIAOMI_14, "huabei", 24, False),  # the offer is for 3, 6 and 12 periods
        (XIAOMI_14, "credit_card", 12, False),  # and for Huabei only
        ("Xiaomi 14 Ultra", "huabei", 12, False),
        (None, "huabei", 12, False),  # a bare price: no item, no offer
    ],
)
def test_offers_apply_to_their_item_method_and_periods(plans, item, method, periods, interest_free):
    assert plans.quote(D("3999"), item, method, periods).interest_free is interest_free
    if item is not None:
        assert plans.is_interest_free(item, method, periods) is interest_free


def test_rates_of_plans_that_exist_and_not_of_others(plans):
    assert plans.rate("credit_card", 24) == D("0.144")
    assert plans.rate("huabei", 36) is None
    assert plans.rate("alipay", 3) is None


def test_an_unknown_plan_names_the_plans_that_exist(plans):
    with pytest.raises(UnknownPlan) as raised:
        plans.quote(D("3999"), None, "huabei", 36)
    assert raised.value.available == (3, 6, 12, 24)
    with pytest.raises(UnknownPlan) as raised:
        plans.quote(D("3999"), None, "alipay", 3)
    assert raised.value.available == ()


def test_paying_in_full_needs_no_plan(plans):
    full = plans.quote(D("199"), None, "wechat_pay", 1)
    assert (full.fee, full.total, full.first_period) == (D("0"), D("199"), D("199"))


def test_replacing_the_plans_is_all_or_nothing(plans):
    before = (plans.plans(), plans.offers())
    with pytest.raises(PlansFileError):
        plans.replace_all([Plan("huabei", 6, D("0.05")), Plan("huabei", 6, D("0.06"))], [])
    assert (plans.plans(), plans.offers()) == before

    plans.replace_all([Plan("credit_card", 36, D("0.2"))], [Offer("Redmi Note 13 Pro", "credit_card", 36)])
    assert plans.plans() == [Plan("credit_card", 36, D("0.2"))]
    assert plans.quote(D("1299"), "Redmi Note 13 Pro", "credit_card", 36).interest_free
    with pytest.raises(UnknownPlan):
        plans.quote(D("3999"), XIAOMI_14, "huabei", 12)


def test_a_file_round_trips_through_the_store(plans):
    text = HEADER + "plan,credit_card,3,0.0215,\nplan,huabei,3,0,\noffer,huabei,3,,Xiaomi Pad 6\n"
    plans.load_csv(text)
    assert plans.rate("credit_card", 3) == D("0.0215")  # exactly the rate written, no float in between
    assert plans.rate("huabei", 3) == 0
    exported_plans, exported_offers = read_csv(plans.export_csv())
    written_plans, written_offers = read_csv(text)
    assert (set(exported_plans), exported_offers) == (set(written_plans), written_offers)
    assert [plan.method for plan in exported_plans] == ["huabei", "credit_card"]  # the catalog's order


@pytest.mark.parametrize(
    "rows, problem",
    [
        ("plan,hubei,3,0.02,\n", "line 2: unknown method 'hubei'"),
        ("plan,alipay,3,0.02,\n", "line 2: alipay takes no installments"),
        ("plan,huabei,0,0.02,\n", "line 2: periods must be 2 or more"),
        ("plan,huabei,-6,0.02,\n", "line 2: periods must be 2 or more"),
        ("plan,huabei,1,0.02,\n", "line 2: periods must be 2 or more (1 is paying in full"),
        ("plan,huabei,six,0.02,\n", "line 2: periods must be a whole number"),
        ("plan,huabei,3,7.5,\n", "line 2: rate must be between 0 and 1"),
        ("plan,huabei,3,-0.01,\n", "line 2: rate must be between 0 and 1"),
        ("plan,huabei,3,7.5%,\n", "line 2: rate must be a number"),
        (
            "plan,huabei,3,0.02,\nplan,huabei,3,0.03,\n",
            "line 3: the plan huabei over 3 periods is listed already (line 2)",
        ),
        (
            "plan,huabei,3,0.02,\noffer,huabei,3,,Xiaomi Pad 6\n\noffer,huabei,3,,xiaomi pad 6\n",
            "line 5: the offer for 'xiaomi pad 6' with huabei over 3 periods is listed already (line 3)",
        ),
        (
            "plan,huabei,3,0.02,\noffer,huabei,6,,Xiaomi Pad 6\n",
            "line 3: an offer for huabei over 6 periods, a plan not listed",
        ),
        ("plan,huabei,3,0.02,Xiaomi Pad 6\n", "line 2: a plan names no item"),
        ("plan,huabei,3,0.02,\noffer,huabei,3,0.01,Xiaomi Pad 6\n", "line 3: an offer has no rate"),
        ("plan,huabei,3,0.02,\noffer,huabei,3,,\n", "line 3: an offer names its item"),
        ("loan,huabei,3,0.02,\n", "line 2: kind must be plan or offer"),
        ("plan,huabei,3\n", "line 2: 3 fields, expected 5"),
        ("offer,huabei,3,,Xiaomi Pad 6\n", "no plans"),
    ],
)
def test_a_file_with_a_problem_changes_nothing(plans, rows, problem):
    before = plans.export_csv()
    with pytest.raises(PlansFileError) as raised:
        plans.load_csv(HEADER + rows)
    assert any(found.startswith(problem) for found in raised.value.problems), raised.value.problems
    assert plans.export_csv() == before


@pytest.mark.parametrize("text", ["", "kind,method,periods,rate\nplan,huabei,3,0.02\n", "method,periods,rate,item\n"])
def test_a_file_without_the_columns_is_refused(plans, text):
    with pytest.raises(PlansFileError) as raised:
        plans.load_csv(text)
    assert raised.value.problems[0].startswith("line 1: the columns must be kind,method,periods,rate,item")


def test_every_problem_of_a_file_is_reported_in_line_order(plans):
    text = HEADER + "plan,huabei,3,2,\nplan,wechat_pay,3,0.01,\nplan,huabei,3,0.02,\noffer,huabei,36,,Xiaomi 14\n"
    with pytest.raises(PlansFileError) as raised:
        plans.load_csv(text)
    assert [problem.split(":")[0] for problem in raised.value.problems] == ["line 2", "line 3", "line 4", "line 5"]


# -- the command ------------------------------------------------------------------------------


def test_the_mall_loads_and_exports_its_plans(database, tmp_path: Path, capsys):
    demo_store(database).close()
    mine = tmp_path / "plans.csv"
    mine.write_text(HEADER + "plan,huabei,6,0.04,\noffer,huabei,6,,Xiaomi Pad 6\n", encoding="utf-8-sig")
    assert main(["plans", "load", str(mine)], database) == 0
    assert "1 plans and 1 offers loaded" in capsys.readouterr().out

    exported = tmp_path / "exported.csv"
    assert main(["plans", "export", str(exported)], database) == 0
    assert exported.read_text(encoding="utf-8") == HEADER + "plan,huabei,6,0.04,\noffer,huabei,6,,Xiaomi Pad 6\n"
    capsys.readouterr()
    assert main(["plans", "export"], database) == 0
    assert capsys.readouterr().out == exported.read_text(encoding="utf-8")


def test_the_command_prints_the_problems_and_changes_nothing(database, tmp_path: Path, capsys):
    demo_store(database).close()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "plan,huabei,3,0.02,\nplan,hubei,6,0.045,\n", encoding="utf-8")
    assert main(["plans", "load", str(bad)], database) == 1
    error = capsys.readouterr().err
    assert "1 problem, nothing changed" in error and "line 3: unknown method 'hubei'" in error
    assert "Traceback" not in error
    assert main(["plans", "load", str(tmp_path / "missing.csv")], database) == 1
    assert "cannot read it" in capsys.readouterr().err
    store = OrderStore(database)
    assert InstallmentPlans(store.db).export_csv() == demo.DEMO_PLANS_FILE.read_text(encoding="utf-8")
    store.close()


@pytest.mark.parametrize(
    "argv", [["plans"], ["plans", "load"], ["plans", "delete", "x.csv"], ["plans", "export", "a", "b"]]
)
def test_the_command_says_how_to_use_it(database, argv, capsys):
    assert main(argv, database) == 2
    assert "usage: python -m mall.plans" in capsys.readouterr().err


# -- the demo ---------------------------------------------------------------------------------


def test_reset_brings_back_the_demo_plans(store, plans):
    plans.replace_all([Plan("huabei", 3, D("0.5"))], [])
    demo.reset(store)
    assert plans.export_csv() == demo.DEMO_PLANS_FILE.read_text(encoding="utf-8")


def test_init_seeds_plans_only_where_there_are_none(store, plans):
    plans.replace_all([Plan("huabei", 3, D("0.5"))], [])
    demo.init(store)  # the mall's own plans stay
    assert plans.plans() == [Plan("huabei", 3, D("0.5"))]

    store.db.execute(installment_plans.delete())
    demo.init(store)  # a database from before there were plans gets the demo's
    assert len(plans.plans()) == 8
