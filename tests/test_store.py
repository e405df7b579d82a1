"""The order store: demo data, ownership checks, the transactional cancel-and-reorder, on
both backends (a SQLite file, PostgreSQL): the `database` fixture runs each test on each."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from mall import demo
from mall.db import Database
from mall.demo import DEMO_ORDERS
from mall.migrations import MIGRATIONS
from mall.migrations import orders as orders_table
from mall.orders import ReorderOutcome
from mall.ownership import CLIENT_FAILURE_LIMIT, LOCK_AFTER_CLIENTS, LOCK_WINDOW, TRIES_PER_CONVERSATION, Verification
from mall.plans import Plan
from mall.store import OrderStore
from mall.tickets import TicketStatus
from tests.support import demo_store, order_rows

UNPAID, PAID = "5201121000000001", "5201121000000002"


@pytest.fixture
def store(database):
    """The demo orders, on each backend (overrides conftest's SQLite-only store)."""
    opened = demo_store(database)
    yield opened
    opened.close()


def orders(store: OrderStore):
    return {row["order_id"]: row for row in order_rows(store)}


def columns(store: OrderStore, table: str):
    return {column["name"] for column in sa.inspect(store.db.engine).get_columns(table)}


def test_new_database_has_exactly_the_demo_orders(store):
    rows = orders(store)
    assert set(rows) == {order["order_id"] for order in DEMO_ORDERS}
    first = store.orders.get(UNPAID)
    assert (first.phone, first.status, first.payment_method, first.installments, first.total) == (
        "13800001234",
        "unpaid",
        "huabei",
        12,
        3999.0,
    )
    assert first.items[0]["name"] == "Xiaomi 14 12GB+256GB"


def test_opening_a_store_loads_no_demo_data(database):
    """The web app and the benchmark's million-order database open stores too."""
    store = OrderStore(database)
    assert store.orders.count() == 0 and store.tickets.listed() == []


def test_existing_database_is_not_refilled(database):
    path = database
    assert demo.init(OrderStore(path)) is True
    OrderStore(path).db.execute(orders_table.delete().where(orders_table.c.order_id == UNPAID))
    assert demo.init(OrderStore(path)) is False
    assert OrderStore(path).orders.get(UNPAID) is None


def test_demo_command_initialises_and_resets(database, capsys):
    path = database
    assert demo.main(["demo", "init"], path) == 0
    OrderStore(path).orders.cancel_and_reorder(UNPAID, "1234", "alipay", 1, "c1")
    assert demo.main(["demo", "init"], path) == 0  # an existing database keeps its orders
    assert OrderStore(path).orders.get(UNPAID).status == "cancelled"
    assert demo.main(["demo", "reset"], path) == 0
    assert OrderStore(path).orders.get(UNPAID).status == "unpaid"
    assert demo.main(["demo", "bogus"], path) == 2


def test_migrations_are_recorded_and_applied_once(database):
    store = demo_store(database)
    assert MIGRATIONS.applied(store.db) == MIGRATIONS.names
    assert MIGRATIONS.pending(OrderStore(database).db) == []


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
    assert {"replaced_by", "replaces", "updated_at"} <= columns(store, "orders")
    assert store.orders.get("5201121000000009").replaced_by is None
    assert sa.inspect(store.db.engine).has_table("handoff_tickets")


def test_reset_restores_the_demo_state(store):
    store.orders.cancel_and_reorder(UNPAID, "1234", "alipay", 1, "c1")
    store.tickets.open("c1", "customer_request", "zh")
    demo.reset(store)
    assert len(orders(store)) == len(DEMO_ORDERS)
    assert store.orders.get(UNPAID).status == "unpaid"
    assert store.tickets.listed() == [] and store.orders.audit_trail() == []


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
    assert store.ownership.verify(order_id, tail, "c1") is expected


def test_a_conversation_has_three_tries_whatever_it_guesses(store):
    for guess in range(TRIES_PER_CONVERSATION):
        assert store.ownership.tries_left("c1") == TRIES_PER_CONVERSATION - guess
        store.ownership.verify("5201121000000099" if guess else UNPAID, "0000", "c1")
    assert store.ownership.tries_left("c1") == 0
    assert store.ownership.verify(UNPAID, "1234", "c1") is Verification.TOO_MANY  # even the right tail


def test_one_client_with_many_conversations_never_locks_the_owner_out(store):
    """Throw-away sender ids from one client used to lock the order for everyone."""
    guesses = [store.ownership.verify(UNPAID, "0000", f"throwaway-{i}", client="attacker") for i in range(20)]
    assert guesses[:CLIENT_FAILURE_LIMIT] == [Verification.NO_MATCH] * CLIENT_FAILURE_LIMIT
    assert set(guesses[CLIENT_FAILURE_LIMIT:]) == {Verification.TOO_MANY}  # the guesser pays
    assert store.ownership.recent_failures(UNPAID) == CLIENT_FAILURE_LIMIT
    assert store.ownership.verify(UNPAID, "1234", "owner", client="owner-phone") is Verification.VERIFIED


def test_wrong_tails_from_many_clients_lock_the_order_for_an_hour(database):
    now = [datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)]
    store = demo_store(database, clock=lambda: now[0])
    for i in range(LOCK_AFTER_CLIENTS):
        assert store.ownership.verify(UNPAID, "0000", f"attacker-{i}", client=f"client-{i}") is Verification.NO_MATCH
    # Locked even for the right tail, for every conversation, and across a restart.
    assert (
        OrderStore(database, clock=lambda: now[0]).ownership.verify(UNPAID, "1234", "owner", client="o")
        is Verification.LOCKED
    )
    assert store.ownership.verify(PAID, "1234", "owner", client="o") is Verification.VERIFIED  # other orders unaffected
    now[0] += LOCK_WINDOW + timedelta(seconds=1)
    assert store.ownership.verify(UNPAID, "1234", "owner", client="o") is Verification.VERIFIED


def test_carried_over_tail_is_not_counted_as_a_guess(store):
    for _ in range(LOCK_AFTER_CLIENTS + 2):
        assert store.ownership.verify(UNPAID, "0000", "c1", count_failure=False) is Verification.NO_MATCH
    assert store.ownership.tries_left("c1") == TRIES_PER_CONVERSATION and store.ownership.recent_failures(UNPAID) == 0


def test_open_orders_are_the_customers_own_unfinished_ones(store):
    customer = store.orders.customer("customer-1234")
    assert customer is not None and customer.phone == "13800001234"
    open_ids = [order.order_id for order in store.orders.open_of(customer)]
    assert open_ids and all(store.orders.get(i).phone == customer.phone for i in open_ids)
    assert all(store.orders.get(i).status in ("unpaid", "paid", "shipped") for i in open_ids)
    assert store.orders.owned_by(customer, "5201121000000006") is None  # someone else's
    assert store.orders.owned_by(customer, UNPAID).order_id == UNPAID
    store.orders.cancel_and_reorder(UNPAID, "", "alipay", 1, "c1", customer_id=customer.customer_id)
    after = [order.order_id for order in store.orders.open_of(customer)]
    assert UNPAID not in after and len(after) == len(open_ids)  # the replacement took its place


def test_a_signed_in_customer_changes_only_their_own_orders(store):
    result = store.orders.cancel_and_reorder("5201121000000006", "", "alipay", 1, "c1", customer_id="customer-1234")
    assert result.outcome is ReorderOutcome.NOT_OWNER


def test_cancel_and_reorder_replaces_an_unpaid_order_atomically(store):
    result = store.orders.cancel_and_reorder(UNPAID, "1234", "alipay", 1, "conv-1")
    assert result.outcome is ReorderOutcome.REORDERED
    old, new = store.orders.get(UNPAID), result.replacement
    assert (old.status, old.replaced_by) == ("cancelled", new.order_id)
    assert (new.status, new.payment_method, new.installments) == ("unpaid", "alipay", 1)
    assert (new.total, new.items, new.phone, new.replaces) == (old.total, old.items, old.phone, UNPAID)
    assert len(new.order_id) == 16 and new.order_id.isdigit()
    audit = store.orders.audit_trail()
    assert [(row["order_id"], row["conversation_id"]) for row in audit] == [
        (UNPAID, "conv-1"),
        (new.order_id, "conv-1"),
    ]
    assert audit[0]["old_state"]["status"] == "unpaid"
    assert audit[0]["new_state"]["status"] == "cancelled"


def test_a_second_yes_creates_nothing(store):
    first = store.orders.cancel_and_reorder(UNPAID, "1234", "alipay", 1, "c1")
    count = store.orders.count()
    again = store.orders.cancel_and_reorder(UNPAID, "1234", "wechat_pay", 1, "c1")
    assert again.outcome is ReorderOutcome.ALREADY_REPLACED
    assert again.replacement.order_id == first.replacement.order_id
    assert again.replacement.payment_method == "alipay"
    assert store.orders.count() == count


@pytest.mark.parametrize("status", ["paid", "shipped", "completed", "cancelled", "refunded"])
def test_only_unpaid_orders_are_cancelled(store, status):
    store.orders.update(UNPAID, {"status": status})
    result = store.orders.cancel_and_reorder(UNPAID, "1234", "alipay", 1, "c1")
    assert result.outcome is ReorderOutcome.NOT_UNPAID
    assert store.orders.get(UNPAID).status == status
    assert store.orders.count() == len(DEMO_ORDERS)


def test_someone_elses_order_is_not_touched(store):
    result = store.orders.cancel_and_reorder("5201121000000006", "1234", "alipay", 1, "c1")
    assert result.outcome is ReorderOutcome.NOT_OWNER
    assert store.orders.get("5201121000000006").status == "unpaid"


def test_unknown_order(store):
    assert (
        store.orders.cancel_and_reorder("5201121000000099", "1234", "alipay", 1, "c1").outcome
        is ReorderOutcome.UNKNOWN_ORDER
    )


def test_an_unknown_method_is_refused_before_any_write(store):
    with pytest.raises(ValueError):
        store.orders.cancel_and_reorder(UNPAID, "1234", "bitcoin", 1, "c1")
    assert store.orders.get(UNPAID).status == "unpaid"


@pytest.mark.parametrize("method, plan", [("alipay", 12), ("huabei", 7), ("credit_card", 0), ("credit_card", 36)])
def test_a_plan_the_store_does_not_offer_changes_nothing(store, method, plan):
    result = store.orders.cancel_and_reorder(UNPAID, "1234", method, plan, "c1")
    assert result.outcome is ReorderOutcome.PLAN_NOT_OFFERED and result.replacement is None
    assert store.orders.get(UNPAID).status == "unpaid" and store.orders.count() == len(DEMO_ORDERS)


def test_the_plans_are_checked_when_the_change_is_made(store):
    """The mall withdrew credit card over 6 periods after the customer chose it: the yes
    changes nothing; a plan it added is taken at once."""
    plans = [plan for plan in store.plans.plans() if (plan.method, plan.periods) != ("credit_card", 6)]
    store.plans.replace_all([*plans, Plan("credit_card", 9, Decimal("0.05"))], store.plans.offers())
    withdrawn = store.orders.cancel_and_reorder(UNPAID, "1234", "credit_card", 6, "c1")
    assert withdrawn.outcome is ReorderOutcome.PLAN_NOT_OFFERED
    added = store.orders.cancel_and_reorder(UNPAID, "1234", "credit_card", 9, "c1")
    assert added.outcome is ReorderOutcome.REORDERED and added.replacement.installments == 9


def test_an_order_names_its_item_when_it_holds_one(store):
    assert store.orders.get(UNPAID).item == "Xiaomi 14 12GB+256GB"
    store.orders.update(UNPAID, {"items": '[{"name": "Xiaomi 14 12GB+256GB", "quantity": 2}]'})
    assert store.orders.get(UNPAID).item == "Xiaomi 14 12GB+256GB"
    store.orders.update(UNPAID, {"items": '[{"name": "Xiaomi 14 12GB+256GB"}, {"name": "Xiaomi Buds 5"}]'})
    assert store.orders.get(UNPAID).item is None


def test_a_failed_write_rolls_everything_back(store, monkeypatch):
    def broken_audit(*args, **kwargs):
        raise OSError("disk I/O error")

    monkeypatch.setattr(store.orders, "_audit", broken_audit)
    with pytest.raises(OSError):
        store.orders.cancel_and_reorder(UNPAID, "1234", "alipay", 1, "c1")
    assert store.orders.get(UNPAID).status == "unpaid"
    assert store.orders.count() == len(DEMO_ORDERS)


def test_ticket_numbers_count_up_per_day(store):
    first = store.tickets.open(
        "c1",
        "paid_order",
        "en",
        order_id=PAID,
        requested_method="alipay",
        transcript=[{"from": "customer", "text": "hi"}],
    )
    second = store.tickets.open("c2", "customer_request", "zh")
    assert first[:2] == "HT" and int(second[-4:]) == int(first[-4:]) + 1
    ticket = next(t for t in store.tickets.listed() if t.ticket_id == first)
    assert (ticket.order_id, ticket.reason, ticket.status, ticket.language, ticket.requested_method) == (
        PAID,
        "paid_order",
        "open",
        "en",
        "alipay",
    )
    assert list(ticket.transcript) == [{"from": "customer", "text": "hi"}]


def test_ticket_lifecycle(store):
    first = store.tickets.open("c1", "customer_request", "zh")
    second = store.tickets.open("c2", "paid_order", "en", order_id=PAID)
    assert [t.ticket_id for t in store.tickets.listed(TicketStatus.OPEN)] == [second, first]  # newest first
    assert store.tickets.close(first) is True
    assert store.tickets.close(first) is False  # closing twice changes nothing
    assert store.tickets.close("HT0000000000") is False
    closed = store.tickets.get(first)
    assert closed.status == "closed" and closed.closed_at
    assert [t.ticket_id for t in store.tickets.listed(TicketStatus.OPEN)] == [second]
    assert store.tickets.get("nope") is None


def test_tickets_end_closed_or_cancelled_once(store):
    ticket = store.tickets.open("c-1", "customer_request", "zh", live=True)
    assert store.tickets.cancel(ticket) and not store.tickets.cancel(ticket) and not store.tickets.close(ticket)
    assert store.tickets.get(ticket).status == "cancelled" and store.tickets.get(ticket).closed_at
    assert store.tickets.open_for("c-1") is None


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


def test_a_database_from_before_the_wait_for_agents_gets_its_ticket_columns(database):
    """A database the shipped first migration made (tickets in it) is brought up to date by
    the new migration, and its tickets keep what they had."""
    older = Database(database)
    MIGRATIONS.apply(older, stop_before="handoff_waiting")
    with older.transaction() as connection:
        connection.execute(
            sa.text("INSERT INTO handoff_tickets (ticket_id, sender_id, status) VALUES ('HT2611200001', 'old', 'open')")
        )
    older.dispose()
    store = OrderStore(database)
    assert {"claimed_order_id", "live", "agent_joined_at"} <= columns(store, "handoff_tickets")
    assert store.tickets.open_for("old").ticket_id == "HT2611200001"
    assert store.tickets.open("old", "customer_request", "zh") == "HT2611200001"


# -- SQLite files the store made before it moved from sqlite-utils to SQLAlchemy -----------

LEGACY = Path(__file__).parent / "data"


def legacy_file(tmp_path: Path, dump: str) -> Path:
    """A SQLite file from a `.dump` of one the sqlite-utils store left (tests/data)."""
    path = tmp_path / "legacy.db"
    with sqlite3.connect(path) as connection:
        connection.executescript((LEGACY / dump).read_text(encoding="utf-8"))
    return path


def test_a_database_of_the_sqlite_utils_store_opens_as_it_is(tmp_path):
    store = OrderStore(legacy_file(tmp_path, "legacy-orders.sql"))
    assert MIGRATIONS.pending(store.db) == []
    assert store.tickets.open_for("legacy-conv").requested_method == "alipay"
    assert store.misses.since()[0].guesses == (("ask_installment_fees", 0.41),)
    assert [row["order_id"] for row in store.orders.audit_trail()] == [UNPAID, "5226112051899836"]
    assert store.ownership.recent_failures("5201121000000006") == 0  # a week old
    again = store.orders.cancel_and_reorder(UNPAID, "1234", "wechat_pay", 1, "legacy-conv")
    assert again.outcome is ReorderOutcome.ALREADY_REPLACED and again.replacement.order_id == "5226112051899836"


def test_a_database_with_only_the_first_migration_gets_the_others(tmp_path):
    store = OrderStore(legacy_file(tmp_path, "legacy-first.sql"))
    assert MIGRATIONS.applied(store.db) == MIGRATIONS.names
    assert store.tickets.open_for("old").ticket_id == "HT2611200001"
    store.misses.record("c1", "asdf", "fallback", [("greet", 0.2)], "en")
    assert len(store.misses.since()) == 1


def test_a_conversations_file_of_before_is_read_as_it_is(tmp_path):
    from mall.conversations import ConversationLog

    log = ConversationLog(legacy_file(tmp_path, "legacy-conversations.sql"))
    stored = log.conversation("legacy-conv")
    assert (stored.event_count, stored.window_start) == (4, 1)
    assert [event["event"] for event in log.events("legacy-conv", 1)] == ["user", "bot", "action"]
    assert log.presence("legacy-conv").left_at == 6.0
    log.append("legacy-conv", 4, [{"event": "action", "name": "action_listen"}])
    assert log.conversation("legacy-conv").event_count == 5
