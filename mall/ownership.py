"""Proving an order is yours with the last four digits of its phone number, and the limits
that make guessing those digits (10,000 possibilities) cost the guesser first.

Within LOCK_WINDOW:
- a conversation gets TRIES_PER_CONVERSATION failed checks (a wrong tail, or an order
  number with no such order: both fail alike), counted here so a typed /restart, which
  clears every slot, gives no new ones;
- a client (a network address, whatever conversations it opens) gets CLIENT_FAILURE_LIMIT;
- only then does an order lock, once failed checks for it came from LOCK_AFTER_CLIENTS
  different clients: one guesser, however many conversations it opens, never locks the
  owner out, and a signed-in owner (mall.identity) is never asked for the tail at all.
At most (LOCK_AFTER_CLIENTS - 1) * CLIENT_FAILURE_LIMIT + 1 guesses reach one order in the
window before it locks.
"""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from typing import Optional

import sqlalchemy as sa

from mall.clock import Clock, iso
from mall.db import Database
from mall.migrations import verification_failures as failures
from mall.orders import Orders

TRIES_PER_CONVERSATION = 3
CLIENT_FAILURE_LIMIT = 6
LOCK_AFTER_CLIENTS = 5
LOCK_WINDOW = timedelta(hours=1)


class Verification(str, Enum):
    VERIFIED = "verified"
    NO_MATCH = "no_match"  # a wrong tail, or no such order: the same answer, or it tells which orders exist
    LOCKED = "locked"  # too many different clients failed for this order
    TOO_MANY = "too_many"  # this conversation or this client used up its tries


# Built once: SQLAlchemy's cache keys and coercions made building one cost more than running it.
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


class OwnershipChecks:
    def __init__(self, db: Database, clock: Clock, orders: Orders) -> None:
        self._db = db
        self._clock = clock
        self._orders = orders

    def _window_start(self) -> str:
        return iso(self._clock() - LOCK_WINDOW)

    def recent_failures(self, order_id: str) -> int:
        return self._db.scalar(_RECENT_FAILURES, {"order_id": order_id, "since": self._window_start()})

    def tries_left(self, sender_id: str, client: Optional[str] = None) -> int:
        """Failed checks this conversation may still have (0 also when its client has none left)."""
        since = self._window_start()
        mine = self._db.scalar(_CONVERSATION_FAILURES, {"sender_id": sender_id, "since": since})
        if client and self._db.scalar(_CLIENT_FAILURES, {"client": client, "since": since}) >= CLIENT_FAILURE_LIMIT:
            return 0
        return max(0, TRIES_PER_CONVERSATION - mine)

    def verify(
        self,
        order_id: str,
        phone_tail: str,
        sender_id: str,
        client: Optional[str] = None,
        count_failure: bool = True,
    ) -> Verification:
        """Does `phone_tail` match the phone of order `order_id`? An unknown order fails
        exactly like a wrong tail. The limits are checked first, and every failure is
        recorded, unless `count_failure` is off (a tail carried over from another order this
        conversation proved: no guess). One transaction: parallel guesses are counted one by
        one. `client` defaults to the conversation (then each conversation is its own client)."""
        client = client or f"conversation:{sender_id}"
        # On PostgreSQL the counts are checked and the failure recorded under locks of the
        # conversation, the client and the order (there is no row to lock for a count).
        with self._db.transaction(
            f"guesses:conversation:{sender_id}", f"guesses:client:{client}", f"guesses:order:{order_id}"
        ):
            if not self.tries_left(sender_id, client):
                return Verification.TOO_MANY
            clients = self._db.scalar(_CLIENTS_FAILED_FOR, {"order_id": str(order_id), "since": self._window_start()})
            if clients >= LOCK_AFTER_CLIENTS:
                return Verification.LOCKED
            order = self._orders.get(order_id)
            if order is not None and order.belongs_to(phone_tail):
                return Verification.VERIFIED
            if count_failure:
                self._db.execute(
                    failures.insert().values(
                        order_id=str(order_id), sender_id=sender_id, client=client, created_at=iso(self._clock())
                    )
                )
        return Verification.NO_MATCH
