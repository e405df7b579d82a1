"""The orders database (a SQLite file, or PostgreSQL when DATABASE_URL is set), opened once
and used through its parts, each a concept of its own:

- `orders`: orders, the customer accounts that own them, and cancel-and-reorder (mall.orders);
- `ownership`: proving an order is yours, and the guessing limits (mall.ownership);
- `tickets`: handoff tickets for the human agents (mall.tickets);
- `misses`: messages the assistant did not understand, for review (mall.misses), and
  `labelling`: a supervisor's label makes one a training example (mall.labelling);
- `plans`: the installment plans on offer, their fees and interest-free offers (mall.plans);
- the helpdesk: `agents` (accounts and presence, mall.agents), `assignment` (who has a
  ticket, the queue, mall.assignment), `notes` (mall.notes), `canned` (canned replies,
  mall.canned), `history` (finding ended tickets, mall.ticket_search) and `audit` (what
  agents did, mall.audit).

The same code runs on both databases (SQLAlchemy Core, mall.db). Opening a store brings its
schema up to date (mall.migrations); the demo orders are loaded only by mall.demo.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable

import sqlalchemy as sa

from mall.agents import Agents
from mall.assignment import Assignment
from mall.audit import HelpdeskAudit
from mall.canned import CannedReplies
from mall.clock import Clock, utc_now
from mall.db import Database, Location
from mall.labelling import Labelling
from mall.migrations import METADATA, MIGRATIONS, TABLES
from mall.misses import NluMisses
from mall.notes import TicketNotes
from mall.orders import Orders
from mall.ownership import OwnershipChecks
from mall.plans import InstallmentPlans
from mall.ticket_search import TicketSearch
from mall.tickets import Tickets


class OrderStore:
    """A small pool of connections (mall.db); safe to share between the action server's
    requests. `location`: a SQLite file's path, or a database URL."""

    def __init__(self, location: Location, clock: Clock = utc_now):
        self.db = Database(location)
        self.path = self.db.path  # the SQLite file; None on PostgreSQL
        MIGRATIONS.apply(self.db)
        self.plans = InstallmentPlans(self.db)
        self.orders = Orders(self.db, clock, self.plans)
        self.ownership = OwnershipChecks(self.db, clock, self.orders)
        self.audit = HelpdeskAudit(self.db, clock)
        self.tickets = Tickets(self.db, clock, self.audit)
        self.misses = NluMisses(self.db, clock)
        self.labelling = Labelling(self.db, self.misses, self.audit)
        self.agents = Agents(self.db, clock, self.audit)
        self.notes = TicketNotes(self.db, clock, self.audit)
        self.assignment = Assignment(self.db, clock, self.tickets, self.agents, self.notes, self.audit)
        self.canned = CannedReplies(self.db, clock, self.audit)
        self.history = TicketSearch(self.db)

    def close(self) -> None:
        self.db.dispose()

    def seed_if_empty(self, orders: Iterable[Dict[str, Any]], accounts: Iterable[Dict[str, Any]] = ()) -> bool:
        """Insert `orders` (`items` as a list) if there are none yet, and the customer
        `accounts` if there are none yet; True if it inserted the orders. Atomic: of two
        processes seeding at once, one inserts and the other sees it."""
        with self.db.transaction("orders"):
            if not self.orders.has_customers():
                self.orders.insert((), accounts)
            if self.orders.count():
                return False
            self.orders.insert(orders)
        return True

    def replace_all(self, orders: Iterable[Dict[str, Any]], accounts: Iterable[Dict[str, Any]] = ()) -> None:
        """Every table emptied and `orders` and the customer `accounts` inserted, in one
        transaction: readers see the old data or the new, never a mix."""
        with self.db.transaction("orders"):
            for name in TABLES:
                self.db.execute(METADATA.tables[name].delete())
            self.orders.insert(orders, accounts)

    def count_rows(self, table: str) -> int:
        return self.db.scalar(sa.select(sa.func.count()).select_from(METADATA.tables[table]))
