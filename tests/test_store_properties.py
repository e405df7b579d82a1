"""Property-based: random sequences of ownership checks, cancel-and-reorders (valid and
invalid) and payments arriving from outside keep the order store's invariants, on both
backends (a SQLite file, PostgreSQL)."""

from __future__ import annotations

from collections import Counter

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from mall import demo
from mall.catalog import PAID_IN_FULL, PAYMENT_METHODS
from mall.demo import DEMO_ORDERS
from mall.migrations import orders
from mall.orders import ReorderOutcome
from mall.store import OrderStore
from tests.support import order_rows

DEMO_IDS = [order["order_id"] for order in DEMO_ORDERS]
TAILS = {order["order_id"]: order["phone"][-4:] for order in DEMO_ORDERS}
METHODS = sorted(PAYMENT_METHODS) + ["bitcoin", ""]
PLANS = [PAID_IN_FULL, 3, 6, 12, 24, 0, 7, 36]  # the demo's plans (mall.plans) and some it has not
PAID = {"paid", "shipped", "completed"}


class OrderStoreMachine(RuleBasedStateMachine):
    store: OrderStore  # one database for every example, back at the demo state for each

    @initialize()
    def open_store(self) -> None:
        demo.reset(self.store)
        self.known_ids = list(DEMO_IDS)
        self.reordered = 0

    def _tail_for(self, order_id: str, right: bool) -> str:
        order = self.store.orders.get(order_id)
        tail = order.phone[-4:] if order else "0000"
        return tail if right else str((int(tail) + 1) % 10000).zfill(4)

    @rule(index=st.integers(0, 200), right=st.booleans())
    def check_ownership(self, index: int, right: bool) -> None:
        order_id = self.known_ids[index % len(self.known_ids)]
        self.store.ownership.verify(order_id, self._tail_for(order_id, right), "property-test")

    @rule(index=st.integers(0, 200), right=st.booleans(), method=st.sampled_from(METHODS), plan=st.sampled_from(PLANS))
    def cancel_and_reorder(self, index: int, right: bool, method: str, plan: int) -> None:
        order_id = self.known_ids[index % len(self.known_ids)]
        before = self.store.orders.get(order_id)
        try:
            result = self.store.orders.cancel_and_reorder(order_id, self._tail_for(order_id, right), method, plan, "pt")
        except ValueError:
            assert method not in PAYMENT_METHODS
            assert self.store.orders.get(order_id) == before
            return
        offered = plan == PAID_IN_FULL or self.store.plans.rate(method, plan) is not None
        if result.outcome is ReorderOutcome.REORDERED:
            assert before.status == "unpaid" and right and offered
            self.reordered += 1
            self.known_ids.append(result.replacement.order_id)
        else:
            assert self.store.orders.get(order_id) == before

    @precondition(lambda self: hasattr(self, "known_ids"))
    @rule(index=st.integers(0, 200))
    def customer_pays_elsewhere(self, index: int) -> None:
        """The payment system marks an unpaid order paid (outside the assistant)."""
        order_id = self.known_ids[index % len(self.known_ids)]
        self.store.db.execute(
            orders.update().where(orders.c.order_id == order_id, orders.c.status == "unpaid").values(status="paid")
        )

    @invariant()
    def each_order_is_replaced_at_most_once_by_an_identical_order(self) -> None:
        if not hasattr(self, "known_ids"):
            return
        rows = {row["order_id"]: row for row in order_rows(self.store)}
        replaces = Counter(row["replaces"] for row in rows.values() if row["replaces"])
        assert all(count == 1 for count in replaces.values())
        for row in rows.values():
            if row["replaced_by"]:
                new = rows[row["replaced_by"]]
                assert row["status"] == "cancelled" and new["replaces"] == row["order_id"]
                assert (new["total"], new["items"], new["phone"]) == (row["total"], row["items"], row["phone"])

    @invariant()
    def no_paid_order_is_ever_cancelled(self) -> None:
        if not hasattr(self, "known_ids"):
            return
        for row in self.store.orders.audit_trail():
            old, new = row["old_state"], row["new_state"]
            if old and new["status"] == "cancelled":
                assert old["status"] == "unpaid"
        for row in order_rows(self.store):
            assert not (row["status"] in PAID and row["replaced_by"])

    @invariant()
    def every_change_is_counted_and_audited(self) -> None:
        if not hasattr(self, "known_ids"):
            return
        assert self.store.orders.count() == len(DEMO_IDS) + self.reordered
        assert len(self.store.orders.audit_trail()) == 2 * self.reordered


def test_the_store_keeps_its_invariants(database):
    store = OrderStore(database)

    class OnThisDatabase(OrderStoreMachine):
        pass

    OnThisDatabase.store = store
    try:
        run_state_machine_as_test(
            OnThisDatabase, settings=settings(max_examples=60, stateful_step_count=30, deadline=None)
        )
    finally:
        store.close()
