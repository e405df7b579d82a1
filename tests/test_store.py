"""The order store: demo data, ownership checks, the transactional cancel-and-reorder."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
import sqlite_utils

from mall import demo
from mall.demo import DEMO_ORDERS
from mall.migrations import MIGRATIONS
from mall.store import (
    CLIENT_FAILURE_LIMIT,
    LOCK_AFTER_CLIENTS,
    LOCK_WINDOW,
    TRIES_PER_CONVERSATION,
    OrderStore,
    ReorderOutcome,
    Verification,
)
from tests.support import demo_store

UNPAID, PAID = "5201121000000001", "5201121000000002"


def orders(store: OrderStore):
    return {row["order_id"]: row for row in store.db["orders"].rows}


def test_new_database_has_exactly_the_demo_orders(store):
    rows = orders(store)
    assert set(rows) == {order["order_id"] for order in DEMO_ORDERS}
    first = store.get_order(UNPAID)
    assert (first.phone, first.status, first.payment_method, first.installments, first.total) == (
        "13800001234",
        "unpaid",
        "huabei",
        12,
        3999.0,
    )
    assert first.items[0]["name"] == "Xiaomi 14 12GB+256GB"


def test_opening_a_store_loads_no_demo_data(tmp_path):
    """The web app and the benchmark's million-order database open stores too."""
    store = OrderStore(tmp_path / "orders.db")
    assert store.db["orders"].count == 0 and store.tickets() == []


def test_existing_database_is_not_refilled(tmp_path):
    path = tmp_path / "orders.db"
    assert demo.init(OrderStore(path)) is True
    OrderStore(path).db["orders"].delete(UNPAID)
    assert demo.init(OrderStore(path)) is False
    assert OrderStore(path).get_order(UNPAID) is None


def test_demo_command_initialises_and_resets(tmp_path, capsys):
    path = tmp_path / "orders.db"
    assert demo.main(["demo", "init"], path) == 0
    OrderStore(path).cancel_and_reorder(UNPAID, "1234", "alipay", 1, "c1")
    assert demo.main(["demo", "init"], path) == 0  # an existing database keeps its orders
    assert OrderStore(path).get_order(UNPAID).status == "cancelled"
    assert demo.main(["demo", "reset"], path) == 0
    assert OrderStore(path).get_order(UNPAID).status == "unpaid"
    assert demo.main(["demo", "bogus"], path) == 2


def test_migrations_are_recorded_and_applied_once(tmp_path):
    path = tmp_path / "orders.db"
    store = demo_store(path)
    applied = [migration.name for migration in MIGRATIONS.applied(store.db)]
    assert applied == [migration.name for migration in MIGRATIONS.pending(sqlite_utils.Database(memory=True))]
    assert MIGRATIONS.pending(OrderStore(path).db) == []


def test_missing_columns_are_added_to_an_older_database(tmp_path):
    path = tmp_path / "orders.db"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE orders (order_id TEXT PRIMARY KEY, phone TEXT, status TEXT, "
            "payment_method TEXT, installments INTEGER, total REAL, items TEXT, created_at TEXT)"
        )
        old.execute(
            "INSERT INTO orders VALUES ('5201121000000009', '13800001234', 'unpaid', 'alipay', 1, 9.5, '[]', 'x')"
        )
    store = OrderStore(path)
    assert {"replaced_by", "replaces", "updated_at"} <= set(store.db["orders"].columns_dict)
    assert store.get_order("5201121000000009").replaced_by is None
    assert store.db["handoff_tickets"].exists()


def test_reset_restores_the_demo_state(store):
    store.cancel_and_reorder(UNPAID, "1234", "alipay", 1, "c1")
    store.create_handoff_ticket("c1", "customer_request", "zh")
    demo.reset(store)
    assert len(orders(store)) == len(DEMO_ORDERS)
    assert store.get_order(UNPAID).status == "unpaid"
    assert store.tickets() == [] and store.db["order_audit"].count == 0


@pytest.mark.parametrize(
    "order_id, tail, expected",
    [
        (UNPAID, "1234", Verification.VERIFIED),
        (UNPAID, "9999", Verification.NO_MATCH),
        (UNPAID, "123", Verification.NO_MATCH),
        (UNPAID, "", Verification.NO_MATCH),
        # No such order fails exactly like a wrong tail: the answer tells nobody which exist.
        ("5201121000000099", "1234", Verification.NO_MATCH),
        ("' OR 1=1 --", "1234", Verification.NO_MATCH),
    ],
)
def test_verify_owner(store, order_id, tail, expected):
    assert store.verify_owner(order_id, tail, "c1") is expected


def test_a_conversation_has_three_tries_whatever_it_guesses(store):
    for guess in range(TRIES_PER_CONVERSATION):
        assert store.tries_left("c1") == TRIES_PER_CONVERSATION - guess
        store.verify_owner("5201121000000099" if guess else UNPAID, "0000", "c1")
    assert store.tries_left("c1") == 0
    assert store.verify_owner(UNPAID, "1234", "c1") is Verification.TOO_MANY  # even the right tail


def test_one_client_with_many_conversations_never_locks_the_owner_out(tmp_path):
    """Throw-away sender ids from one client used to lock the order for everyone."""
    store = demo_store(tmp_path / "orders.db")
    guesses = [store.verify_owner(UNPAID, "0000", f"throwaway-{i}", client="attacker") for i in range(20)]
    assert guesses[:CLIENT_FAILURE_LIMIT] == [Verification.NO_MATCH] * CLIENT_FAILURE_LIMIT
    assert set(guesses[CLIENT_FAILURE_LIMIT:]) == {Verification.TOO_MANY}  # the guesser pays
    assert store.recent_failures(UNPAID) == CLIENT_FAILURE_LIMIT
    assert store.verify_owner(UNPAID, "1234", "owner", client="owner-phone") is Verification.VERIFIED


def test_wrong_tails_from_many_clients_lock_the_order_for_an_hour(tmp_path):
    now = [datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)]
    store = demo_store(tmp_path / "orders.db", clock=lambda: now[0])
    for i in range(LOCK_AFTER_CLIENTS):
        assert store.verify_owner(UNPAID, "0000", f"attacker-{i}", client=f"client-{i}") is Verification.NO_MATCH
    # Locked even for the right tail, for every conversation, and across a restart.
    assert (
        OrderStore(tmp_path / "orders.db", clock=lambda: now[0]).verify_owner(UNPAID, "1234", "owner", client="o")
        is Verification.LOCKED
    )
    assert store.verify_owner(PAID, "1234", "owner", client="o") is Verification.VERIFIED  # other orders unaffected
    now[0] += LOCK_WINDOW + timedelta(seconds=1)
    assert store.verify_owner(UNPAID, "1234", "owner", client="o") is Verification.VERIFIED


def test_carried_over_tail_is_not_counted_as_a_guess(store):
    for _ in range(LOCK_AFTER_CLIENTS + 2):
        assert store.verify_owner(UNPAID, "0000", "c1", count_failure=False) is Verification.NO_MATCH
    assert store.tries_left("c1") == TRIES_PER_CONVERSATION and store.recent_failures(UNPAID) == 0


def test_open_orders_are_the_customers_own_unfinished_ones(store):
    customer = store.customer("customer-1234")
    assert customer is not None and customer.phone == "13800001234"
    open_ids = [order.order_id for order in store.open_orders(customer)]
    assert open_ids and all(store.get_order(i).phone == customer.phone for i in open_ids)
    assert all(store.get_order(i).status in ("unpaid", "paid", "shipped") for i in open_ids)
    assert store.customer_order(customer, "5201121000000006") is None  # someone else's
    assert store.customer_order(customer, UNPAID).order_id == UNPAID
    store.cancel_and_reorder(UNPAID, "", "alipay", 1, "c1", customer_id=customer.customer_id)
    after = [order.order_id for order in store.open_orders(customer)]
    assert UNPAID not in after and len(after) == len(open_ids)  # the replacement took its place


def test_a_signed_in_customer_changes_only_their_own_orders(store):
    result = store.cancel_and_reorder("5201121000000006", "", "alipay", 1, "c1", customer_id="customer-1234")
    assert result.outcome is ReorderOutcome.NOT_OWNER


def test_cancel_and_reorder_replaces_an_unpaid_order_atomically(store):
    result = store.cancel_and_reorder(UNPAID, "1234", "alipay", 1, "conv-1")
    assert result.outcome is ReorderOutcome.REORDERED
    old, new = store.get_order(UNPAID), result.replacement
    assert (old.status, old.replaced_by) == ("cancelled", new.order_id)
    assert (new.status, new.payment_method, new.installments) == ("unpaid", "alipay", 1)
    assert (new.total, new.items, new.phone, new.replaces) == (old.total, old.items, old.phone, UNPAID)
    assert len(new.order_id) == 16 and new.order_id.isdigit()
    audit = list(store.db.query("SELECT * FROM order_audit ORDER BY id"))
    assert [(row["order_id"], row["conversation_id"]) for row in audit] == [
        (UNPAID, "conv-1"),
        (new.order_id, "conv-1"),
    ]
    assert json.loads(audit[0]["old_state"])["status"] == "unpaid"
    assert json.loads(audit[0]["new_state"])["status"] == "cancelled"


def test_a_second_yes_creates_nothing(store):
    first = store.cancel_and_reorder(UNPAID, "1234", "alipay", 1, "c1")
    count = store.db["orders"].count
    again = store.cancel_and_reorder(UNPAID, "1234", "wechat_pay", 1, "c1")
    assert again.outcome is ReorderOutcome.ALREADY_REPLACED
    assert again.replacement.order_id == first.replacement.order_id
    assert again.replacement.payment_method == "alipay"
    assert store.db["orders"].count == count


@pytest.mark.parametrize("status", ["paid", "shipped", "completed", "cancelled", "refunded"])
def test_only_unpaid_orders_are_cancelled(store, status):
    store.db["orders"].update(UNPAID, {"status": status})
    result = store.cancel_and_reorder(UNPAID, "1234", "alipay", 1, "c1")
    assert result.outcome is ReorderOutcome.NOT_UNPAID
    assert store.get_order(UNPAID).status == status
    assert store.db["orders"].count == len(DEMO_ORDERS)


def test_someone_elses_order_is_not_touched(store):
    result = store.cancel_and_reorder("5201121000000006", "1234", "alipay", 1, "c1")
    assert result.outcome is ReorderOutcome.NOT_OWNER
    assert store.get_order("5201121000000006").status == "unpaid"


def test_unknown_order(store):
    assert (
        store.cancel_and_reorder("5201121000000099", "1234", "alipay", 1, "c1").outcome is ReorderOutcome.UNKNOWN_ORDER
    )


@pytest.mark.parametrize("method, plan", [("bitcoin", 1), ("alipay", 12), ("huabei", 7), ("credit_card", 0)])
def test_invalid_choices_are_refused_before_any_write(store, method, plan):
    with pytest.raises(ValueError):
        store.cancel_and_reorder(UNPAID, "1234", method, plan, "c1")
    assert store.get_order(UNPAID).status == "unpaid"


def test_a_failed_write_rolls_everything_back(store, monkeypatch):
    def broken_audit(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_audit", broken_audit)
    with pytest.raises(sqlite3.OperationalError):
        store.cancel_and_reorder(UNPAID, "1234", "alipay", 1, "c1")
    assert store.get_order(UNPAID).status == "unpaid"
    assert store.db["orders"].count == len(DEMO_ORDERS)


def test_ticket_numbers_count_up_per_day(store):
    first = store.create_handoff_ticket(
        "c1",
        "paid_order",
        "en",
        order_id=PAID,
        requested_method="alipay",
        transcript=[{"from": "customer", "text": "hi"}],
    )
    second = store.create_handoff_ticket("c2", "customer_request", "zh")
    assert first[:2] == "HT" and int(second[-4:]) == int(first[-4:]) + 1
    ticket = next(t for t in store.tickets() if t["ticket_id"] == first)
    assert (ticket["order_id"], ticket["reason"], ticket["status"], ticket["language"], ticket["requested_method"]) == (
        PAID,
        "paid_order",
        "open",
        "en",
        "alipay",
    )
    assert json.loads(ticket["transcript"]) == [{"from": "customer", "text": "hi"}]


def test_ticket_lifecycle(store):
    first = store.create_handoff_ticket("c1", "customer_request", "zh")
    second = store.create_handoff_ticket("c2", "paid_order", "en", order_id=PAID)
    assert [t["ticket_id"] for t in store.tickets(status="open")] == [second, first]  # newest first
    assert store.close_ticket(first) is True
    assert store.close_ticket(first) is False  # closing twice changes nothing
    assert store.close_ticket("HT0000000000") is False
    closed = store.get_ticket(first)
    assert closed["status"] == "closed" and closed["closed_at"]
    assert [t["ticket_id"] for t in store.tickets(status="open")] == [second]
    assert store.get_ticket("nope") is None


def test_tickets_end_closed_or_cancelled_once(store):
    ticket = store.create_handoff_ticket("c-1", "customer_request", "zh", live=True)
    assert store.cancel_ticket(ticket) and not store.cancel_ticket(ticket) and not store.close_ticket(ticket)
    assert store.get_ticket(ticket)["status"] == "cancelled" and store.get_ticket(ticket)["closed_at"]
    assert store.open_ticket("c-1") is None


def test_agents_hours_in_mall_time(monkeypatch):
    from datetime import datetime, timezone

    from mall import settings as mall_settings
    from mall import support

    monkeypatch.delenv(mall_settings.AGENT_HOURS_ENV, raising=False)
    assert support.agent_hours() == "9:00-21:00"
    assert support.agents_available(datetime(2026, 11, 21, 1, 0, tzinfo=timezone.utc))  # 9:00 in Beijing
    assert not support.agents_available(datetime(2026, 11, 21, 13, 30, tzinfo=timezone.utc))  # 21:30
    monkeypatch.setenv(mall_settings.AGENT_HOURS_ENV, "22:00-6:00")
    assert support.agent_hours() == "22:00-6:00"
    assert support.agents_available(datetime(2026, 11, 21, 15, 0, tzinfo=timezone.utc))  # 23:00


def test_a_database_from_before_the_wait_for_agents_gets_its_ticket_columns(tmp_path):
    """A database the shipped first migration made (tickets in it) is brought up to date by
    the new migration, and its tickets keep what they had."""
    path = tmp_path / "orders.db"
    older = sqlite_utils.Database(path)
    MIGRATIONS.apply(older, stop_before="handoff_waiting")
    older["handoff_tickets"].insert({"ticket_id": "HT2611200001", "sender_id": "old", "status": "open"})
    older.close()
    store = OrderStore(path)
    assert {"claimed_order_id", "live", "agent_joined_at"} <= set(store.db["handoff_tickets"].columns_dict)
    assert store.open_ticket("old")["ticket_id"] == "HT2611200001"
    assert store.create_handoff_ticket("old", "customer_request", "zh") == "HT2611200001"
