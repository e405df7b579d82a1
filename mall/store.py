"""The orders database (a SQLite file, or PostgreSQL when DATABASE_URL is set): reads and
every write, the same code on both (SQLAlchemy Core, mall.db).

Every write runs in one transaction that locks and re-reads the rows it is about to change
(`BEGIN IMMEDIATE` on SQLite, `SELECT … FOR UPDATE` on PostgreSQL), so two conversations
racing on one order, on one Rasa instance or two, or a customer saying "yes" twice, can
never apply a change twice. Opening a store brings its schema up to date
(mall.migrations); the demo orders are loaded only by mall.demo.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import Any, Callable, ContextManager, Dict, Iterable, List, Mapping, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mall.catalog import CANCELLED, OPEN_STATUSES, UNPAID, VALID_PLANS, payment_method
from mall.db import Database, Location
from mall.migrations import (
    METADATA,
    MIGRATIONS,
    TABLES,
    handoff_tickets,
    nlu_misses,
    order_audit,
    orders,
)
from mall.migrations import customers as accounts_table
from mall.migrations import verification_failures as failures
from mall.privacy import mask_phones_in_text

# Fault injection, for the crash tests only: with ORDERS_FAULT_STAGE=<stage> the process
# stops at that point of a write (after touching ORDERS_FAULT_MARKER) so a test can kill it.
FAULT_STAGE_ENV, FAULT_MARKER_ENV = "ORDERS_FAULT_STAGE", "ORDERS_FAULT_MARKER"

# Guessing the phone tail (10,000 possibilities) costs the guesser first. Within the window:
# - a conversation gets TRIES_PER_CONVERSATION failed checks (a wrong tail, or an order
#   number with no such order: both fail alike), kept here so a typed /restart, which
#   clears every slot, gives no new ones;
# - a client (a network address, whatever conversations it opens) gets CLIENT_FAILURE_LIMIT;
# - only then does an order lock, once failed checks for it came from LOCK_AFTER_CLIENTS
#   different clients: one guesser, however many conversations it opens, never locks the
#   owner out, and a signed-in owner (mall.identity) is never asked for the tail at all.
# At most (LOCK_AFTER_CLIENTS - 1) * CLIENT_FAILURE_LIMIT + 1 guesses reach one order in the
# window before it locks.
TRIES_PER_CONVERSATION = 3
CLIENT_FAILURE_LIMIT = 6
LOCK_AFTER_CLIENTS = 5
LOCK_WINDOW = timedelta(hours=1)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class Verification(str, Enum):
    VERIFIED = "verified"
    NO_MATCH = "no_match"  # a wrong tail, or no such order: the same answer, or it tells which orders exist
    LOCKED = "locked"  # too many different clients failed for this order
    TOO_MANY = "too_many"  # this conversation or this client used up its tries


class ReorderOutcome(str, Enum):
    REORDERED = "reordered"
    ALREADY_REPLACED = "already_replaced"  # a repeated or late "yes": nothing new created
    NOT_UNPAID = "not_unpaid"  # e.g. paid between the lookup and the "yes"
    NOT_OWNER = "not_owner"
    UNKNOWN_ORDER = "unknown_order"


@dataclass(frozen=True)
class Order:
    order_id: str
    phone: str
    status: str
    payment_method: str
    installments: int
    total: float
    items: Tuple[Dict[str, Any], ...]
    replaced_by: Optional[str]
    replaces: Optional[str]
    created_at: str

    @classmethod
    def from_row(cls, row: Dict[str, Any]) -> Order:
        return cls(
            order_id=row["order_id"],
            phone=row["phone"],
            status=row["status"],
            payment_method=row["payment_method"],
            installments=int(row["installments"]),
            total=float(row["total"]),
            items=tuple(json.loads(row["items"] or "[]")),
            replaced_by=row.get("replaced_by"),
            replaces=row.get("replaces"),
            created_at=row["created_at"],
        )

    def state(self) -> Dict[str, Any]:
        """What the audit trail records of an order."""
        return {
            "status": self.status,
            "payment_method": self.payment_method,
            "installments": self.installments,
            "replaced_by": self.replaced_by,
        }

    def belongs_to(self, phone_tail: Any) -> bool:
        tail = str(phone_tail or "")
        return len(tail) == 4 and hmac.compare_digest(self.phone[-4:], tail)


@dataclass(frozen=True)
class Customer:
    """A mall account; it owns the orders placed with its phone number."""

    customer_id: str
    phone: str
    name_zh: str
    name_en: str

    def owns(self, order: Order) -> bool:
        return hmac.compare_digest(order.phone, self.phone)


@dataclass(frozen=True)
class ReorderResult:
    outcome: ReorderOutcome
    order: Optional[Order] = None  # the order as it is after the call
    replacement: Optional[Order] = None


# The statements of every lookup, built once (building one costs more than running it).
_ORDER = sa.select(orders).where(orders.c.order_id == sa.bindparam("order_id"))
_RECENT_FAILURES = (
    sa.select(sa.func.count())
    .select_from(failures)
    .where(failures.c.order_id == sa.bindparam("order_id"), failures.c.created_at >= sa.bindparam("since"))
)
_CONVERSATION_FAILURES = sa.select(sa.func.count()).where(
    failures.c.sender_id == sa.bindparam("sender_id"), failures.c.created_at >= sa.bindparam("since")
)
_CLIENT_FAILURES = sa.select(sa.func.count()).where(
    failures.c.client == sa.bindparam("client"), failures.c.created_at >= sa.bindparam("since")
)
_GUESSER = sa.func.coalesce(failures.c.client, sa.literal("conversation:") + failures.c.sender_id)
_CLIENTS_FAILED_FOR = sa.select(sa.func.count(sa.distinct(_GUESSER))).where(
    failures.c.order_id == sa.bindparam("order_id"), failures.c.created_at >= sa.bindparam("since")
)


class OrderStore:
    """A small pool of connections (mall.db); safe to share between the action server's
    requests. `location`: a SQLite file's path, or a database URL."""

    def __init__(self, location: Location, clock: Callable[[], datetime] = utc_now):
        self.db = Database(location)
        self.path = self.db.path  # the SQLite file; None on PostgreSQL
        self._clock = clock
        MIGRATIONS.apply(self.db)

    def close(self) -> None:
        self.db.dispose()

    def _transaction(self, *locks: str) -> ContextManager[Connection]:
        return self.db.transaction(*locks)

    def seed_if_empty(self, orders: Iterable[Dict[str, Any]], accounts: Iterable[Dict[str, Any]] = ()) -> bool:
        """Insert `orders` (`items` as a list) if there are none yet, and the customer
        `accounts` if there are none yet; True if it inserted the orders. Atomic: of two
        processes seeding at once, one inserts and the other sees it."""
        with self._transaction("orders"):
            if not self.db.scalar(sa.select(sa.func.count()).select_from(accounts_table)):
                self._insert_customers(accounts)
            if self.count_orders():
                return False
            self._insert_orders(orders)
        return True

    def replace_all(self, orders: Iterable[Dict[str, Any]], accounts: Iterable[Dict[str, Any]] = ()) -> None:
        """Every table emptied and `orders` and the customer `accounts` inserted, in one
        transaction: readers see the old data or the new, never a mix."""
        with self._transaction("orders"):
            for name in TABLES:
                self.db.execute(METADATA.tables[name].delete())
            self._insert_orders(orders)
            self._insert_customers(accounts)

    def _insert_customers(self, accounts: Iterable[Dict[str, Any]]) -> None:
        rows = list(accounts)
        if rows:
            self.db.execute(accounts_table.insert(), rows)

    def _insert_orders(self, new_orders: Iterable[Dict[str, Any]]) -> None:
        rows = [{**order, "items": json.dumps(order["items"])} for order in new_orders]
        if rows:
            self.db.execute(orders.insert(), rows)

    def update_order(self, order_id: str, changes: Mapping[str, Any]) -> bool:
        """A change made by the mall's other systems (the payment system marks an order
        paid, the shop corrects a phone number), as they would make it: one statement, no
        checks. The assistant's own changes go through cancel_and_reorder."""
        statement = orders.update().where(orders.c.order_id == str(order_id)).values(**changes)
        return self.db.execute(statement).rowcount == 1

    # -- reads ------------------------------------------------------------------------

    def get_order(self, order_id: str) -> Optional[Order]:
        row = self.db.first(_ORDER, {"order_id": str(order_id)})
        return Order.from_row(row) if row else None

    def _locked_order(self, order_id: str) -> Optional[Order]:
        """The order, its row locked until the transaction ends (PostgreSQL; SQLite's
        writer holds the whole file)."""
        row = self.db.first(_ORDER.with_for_update(), {"order_id": str(order_id)})
        return Order.from_row(row) if row else None

    def count_orders(self) -> int:
        return self.db.scalar(sa.select(sa.func.count()).select_from(orders))

    def all_orders(self) -> List[Order]:
        return [Order.from_row(row) for row in self.db.rows(sa.select(orders).order_by(orders.c.order_id))]

    def audit_trail(self) -> List[Dict[str, Any]]:
        """Every recorded change, oldest first, the states decoded."""
        return [
            {
                **row,
                "old_state": json.loads(row["old_state"]) if row["old_state"] else None,
                "new_state": json.loads(row["new_state"]),
            }
            for row in self.db.rows(sa.select(order_audit).order_by(order_audit.c.id))
        ]

    def _existing_order(self, order_id: str) -> Order:
        """An order this transaction has just written."""
        order = self.get_order(order_id)
        if order is None:
            raise LookupError(f"order {order_id} vanished inside its own transaction")
        return order

    def customer(self, customer_id: str) -> Optional[Customer]:
        row = self.db.first(sa.select(accounts_table).where(accounts_table.c.customer_id == str(customer_id)))
        return Customer(**row) if row else None

    def customers(self) -> List[Customer]:
        return [
            Customer(**row) for row in self.db.rows(sa.select(accounts_table).order_by(accounts_table.c.customer_id))
        ]

    def orders_of(self, customer: Customer) -> List[Order]:
        """All the customer's orders, newest first."""
        query = sa.select(orders).where(orders.c.phone == customer.phone)
        rows = self.db.rows(query.order_by(orders.c.created_at.desc(), orders.c.order_id))
        return [Order.from_row(row) for row in rows]

    def open_orders(self, customer: Customer) -> List[Order]:
        """The customer's orders that can still be changed, newest first."""
        query = sa.select(orders).where(
            orders.c.phone == customer.phone,
            orders.c.status.in_(list(OPEN_STATUSES)),
            orders.c.replaced_by.is_(None),
        )
        rows = self.db.rows(query.order_by(orders.c.created_at.desc(), orders.c.order_id))
        return [Order.from_row(row) for row in rows]

    def customer_order(self, customer: Customer, order_id: str) -> Optional[Order]:
        """The order, if it is this customer's (someone else's is as good as none)."""
        order = self.get_order(order_id)
        return order if order and customer.owns(order) else None

    def recent_failures(self, order_id: str) -> int:
        since = _iso(self._clock() - LOCK_WINDOW)
        return self.db.scalar(_RECENT_FAILURES, {"order_id": order_id, "since": since})

    def tries_left(self, sender_id: str, client: Optional[str] = None) -> int:
        """Failed checks this conversation may still have (0 also when its client has none left)."""
        since = _iso(self._clock() - LOCK_WINDOW)
        mine = self.db.scalar(_CONVERSATION_FAILURES, {"sender_id": sender_id, "since": since})
        if client and self._client_failures(client, since) >= CLIENT_FAILURE_LIMIT:
            return 0
        return max(0, TRIES_PER_CONVERSATION - mine)

    def _client_failures(self, client: str, since: str) -> int:
        return self.db.scalar(_CLIENT_FAILURES, {"client": client, "since": since})

    def _clients_failed_for(self, order_id: str, since: str) -> int:
        return self.db.scalar(_CLIENTS_FAILED_FOR, {"order_id": order_id, "since": since})

    def verify_owner(
        self,
        order_id: str,
        phone_tail: str,
        sender_id: str,
        client: Optional[str] = None,
        count_failure: bool = True,
    ) -> Verification:
        """Does `phone_tail` match the phone of order `order_id`? An unknown order fails
        exactly like a wrong tail. The limits above are checked first, and every failure is
        recorded, unless `count_failure` is off (a tail carried over from another order this
        conversation proved: no guess). One transaction: parallel guesses are counted one by
        one. `client` defaults to the conversation (then each conversation is its own client)."""
        client = client or f"conversation:{sender_id}"
        since = _iso(self._clock() - LOCK_WINDOW)
        # On PostgreSQL the counts are checked and the failure recorded under locks of the
        # conversation, the client and the order (there is no row to lock for a count).
        with self._transaction(
            f"guesses:conversation:{sender_id}", f"guesses:client:{client}", f"guesses:order:{order_id}"
        ):
            if not self.tries_left(sender_id, client):
                return Verification.TOO_MANY
            if self._clients_failed_for(str(order_id), since) >= LOCK_AFTER_CLIENTS:
                return Verification.LOCKED
            order = self.get_order(order_id)
            if order is not None and order.belongs_to(phone_tail):
                return Verification.VERIFIED
            if count_failure:
                self.db.execute(
                    failures.insert().values(
                        order_id=str(order_id), sender_id=sender_id, client=client, created_at=_iso(self._clock())
                    )
                )
        return Verification.NO_MATCH

    def tickets(self, status: Optional[str] = None) -> List[Dict[str, Any]]:
        """Newest first (ticket numbers count up, so they break ties within a second)."""
        query = sa.select(handoff_tickets).order_by(
            handoff_tickets.c.created_at.desc(), handoff_tickets.c.ticket_id.desc()
        )
        if status:
            query = query.where(handoff_tickets.c.status == status)
        return self.db.rows(query)

    def get_ticket(self, ticket_id: str) -> Optional[Dict[str, Any]]:
        return self.db.first(sa.select(handoff_tickets).where(handoff_tickets.c.ticket_id == ticket_id))

    # -- writes -----------------------------------------------------------------------

    def cancel_and_reorder(
        self,
        order_id: str,
        phone_tail: str,
        new_method: str,
        installments: int,
        conversation_id: str,
        customer_id: Optional[str] = None,
    ) -> ReorderResult:
        """Cancel an unpaid order and create the same order with a new payment method.

        Re-checks ownership (the phone tail, or the signed-in `customer_id`) and status
        inside the transaction. Safe to repeat: once the order has been replaced, every
        further call returns the existing replacement.
        """
        method = payment_method(new_method)
        if method is None:
            raise ValueError(f"unknown payment method {new_method!r}")
        if installments not in VALID_PLANS or (installments > 1 and not method.allows_installments):
            raise ValueError(f"{method.code} cannot be paid in {installments} installments")

        with self._transaction():
            order = self._locked_order(order_id)
            if order is None:
                return ReorderResult(ReorderOutcome.UNKNOWN_ORDER)
            customer = self.customer(customer_id) if customer_id else None
            if not (customer.owns(order) if customer else order.belongs_to(phone_tail)):
                return ReorderResult(ReorderOutcome.NOT_OWNER)
            if order.replaced_by:
                return ReorderResult(ReorderOutcome.ALREADY_REPLACED, order, self.get_order(order.replaced_by))
            if order.status != UNPAID:
                return ReorderResult(ReorderOutcome.NOT_UNPAID, order)

            now = _iso(self._clock())
            new_id = self._new_order_id()
            self.db.execute(
                orders.insert().values(
                    order_id=new_id,
                    phone=order.phone,
                    status=UNPAID,
                    payment_method=method.code,
                    installments=installments,
                    total=order.total,
                    items=json.dumps(list(order.items)),
                    replaced_by=None,
                    replaces=order.order_id,
                    created_at=now,
                    updated_at=now,
                )
            )
            _fault_point("new_order_inserted")
            self.db.execute(
                orders.update()
                .where(orders.c.order_id == order.order_id)
                .values(status=CANCELLED, replaced_by=new_id, updated_at=now)
            )
            _fault_point("old_order_cancelled")
            cancelled = self._existing_order(order.order_id)
            replacement = self._existing_order(new_id)
            self._audit(order.order_id, order.state(), cancelled.state(), conversation_id, now)
            self._audit(new_id, None, replacement.state(), conversation_id, now)
            _fault_point("before_commit")
        _fault_point("after_commit")
        return ReorderResult(ReorderOutcome.REORDERED, cancelled, replacement)

    def create_handoff_ticket(
        self,
        sender_id: str,
        reason: str,
        language: str,
        order_id: Optional[str] = None,
        requested_method: Optional[str] = None,
        transcript: Optional[List[Dict[str, Any]]] = None,
        claimed_order_id: Optional[str] = None,
        live: bool = False,
    ) -> str:
        """Open a ticket for the human agents and return its number; a conversation that has
        an open ticket already gets that one back (one open ticket per conversation).

        `order_id` is an order this conversation proved it owns; an order number it only
        mentioned goes in `claimed_order_id`. Only a canonical payment method is kept, and
        only what looks like an order number: whatever a customer typed is not a fact."""
        method = payment_method(requested_method)
        # One ticket at a time is numbered (and one open per conversation checked): on
        # PostgreSQL that is the "handoff_tickets" lock, there being no row to lock yet.
        with self._transaction("handoff_tickets"):
            existing = self.open_ticket(sender_id)
            if existing:
                if live and not existing["live"]:  # asked again now that agents are in
                    self.db.execute(
                        handoff_tickets.update()
                        .where(handoff_tickets.c.ticket_id == existing["ticket_id"])
                        .values(live=1)
                    )
                return existing["ticket_id"]
            now = self._clock()
            prefix = f"HT{now:%y%m%d}"
            issued_today = self.db.scalar(
                sa.select(sa.func.count())
                .select_from(handoff_tickets)
                .where(handoff_tickets.c.ticket_id.like(prefix + "%"))
            )
            ticket_id = f"{prefix}{issued_today + 1:04d}"
            self.db.execute(
                handoff_tickets.insert().values(
                    ticket_id=ticket_id,
                    order_id=_order_number(order_id),
                    claimed_order_id=_order_number(claimed_order_id) if not order_id else None,
                    sender_id=sender_id,
                    reason=reason,
                    status="open",
                    language=language,
                    requested_method=method.code if method else None,
                    transcript=json.dumps(transcript or [], ensure_ascii=False),
                    created_at=_iso(now),
                    closed_at=None,
                    live=int(live),
                    agent_joined_at=None,
                )
            )
        return ticket_id

    def open_ticket(self, sender_id: str) -> Optional[Dict[str, Any]]:
        """The conversation's open ticket, if it has one."""
        return self.db.first(
            sa.select(handoff_tickets)
            .where(handoff_tickets.c.sender_id == sender_id, handoff_tickets.c.status == "open")
            .order_by(handoff_tickets.c.created_at)
            .limit(1)
        )

    def close_ticket(self, ticket_id: str) -> bool:
        """Close an open ticket; False if it does not exist or was already closed."""
        return self._end_ticket(ticket_id, "closed")

    def cancel_ticket(self, ticket_id: str) -> bool:
        """The customer no longer wants an agent; False if the ticket was not open."""
        return self._end_ticket(ticket_id, "cancelled")

    def _end_ticket(self, ticket_id: str, status: str) -> bool:
        with self._transaction():
            ended = self.db.execute(
                handoff_tickets.update()
                .where(handoff_tickets.c.ticket_id == ticket_id, handoff_tickets.c.status == "open")
                .values(status=status, closed_at=_iso(self._clock()))
            ).rowcount
        return ended == 1

    def mark_agent_joined(self, ticket_id: str) -> None:
        """An agent replied: from now on the assistant keeps quiet in that conversation."""
        with self._transaction():
            self.db.execute(
                handoff_tickets.update()
                .where(handoff_tickets.c.ticket_id == ticket_id, handoff_tickets.c.agent_joined_at.is_(None))
                .values(agent_joined_at=_iso(self._clock()))
            )

    def queue_position(self, ticket_id: str) -> int:
        """1 for the next customer an agent will answer: open tickets waiting in the chat
        with no agent yet, oldest first."""
        ticket = self.get_ticket(ticket_id)
        if ticket is None:
            return 1
        tickets = handoff_tickets.c
        ahead = self.db.scalar(
            sa.select(sa.func.count())
            .select_from(handoff_tickets)
            .where(
                tickets.status == "open",
                tickets.live == 1,
                tickets.agent_joined_at.is_(None),
                sa.or_(
                    tickets.created_at < ticket["created_at"],
                    sa.and_(tickets.created_at == ticket["created_at"], tickets.ticket_id < ticket_id),
                ),
            )
        )
        return ahead + 1

    def record_nlu_miss(
        self, sender_id: str, text: str, kind: str, guesses: List[Tuple[str, float]], language: str
    ) -> None:
        """A message not understood (`kind` "fallback") or asked about ("clarification"),
        with the classifier's best guesses; phone numbers masked."""
        with self._transaction():
            self.db.execute(
                nlu_misses.insert().values(
                    sender_id=sender_id,
                    text=mask_phones_in_text(text),
                    kind=kind,
                    guesses=json.dumps([[name, round(confidence, 3)] for name, confidence in guesses]),
                    language=language,
                    created_at=_iso(self._clock()),
                )
            )

    def nlu_misses(self, since: Optional[datetime] = None) -> List[Dict[str, Any]]:
        query = sa.select(nlu_misses).order_by(nlu_misses.c.id)
        if since:
            query = query.where(nlu_misses.c.created_at >= _iso(since))
        return [{**row, "guesses": json.loads(row["guesses"] or "[]")} for row in self.db.rows(query)]

    def _new_order_id(self) -> str:
        """16 digits like the mall's: 52 + yymmdd + 8 random digits, unused so far."""
        while True:
            candidate = f"52{self._clock():%y%m%d}{secrets.randbelow(10**8):08d}"
            if self.get_order(candidate) is None:
                return candidate

    def _audit(
        self,
        order_id: str,
        old_state: Optional[Dict[str, Any]],
        new_state: Dict[str, Any],
        conversation_id: str,
        changed_at: str,
    ) -> None:
        self.db.execute(
            order_audit.insert().values(
                order_id=order_id,
                old_state=json.dumps(old_state) if old_state else None,
                new_state=json.dumps(new_state),
                conversation_id=conversation_id,
                changed_at=changed_at,
            )
        )


def _order_number(value: Optional[str]) -> Optional[str]:
    text = str(value or "").strip()
    return text if re.fullmatch(r"[0-9]{16}", text) else None


def _fault_point(stage: str) -> None:
    if os.environ.get(FAULT_STAGE_ENV) == stage:
        Path(os.environ[FAULT_MARKER_ENV]).touch()
        time.sleep(120)  # the test kills the process long before this ends
