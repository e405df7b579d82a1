"""The mall's installment plans and interest-free offers, kept in the order store, and the
command the mall edits them with.

    python -m mall.plans load FILE.csv     replace every plan and offer with the file's
    python -m mall.plans export [FILE.csv]  the plans and offers as such a file (stdout without FILE)

The file has one row per plan or offer (data/plans/demo_plans.csv is the demo's):

    kind,method,periods,rate,item
    plan,huabei,12,0.075,                   Huabei over 12 periods costs 7.5 % of the price
    offer,huabei,12,,Xiaomi 14 12GB+256GB   ... except this item, which is interest-free

`rate` is the fee over the whole plan as a fraction of the price (0.075 is 7.5 %). A file is
checked whole before anything changes: an unknown method, a method that takes no
installments (mall.catalog), periods that are not a whole number above 1 (one period is
paying in full, which has no fee), a rate outside 0..1, a plan or offer listed twice, an
offer for a plan the file does not have. Any of these: every problem is printed with its
line number and the store is left as it was. Otherwise every plan and offer is replaced in
one transaction: a quote reads the old plans or the new, never a mix.

The database is the one named by DATABASE_URL or ORDERS_DB (mall.settings).
"""

from __future__ import annotations

import csv
import io
import math
import re
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import sqlalchemy as sa

from mall import settings
from mall.catalog import PAID_IN_FULL, PAYMENT_METHODS, payment_method
from mall.db import Database, Location
from mall.migrations import MIGRATIONS, installment_offers, installment_plans
from mall.quotes import ZERO, Quote, quote

PLAN, OFFER = "plan", "offer"
CSV_COLUMNS = ("kind", "method", "periods", "rate", "item")


@dataclass(frozen=True)
class Plan:
    method: str
    periods: int
    rate: Decimal  # the fee over the whole plan, a fraction of the price


@dataclass(frozen=True)
class Offer:
    """`item` is interest-free with `method` over `periods`."""

    item: str
    method: str
    periods: int


class UnknownPlan(LookupError):
    """No such plan: `available` are the periods the method does have (none: the method
    takes no installments, or the mall has no plans for it)."""

    def __init__(self, method: str, periods: int, available: Tuple[int, ...]) -> None:
        super().__init__(f"no plan for {method} over {periods} periods (there are: {list(available)})")
        self.method = method
        self.periods = periods
        self.available = available


class PlansFileError(ValueError):
    """Every problem found in a plans file (or in plans given to replace_all), one a line."""

    def __init__(self, problems: List[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def item_key(name: str) -> str:
    """An item's name as offers match it: "xiaomi 14  12gb+256GB" is "Xiaomi 14 12GB+256GB"."""
    return " ".join(name.split()).casefold()


def rate_text(rate: Decimal) -> str:
    """As stored and exported: 0.075, 0 (no trailing zeros, no exponent)."""
    return format(rate.normalize(), "f")


# The statements of the reads a quote makes, built once (mall.store does the same).
_PLAN_WITH_OFFERS = (
    sa.select(installment_plans.c.rate, installment_offers.c.item)
    .select_from(
        installment_plans.outerjoin(
            installment_offers,
            sa.and_(
                installment_offers.c.method == installment_plans.c.method,
                installment_offers.c.periods == installment_plans.c.periods,
            ),
        )
    )
    .where(
        installment_plans.c.method == sa.bindparam("method"),
        installment_plans.c.periods == sa.bindparam("periods"),
    )
)
_PLANS = sa.select(installment_plans.c.method, installment_plans.c.periods, installment_plans.c.rate)
_PLANS_OF_METHOD = _PLANS.where(installment_plans.c.method == sa.bindparam("method"))
_OFFERS = sa.select(installment_offers.c.item, installment_offers.c.method, installment_offers.c.periods)


class InstallmentPlans:
    """The plans and offers of the order store in `db` (its schema brought up to date by
    whoever opened it: mall.store.OrderStore, or main below)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- reads ------------------------------------------------------------------------

    def plans(self, method: Optional[str] = None) -> List[Plan]:
        """Every plan, or `method`'s, in the catalog's order of methods, fewest periods first."""
        rows = self.db.rows(_PLANS) if method is None else self.db.rows(_PLANS_OF_METHOD, {"method": method})
        found = [Plan(row["method"], row["periods"], Decimal(row["rate"])) for row in rows]
        return sorted(found, key=lambda plan: (_method_order(plan.method), plan.periods))

    def offers(self) -> List[Offer]:
        found = [Offer(row["item"], row["method"], row["periods"]) for row in self.db.rows(_OFFERS)]
        return sorted(found, key=lambda offer: (item_key(offer.item), _method_order(offer.method), offer.periods))

    def rate(self, method: str, periods: int) -> Optional[Decimal]:
        """The fee rate of the plan, None if there is no such plan."""
        rows = self._plan_rows(method, periods)
        return Decimal(rows[0]["rate"]) if rows else None

    def is_interest_free(self, item: str, method: str, periods: int) -> bool:
        return _offered(item, self._plan_rows(method, periods))

    def quote(self, price: Decimal, item: Optional[str], method: str, periods: int) -> Quote:
        """What `item` (None: any item, no offer applies) at `price` costs with `method` over
        `periods`. Paying in full needs no plan; otherwise UnknownPlan if the mall has none."""
        if periods == PAID_IN_FULL:
            return quote(price, method, PAID_IN_FULL, ZERO)
        rows = self._plan_rows(method, periods)
        if not rows:
            raise UnknownPlan(method, periods, tuple(plan.periods for plan in self.plans(method)))
        interest_free = item is not None and _offered(item, rows)
        return quote(price, method, periods, Decimal(rows[0]["rate"]), interest_free=interest_free)

    def _plan_rows(self, method: str, periods: int) -> List[Dict[str, Any]]:
        """The plan's rate with each item offered interest-free on it (or None), in one
        statement: the rate and the offers of one configuration, even while the mall loads
        a new one. No rows: no such plan."""
        return self.db.rows(_PLAN_WITH_OFFERS, {"method": method, "periods": periods})

    # -- writes -----------------------------------------------------------------------

    def replace_all(self, plans: Iterable[Plan], offers: Iterable[Offer]) -> None:
        """Every plan and offer replaced by these, in one transaction; PlansFileError (and
        nothing changed) if they break a rule of the plans file."""
        new_plans, new_offers = list(plans), list(offers)
        problems = check(
            [(f"plans[{index}]", plan) for index, plan in enumerate(new_plans)]
            + [(f"offers[{index}]", offer) for index, offer in enumerate(new_offers)]
        )
        if problems:
            raise PlansFileError(problems)
        with self.db.transaction("installment_plans"):
            self.db.execute(installment_offers.delete())
            self.db.execute(installment_plans.delete())
            self._insert(new_plans, new_offers)

    def seed_if_empty(self, plans: Iterable[Plan], offers: Iterable[Offer]) -> bool:
        """Insert these if the store has no plans yet; True if it did. Of two processes
        seeding at once, one inserts and the other sees it."""
        with self.db.transaction("installment_plans"):
            if self.db.scalar(sa.select(sa.func.count()).select_from(installment_plans)):
                return False
            self.replace_all(plans, offers)
        return True

    def _insert(self, plans: List[Plan], offers: List[Offer]) -> None:
        if plans:
            rows = [{"method": p.method, "periods": p.periods, "rate": rate_text(p.rate)} for p in plans]
            self.db.execute(installment_plans.insert(), rows)
        if offers:
            rows = [{"item": " ".join(o.item.split()), "method": o.method, "periods": o.periods} for o in offers]
            self.db.execute(installment_offers.insert(), rows)

    # -- the mall's file --------------------------------------------------------------

    def load_csv(self, text: str) -> Tuple[List[Plan], List[Offer]]:
        """Replace everything with the plans and offers of a plans file (PlansFileError,
        and nothing changed, if it has any problem); what was loaded."""
        plans, offers = read_csv(text)
        self.replace_all(plans, offers)
        return plans, offers

    def export_csv(self) -> str:
        return write_csv(self.plans(), self.offers())


# -- the plans file, read and checked whole -----------------------------------------------

Entry = Union[Plan, Offer]


def read_csv(text: str) -> Tuple[List[Plan], List[Offer]]:
    """The plans and offers of a plans file; PlansFileError with every problem, each with
    its line number, if there is any."""
    problems: List[str] = []
    entries: List[Tuple[str, Entry]] = []
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    columns = [name.strip() for name in header or []]
    if sorted(columns) != sorted(CSV_COLUMNS):
        found = ",".join(columns) if columns else "an empty file"
        raise PlansFileError([f"line 1: the columns must be {','.join(CSV_COLUMNS)}, not {found}"])
    for fields in reader:
        where = f"line {reader.line_num}"
        if not any(field.strip() for field in fields):
            continue  # a blank line
        if len(fields) != len(columns):
            problems.append(f"{where}: {len(fields)} fields, expected {len(columns)} ({','.join(columns)})")
            continue
        entry = _entry(dict(zip(columns, (field.strip() for field in fields), strict=True)), where, problems)
        if entry is not None:
            entries.append((where, entry))
    problems += check(entries)
    if problems:
        raise PlansFileError(sorted(problems, key=_line_number))
    return (
        [entry for _, entry in entries if isinstance(entry, Plan)],
        [entry for _, entry in entries if isinstance(entry, Offer)],
    )


def _line_number(problem: str) -> float:
    """Problems in the order of the file's lines; those of the whole file last."""
    match = re.match(r"line (\d+):", problem)
    return int(match.group(1)) if match else math.inf


def _entry(row: Dict[str, str], where: str, problems: List[str]) -> Optional[Entry]:
    """The plan or offer of one row, if its fields are well formed (else its problems noted)."""
    found: List[str] = []
    kind = row["kind"]
    if kind not in (PLAN, OFFER):
        found.append(f"kind must be {PLAN} or {OFFER}, not {kind!r}")
    try:
        periods = int(row["periods"])
    except ValueError:
        found.append(f"periods must be a whole number, not {row['periods']!r}")
    rate: Optional[Decimal] = None
    if kind == PLAN:
        try:
            rate = Decimal(row["rate"])
        except InvalidOperation:
            found.append(f"rate must be a number (a fraction: 7.5 % is 0.075), not {row['rate']!r}")
        if row["item"]:
            found.append("a plan names no item (an offer does)")
    elif kind == OFFER:
        if row["rate"]:
            found.append("an offer has no rate (it is interest-free)")
        if not row["item"]:
            found.append("an offer names its item")
    if found:
        problems += [f"{where}: {problem}" for problem in found]
        return None
    if kind == PLAN:
        assert rate is not None
        return Plan(row["method"], periods, rate)
    return Offer(row["item"], row["method"], periods)


def check(entries: Sequence[Tuple[str, Entry]]) -> List[str]:
    """The rules a set of plans and offers must keep; `entries` are (where, plan or offer),
    `where` saying where each comes from in the problems."""
    problems: List[str] = []
    first_at: Dict[Tuple[object, ...], str] = {}  # where each plan and offer was first listed
    for where, entry in entries:
        problems += [f"{where}: {problem}" for problem in _plan_problems(entry)]
        if isinstance(entry, Plan) and not (entry.rate.is_finite() and ZERO <= entry.rate <= 1):
            problems.append(f"{where}: rate must be between 0 and 1 (a fraction: 7.5 % is 0.075), not {entry.rate}")
        key = _key(entry)
        if key in first_at:
            problems.append(f"{where}: {_describe(entry)} is listed already ({first_at[key]})")
        else:
            first_at[key] = where
    if not any(isinstance(entry, Plan) for _, entry in entries):
        problems.append("no plans: a file without plans would end installments altogether")
    for where, entry in entries:
        if isinstance(entry, Offer) and _key(Plan(entry.method, entry.periods, ZERO)) not in first_at:
            problems.append(f"{where}: an offer for {entry.method} over {entry.periods} periods, a plan not listed")
    return problems


def _key(entry: Entry) -> Tuple[object, ...]:
    """What makes a plan or an offer the same as another."""
    if isinstance(entry, Plan):
        return (PLAN, entry.method, entry.periods)
    return (OFFER, item_key(entry.item), entry.method, entry.periods)


def _plan_problems(entry: Entry) -> List[str]:
    method = payment_method(entry.method)
    if method is None:
        return [f"unknown method {entry.method!r} (methods: {', '.join(PAYMENT_METHODS)})"]
    problems = []
    if not method.allows_installments:
        allowing = [code for code, known in PAYMENT_METHODS.items() if known.allows_installments]
        problems.append(f"{method.code} takes no installments (only {', '.join(allowing)} do)")
    if entry.periods <= PAID_IN_FULL:
        problems.append(f"periods must be 2 or more (1 is paying in full, which has no fee), not {entry.periods}")
    return problems


def _describe(entry: Entry) -> str:
    if isinstance(entry, Plan):
        return f"the plan {entry.method} over {entry.periods} periods"
    return f"the offer for {entry.item!r} with {entry.method} over {entry.periods} periods"


def _offered(item: str, plan_rows: List[Dict[str, Any]]) -> bool:
    return any(row["item"] is not None and item_key(row["item"]) == item_key(item) for row in plan_rows)


def _method_order(code: str) -> int:
    return list(PAYMENT_METHODS).index(code) if code in PAYMENT_METHODS else len(PAYMENT_METHODS)


def write_csv(plans: Iterable[Plan], offers: Iterable[Offer]) -> str:
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([PLAN, plan.method, plan.periods, rate_text(plan.rate), ""] for plan in plans)
    writer.writerows([OFFER, offer.method, offer.periods, "", offer.item] for offer in offers)
    return output.getvalue()


# -- the command --------------------------------------------------------------------------

USAGE = "usage: python -m mall.plans load FILE.csv | export [FILE.csv]"


def main(argv: List[str], location: Optional[Location] = None) -> int:
    command, arguments = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    if not ((command == "load" and len(arguments) == 1) or (command == "export" and len(arguments) <= 1)):
        print(USAGE, file=sys.stderr)
        return 2
    db = Database(location or settings.orders_database())
    try:
        MIGRATIONS.apply(db)
        plans = InstallmentPlans(db)
        if command == "export":
            return _export(plans, Path(arguments[0]) if arguments else None, db.display_name)
        return _load(plans, Path(arguments[0]), db.display_name)
    finally:
        db.dispose()


def _load(plans: InstallmentPlans, path: Path, database: str) -> int:
    try:
        # utf-8-sig: a spreadsheet saving "CSV UTF-8" starts the file with a byte order mark.
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        print(f"{path}: cannot read it ({error}); nothing changed", file=sys.stderr)
        return 1
    try:
        loaded_plans, loaded_offers = plans.load_csv(text)
    except PlansFileError as error:
        count = len(error.problems)
        print(f"{path}: {count} problem{'s' if count > 1 else ''}, nothing changed:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"{database}: {len(loaded_plans)} plans and {len(loaded_offers)} offers loaded from {path}")
    return 0


def _export(plans: InstallmentPlans, path: Optional[Path], database: str) -> int:
    text = plans.export_csv()
    if path is None:
        sys.stdout.write(text)
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"{database}: plans and offers written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
