"""Orders and the customer accounts that own them: reads, and the one change the assistant
makes (cancel an unpaid order and place it again with another payment method).

Every change runs in one transaction that locks and re-reads the order it is about to change
(mall.db), so two conversations racing on one order, on one Rasa instance or two, or a
customer saying "yes" twice, never apply a change twice. Every change is recorded in
`order_audit`.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from enum import Enum
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import sqlalchemy as sa

from mall.catalog import CANCELLED, OPEN_STATUSES, PAID_IN_FULL, UNPAID, payment_method
from mall.clock import Clock, iso
from mall.db import Database
from mall.migrations import customers as accounts
from mall.migrations import order_audit, orders
from mall.plans import InstallmentPlans


class ReorderOutcome(str, Enum):
    REORDERED = "reordered"
    ALREADY_REPLACED = "already_replaced"  # a repeated or late "yes": nothing new created
    NOT_UNPAID = "not_unpaid"  # e.g. paid between the lookup and the "yes"
    NOT_OWNER = "not_owner"
    UNKNOWN_ORDER = "unknown_order"
    PLAN_NOT_OFFERED = "plan_not_offered"  # the mall withdrew the plan after it was chosen


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
    def from_row(cls, row: Mapping[str, Any]) -> Order:
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

    @property
    def item(self) -> Optional[str]:
        """The one item the order is of (an interest-free offer is for an item), None when
        it holds different items."""
        names = {" ".join(str(item.get("name", "")).split()) for item in self.items}
        return names.pop() if len(names) == 1 else None

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


# Built once: building a statement costs more than running it.
_ORDER = sa.select(orders).where(orders.c.order_id == sa.bindparam("order_id"))


class Orders:
    def __init__(self, db: Database, clock: Clock, plans: InstallmentPlans) -> None:
        self._db = db
        self._clock = clock
        self._plans = plans  # which plans the mall offers, checked inside each change

    # -- reads ------------------------------------------------------------------------------

    def get(self, order_id: str) -> Optional[Order]:
        row = self._db.first(_ORDER, {"order_id": str(order_id)})
        return Order.from_row(row) if row else None

    def count(self) -> int:
        return self._db.scalar(sa.select(sa.func.count()).select_from(orders))

    def customer(self, customer_id: str) -> Optional[Customer]:
        row = self._db.first(sa.select(accounts).where(accounts.c.customer_id == str(customer_id)))
        return Customer(**row) if row else None

    def customers(self) -> List[Customer]:
        return [Customer(**row) for row in self._db.rows(sa.select(accounts).order_by(accounts.c.customer_id))]

    def of(self, customer: Customer) -> List[Order]:
        """All the customer's orders, newest first."""
        return self._newest_first(sa.select(orders).where(orders.c.phone == customer.phone))

    def open_of(self, customer: Customer) -> List[Order]:
        """The customer's orders that can still be changed, newest first."""
        query = sa.select(orders).where(
            orders.c.phone == customer.phone,
            orders.c.status.in_(list(OPEN_STATUSES)),
            orders.c.replaced_by.is_(None),
        )
        return self._newest_first(query)

    def owned_by(self, customer: Customer, order_id: str) -> Optional[Order]:
        """The order, if it is this customer's (someone else's is as good as none)."""
        order = self.get(order_id)
        return order if order and customer.owns(order) else None

    def owner(self, order: Order) -> Optional[Customer]:
        """The account the order was placed with, if the mall has one for its phone."""
        row = self._db.first(sa.select(accounts).where(accounts.c.phone == order.phone))
        return Customer(**row) if row else None

    def _newest_first(self, query: Any) -> List[Order]:
        rows = self._db.rows(query.order_by(orders.c.created_at.desc(), orders.c.order_id))
        return [Order.from_row(row) for row in rows]

    def audit_trail(self) -> List[Dict[str, Any]]:
        """Every recorded change, oldest first, the states decoded."""
        return [
            {
                **row,
                "old_state": json.loads(row["old_state"]) if row["old_state"] else None,
                "new_state": json.loads(row["new_state"]),
            }
            for row in self._db.rows(sa.select(order_audit).order_by(order_audit.c.id))
        ]

    # -- writes -----------------------------------------------------------------------------

    def insert(self, new_orders: Iterable[Dict[str, Any]], new_accounts: Iterable[Dict[str, Any]] = ()) -> None:
        """Orders (`items` as a list) and customer accounts as they are given."""
        rows = [{**order, "items": json.dumps(order["items"])} for order in new_orders]
        if rows:
            self._db.execute(orders.insert(), rows)
        account_rows = list(new_accounts)
        if account_rows:
            self._db.execute(accounts.insert(), account_rows)

    def has_customers(self) -> bool:
        return bool(self._db.scalar(sa.select(sa.func.count()).select_from(accounts)))

    def update(self, order_id: str, changes: Mapping[str, Any]) -> bool:
        """A change made by the mall's other systems (the payment system marks an order
        paid, the shop corrects a phone number), as they would make it: one statement, no
        checks. The assistant's own changes go through cancel_and_reorder."""
        statement = orders.update().where(orders.c.order_id == str(order_id)).values(**changes)
        return self._db.execute(statement).rowcount == 1

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

        Re-checks ownership (the phone tail, or the signed-in `customer_id`), status and
        that the mall still offers the plan (mall.plans: it may have loaded new plans since
        the customer chose) inside the transaction. Safe to repeat: once the order has been
        replaced, every further call returns the existing replacement.
        """
        method = payment_method(new_method)
        if method is None:
            raise ValueError(f"unknown payment method {new_method!r}")

        with self._db.transaction():
            order = self._locked(order_id)
            if order is None:
                return ReorderResult(ReorderOutcome.UNKNOWN_ORDER)
            customer = self.customer(customer_id) if customer_id else None
            if not (customer.owns(order) if customer else order.belongs_to(phone_tail)):
                return ReorderResult(ReorderOutcome.NOT_OWNER)
            if order.replaced_by:
                return ReorderResult(ReorderOutcome.ALREADY_REPLACED, order, self.get(order.replaced_by))
            if order.status != UNPAID:
                return ReorderResult(ReorderOutcome.NOT_UNPAID, order)
            if installments != PAID_IN_FULL and self._plans.rate(method.code, installments) is None:
                return ReorderResult(ReorderOutcome.PLAN_NOT_OFFERED, order)
            cancelled, replacement = self._replace(order, method.code, installments, conversation_id)
        return ReorderResult(ReorderOutcome.REORDERED, cancelled, replacement)

    def _replace(self, order: Order, method: str, installments: int, conversation_id: str) -> Tuple[Order, Order]:
        """Inside cancel_and_reorder's transaction: the new order, the old one cancelled,
        both changes audited."""
        now = iso(self._clock())
        new_id = self._new_order_id()
        self._db.execute(
            orders.insert().values(
                order_id=new_id,
                phone=order.phone,
                status=UNPAID,
                payment_method=method,
                installments=installments,
                total=order.total,
                items=json.dumps(list(order.items)),
                replaced_by=None,
                replaces=order.order_id,
                created_at=now,
                updated_at=now,
            )
        )
        self._db.execute(
            orders.update()
            .where(orders.c.order_id == order.order_id)
            .values(status=CANCELLED, replaced_by=new_id, updated_at=now)
        )
        cancelled, replacement = self._written(order.order_id), self._written(new_id)
        self._audit(order.order_id, order.state(), cancelled.state(), conversation_id, now)
        self._audit(new_id, None, replacement.state(), conversation_id, now)
        return cancelled, replacement

    def _locked(self, order_id: str) -> Optional[Order]:
        """The order, its row locked until the transaction ends (PostgreSQL; SQLite's
        writer holds the whole file)."""
        row = self._db.first(_ORDER.with_for_update(), {"order_id": str(order_id)})
        return Order.from_row(row) if row else None

    def _written(self, order_id: str) -> Order:
        """An order this transaction has just written."""
        order = self.get(order_id)
        if order is None:
            raise LookupError(f"order {order_id} vanished inside its own transaction")
        return order

    def _new_order_id(self) -> str:
        """16 digits like the mall's: 52 + yymmdd + 8 random digits, unused so far."""
        while True:
            candidate = f"52{self._clock():%y%m%d}{secrets.randbelow(10**8):08d}"
            if self.get(candidate) is None:
                return candidate

    def _audit(
        self,
        order_id: str,
        old_state: Optional[Dict[str, Any]],
        new_state: Dict[str, Any],
        conversation_id: str,
        changed_at: str,
    ) -> None:
        self._db.execute(
            order_audit.insert().values(
                order_id=order_id,
                old_state=json.dumps(old_state) if old_state else None,
                new_state=json.dumps(new_state),
                conversation_id=conversation_id,
                changed_at=changed_at,
            )
        )
