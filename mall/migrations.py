"""The orders database's schema, as a list of migrations (sqlite-utils `Migrations`).

Opening a store applies what is pending, inside the store's write transaction, so two
processes starting together cannot both migrate. Add a change as a new function at the
end; never edit one that has shipped.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("mall.orders")
TABLES = ("orders", "handoff_tickets", "verification_failures", "order_audit", "nlu_misses", "customers")


@MIGRATIONS()
def initial_schema(db: Database) -> None:
    """Orders, tickets, failed ownership checks and the audit trail. Databases made before
    migrations existed already have some of it: what is there is kept, what is missing added."""
    schema: Dict[str, Tuple[Dict[str, Any], str]] = {
        "orders": (
            {
                "order_id": str,
                "phone": str,
                "status": str,
                "payment_method": str,
                "installments": int,
                "total": float,
                "items": str,
                "replaced_by": str,
                "replaces": str,
                "created_at": str,
                "updated_at": str,
            },
            "order_id",
        ),
        "handoff_tickets": (
            {
                "ticket_id": str,
                "order_id": str,
                "sender_id": str,
                "reason": str,
                "status": str,
                "language": str,
                "requested_method": str,
                "transcript": str,
                "created_at": str,
                "closed_at": str,
            },
            "ticket_id",
        ),
        "verification_failures": ({"id": int, "order_id": str, "sender_id": str, "created_at": str}, "id"),
        "order_audit": (
            {
                "id": int,
                "order_id": str,
                "old_state": str,
                "new_state": str,
                "conversation_id": str,
                "changed_at": str,
            },
            "id",
        ),
    }
    for name, (columns, pk) in schema.items():
        table = db.table(name)
        if not table.exists():
            table.create(columns, pk=pk, not_null={pk})
            continue
        for column, column_type in columns.items():
            if column not in table.columns_dict:
                table.add_column(column, column_type)
    db.table("verification_failures").create_index(["order_id", "created_at"], if_not_exists=True)
    db.table("order_audit").create_index(["order_id"], if_not_exists=True)


@MIGRATIONS()
def handoff_waiting(db: Database) -> None:
    """Tickets say what was verified and how the wait goes: `claimed_order_id` is an order
    number the customer gave without proving it is theirs (`order_id` holds only a verified
    one); `live` is 1 when the customer waits in the chat for an agent (the widget, during
    the agents' hours); `agent_joined_at` is when an agent first replied. A ticket's status
    is `open`, `closed` (by an agent) or `cancelled` (by the customer)."""
    tickets = db.table("handoff_tickets")
    for column, column_type in (("claimed_order_id", str), ("live", int), ("agent_joined_at", str)):
        if column not in tickets.columns_dict:
            tickets.add_column(column, column_type)
    tickets.create_index(["sender_id", "status"], if_not_exists=True)


@MIGRATIONS()
def nlu_misses(db: Database) -> None:
    """Messages the assistant did not understand, or was unsure about, for `make review`."""
    db.table("nlu_misses").create(
        {"id": int, "sender_id": str, "text": str, "kind": str, "guesses": str, "language": str, "created_at": str},
        pk="id",
        not_null={"text", "kind", "created_at"},
    )
    db.table("nlu_misses").create_index(["created_at"])


@MIGRATIONS()
def customers_and_guessing_limits(db: Database) -> None:
    """The mall's customer accounts (a customer owns the orders placed with their phone),
    and who guessed: a failed ownership check records a pseudonym of the client's network
    address (mall.store's limits)."""
    db.table("customers").create(
        {"customer_id": str, "phone": str, "name_zh": str, "name_en": str},
        pk="customer_id",
        not_null={"phone"},
    )
    db.table("customers").create_index(["phone"], unique=True)
    failures = db.table("verification_failures")
    if "client" not in failures.columns_dict:
        failures.add_column("client", str)
    failures.create_index(["sender_id", "created_at"], if_not_exists=True)
    failures.create_index(["client", "created_at"], if_not_exists=True)
