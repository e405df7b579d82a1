"""The orders database's schema: the tables as the store reads and writes them, and the
ordered list of migrations that build them, the same on SQLite and PostgreSQL (what a
migration may do, and the ledger of those applied: mall.migrator).

Opening a store applies what is pending. Add a change as a new function at the end (and its
columns to the tables below); never edit one that has shipped.
"""

from __future__ import annotations

from typing import Dict, Iterable, Tuple

import sqlalchemy as sa

from mall.migrator import ColumnType, Migrations, Schema

# -- the tables as the code uses them (what the migrations below add up to) ------------------

METADATA = sa.MetaData()

orders = sa.Table(
    "orders",
    METADATA,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("phone", sa.Text),
    sa.Column("status", sa.Text),
    sa.Column("payment_method", sa.Text),
    sa.Column("installments", sa.Integer),
    sa.Column("total", sa.Float),
    sa.Column("items", sa.Text),  # JSON list of {"name", "quantity"}
    sa.Column("replaced_by", sa.Text),
    sa.Column("replaces", sa.Text),
    sa.Column("created_at", sa.Text),
    sa.Column("updated_at", sa.Text),
)
handoff_tickets = sa.Table(
    "handoff_tickets",
    METADATA,
    sa.Column("ticket_id", sa.Text, primary_key=True),
    sa.Column("order_id", sa.Text),
    sa.Column("sender_id", sa.Text),
    sa.Column("reason", sa.Text),
    sa.Column("status", sa.Text),
    sa.Column("language", sa.Text),
    sa.Column("requested_method", sa.Text),
    sa.Column("transcript", sa.Text),
    sa.Column("created_at", sa.Text),
    sa.Column("closed_at", sa.Text),
    sa.Column("claimed_order_id", sa.Text),
    sa.Column("live", sa.Integer),
    sa.Column("agent_joined_at", sa.Text),  # the first response: when an agent first replied
    # The helpdesk (migration `helpdesk`): who has it, who ended it, who the customer is,
    # the ticket before it, and what the customer has been told of the wait.
    sa.Column("assigned_to", sa.Text),  # agents.name; NULL: in the queue
    sa.Column("assigned_at", sa.Text),  # the latest assignment (claim, transfer, automatic)
    sa.Column("closed_by", sa.Text),  # agents.name of the agent who closed it; NULL otherwise
    sa.Column("close_reason", sa.Text),  # mall.tickets.CloseReason
    sa.Column("customer_id", sa.Text),  # the signed-in customer, or the account owning the proved order
    sa.Column("previous_ticket_id", sa.Text),  # the same customer's ticket within RETURNING_CUSTOMER_DAYS
    sa.Column("last_customer_message_at", sa.Text),  # while waiting or talking with an agent
    sa.Column("last_agent_message_at", sa.Text),
    sa.Column("told_position", sa.Integer),  # the place in the queue the customer was last told
    sa.Column("told_agent", sa.Text),  # the agent the customer was last told has joined
)
verification_failures = sa.Table(
    "verification_failures",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.Text),
    sa.Column("sender_id", sa.Text),
    sa.Column("created_at", sa.Text),
    sa.Column("client", sa.Text),  # a pseudonym of the guesser's network address
)
order_audit = sa.Table(
    "order_audit",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.Text),
    sa.Column("old_state", sa.Text),
    sa.Column("new_state", sa.Text),
    sa.Column("conversation_id", sa.Text),
    sa.Column("changed_at", sa.Text),
)
nlu_misses = sa.Table(
    "nlu_misses",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("guesses", sa.Text),
    sa.Column("language", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
    # A supervisor's label (migration `nlu_miss_labels`): the intent the message should have
    # been, given to every row of the same `normalised` text at once (mall.labelling).
    sa.Column("normalised", sa.Text),  # the text with its whitespace collapsed (mall.misses.normalised)
    sa.Column("label", sa.Text),  # an intent of the domain; NULL: not labelled, still to review
    sa.Column("labelled_by", sa.Text),  # agents.name
    sa.Column("labelled_at", sa.Text),
)
customers = sa.Table(
    "customers",
    METADATA,
    sa.Column("customer_id", sa.Text, primary_key=True),
    sa.Column("phone", sa.Text, nullable=False),
    sa.Column("name_zh", sa.Text),
    sa.Column("name_en", sa.Text),
)
agents = sa.Table(
    "agents",
    METADATA,
    sa.Column("name", sa.Text, primary_key=True),  # what an agent signs in with
    sa.Column("display_name", sa.Text, nullable=False),  # what customers (zh) and colleagues see
    sa.Column("display_name_en", sa.Text),  # what English-speaking customers see; NULL: display_name
    sa.Column("role", sa.Text, nullable=False),  # mall.agents.AgentRole
    sa.Column("password_hash", sa.Text, nullable=False),  # argon2id
    sa.Column("disabled", sa.Integer, nullable=False),
    sa.Column("session_version", sa.Integer, nullable=False),  # bumped to end every session at once
    sa.Column("last_seen_at", sa.Text),  # a console tab of theirs was open then (presence)
    sa.Column("created_at", sa.Text, nullable=False),
)
canned_replies = sa.Table(
    "canned_replies",
    METADATA,
    sa.Column("name", sa.Text, primary_key=True),  # typed after "/" in the reply box
    sa.Column("text_zh", sa.Text, nullable=False),
    sa.Column("text_en", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Text, nullable=False),
    sa.Column("updated_by", sa.Text, nullable=False),
)
ticket_notes = sa.Table(
    "ticket_notes",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ticket_id", sa.Text, nullable=False),
    sa.Column("author", sa.Text, nullable=False),  # agents.name
    sa.Column("text", sa.Text, nullable=False),  # phones masked; never sent to the customer
    sa.Column("created_at", sa.Text, nullable=False),
)
helpdesk_audit = sa.Table(
    "helpdesk_audit",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),  # agents.name, or mall.audit's SYSTEM / CUSTOMER / COMMAND_LINE
    sa.Column("action", sa.Text, nullable=False),  # mall.audit.AuditAction
    sa.Column("ticket_id", sa.Text),
    sa.Column("subject", sa.Text),  # the agent or canned reply acted on
    sa.Column("detail", sa.Text),  # phones masked
)
# The mall's installment plans (mall.plans): a fee rate per method and number of periods,
# and interest-free offers per item. Rates are exact decimal text ("0.075"): SQLite has no
# exact decimal type, and a binary float is not the rate the mall wrote.
installment_plans = sa.Table(
    "installment_plans",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("periods", sa.Integer, nullable=False),
    sa.Column("rate", sa.Text, nullable=False),  # over the whole plan, a fraction of the price
)
installment_offers = sa.Table(
    "installment_offers",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("item", sa.Text, nullable=False),  # an item's name as orders list it
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("periods", sa.Integer, nullable=False),
)
# What mall.demo's reset empties (agents, canned replies and the audit trail are kept; the
# plans are the mall's configuration, replaced only as a whole by mall.plans).
TABLES = (
    "orders",
    "ticket_notes",
    "handoff_tickets",
    "verification_failures",
    "order_audit",
    "nlu_misses",
    "customers",
)

MIGRATIONS = Migrations("mall.orders")

# -- the migrations, oldest first ------------------------------------------------------------


@MIGRATIONS()
def initial_schema(schema: Schema) -> None:
    """Orders, tickets, failed ownership checks and the audit trail. Databases made before
    migrations existed already have some of it: what is there is kept, what is missing added."""
    tables: Dict[str, Tuple[Dict[str, ColumnType], str]] = {
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
    for name, (columns, pk) in tables.items():
        if not schema.has_table(name):
            schema.create_table(name, columns, pk=pk, not_null={pk})
            continue
        present = schema.columns(name)
        for column, column_type in columns.items():
            if column not in present:
                schema.add_column(name, column, column_type)
    schema.create_index("verification_failures", ["order_id", "created_at"])
    schema.create_index("order_audit", ["order_id"])


@MIGRATIONS()
def handoff_waiting(schema: Schema) -> None:
    """Tickets say what was verified and how the wait goes: `claimed_order_id` is an order
    number the customer gave without proving it is theirs (`order_id` holds only a verified
    one); `live` is 1 when the customer waits in the chat for an agent (the widget, during
    the agents' hours); `agent_joined_at` is when an agent first replied. A ticket's status
    is `open`, `closed` (by an agent) or `cancelled` (by the customer)."""
    present = schema.columns("handoff_tickets")
    columns: Iterable[Tuple[str, ColumnType]] = (("claimed_order_id", str), ("live", int), ("agent_joined_at", str))
    for column, column_type in columns:
        if column not in present:
            schema.add_column("handoff_tickets", column, column_type)
    schema.create_index("handoff_tickets", ["sender_id", "status"])


@MIGRATIONS(name="nlu_misses")  # (the function's name is the table's, above)
def nlu_misses_table(schema: Schema) -> None:
    """Messages the assistant did not understand, or was unsure about, for `make review`."""
    schema.create_table(
        "nlu_misses",
        {"id": int, "sender_id": str, "text": str, "kind": str, "guesses": str, "language": str, "created_at": str},
        pk="id",
        not_null={"text", "kind", "created_at"},
    )
    schema.create_index("nlu_misses", ["created_at"])


@MIGRATIONS()
def customers_and_guessing_limits(schema: Schema) -> None:
    """The mall's customer accounts (a customer owns the orders placed with their phone),
    and who guessed: a failed ownership check records a pseudonym of the client's network
    address (mall.store's limits)."""
    schema.create_table(
        "customers",
        {"customer_id": str, "phone": str, "name_zh": str, "name_en": str},
        pk="customer_id",
        not_null={"customer_id", "phone"},
    )
    schema.create_index("customers", ["phone"], unique=True)
    if "client" not in schema.columns("verification_failures"):
        schema.add_column("verification_failures", "client", str)
    schema.create_index("verification_failures", ["sender_id", "created_at"])
    schema.create_index("verification_failures", ["client", "created_at"])


@MIGRATIONS()
def installment_plans_and_offers(schema: Schema) -> None:
    """The installment plans as data (issue 20): the fee rate of each method and number of
    periods, and the items that are interest-free with a method over some periods. Empty
    here: the mall loads its plans (python -m mall.plans load), the demo seeds its own."""
    schema.create_table(
        "installment_plans",
        {"id": int, "method": str, "periods": int, "rate": str},
        pk="id",
        not_null={"method", "periods", "rate"},
    )
    schema.create_index("installment_plans", ["method", "periods"], unique=True)
    schema.create_table(
        "installment_offers",
        {"id": int, "item": str, "method": str, "periods": int},
        pk="id",
        not_null={"item", "method", "periods"},
    )
    schema.create_index("installment_offers", ["item", "method", "periods"], unique=True)


@MIGRATIONS()
def helpdesk(schema: Schema) -> None:
    """Agents with their own accounts, assignment, canned replies, notes and the audit trail
    of what agents do (issue 21). A ticket's times, for the figures of a later dashboard:
    first response = agent_joined_at - created_at; handling = closed_at - assigned_at (the
    latest assignment); waiting in the queue = assigned_at - created_at for a ticket never
    transferred (helpdesk_audit has every assignment)."""
    schema.create_table(
        "agents",
        {
            "name": str,
            "display_name": str,
            "display_name_en": str,
            "role": str,
            "password_hash": str,
            "disabled": int,
            "session_version": int,
            "last_seen_at": str,
            "created_at": str,
        },
        pk="name",
        not_null={"name", "display_name", "role", "password_hash", "disabled", "session_version", "created_at"},
    )
    schema.create_table(
        "canned_replies",
        {"name": str, "text_zh": str, "text_en": str, "updated_at": str, "updated_by": str},
        pk="name",
        not_null={"name", "text_zh", "text_en", "updated_at", "updated_by"},
    )
    schema.create_table(
        "ticket_notes",
        {"id": int, "ticket_id": str, "author": str, "text": str, "created_at": str},
        pk="id",
        not_null={"ticket_id", "author", "text", "created_at"},
    )
    schema.create_index("ticket_notes", ["ticket_id"])
    schema.create_table(
        "helpdesk_audit",
        {"id": int, "at": str, "actor": str, "action": str, "ticket_id": str, "subject": str, "detail": str},
        pk="id",
        not_null={"at", "actor", "action"},
    )
    schema.create_index("helpdesk_audit", ["ticket_id"])
    columns: Iterable[Tuple[str, ColumnType]] = (
        ("assigned_to", str),
        ("assigned_at", str),
        ("closed_by", str),
        ("close_reason", str),
        ("customer_id", str),
        ("previous_ticket_id", str),
        ("last_customer_message_at", str),
        ("last_agent_message_at", str),
        ("told_position", int),
        ("told_agent", str),
    )
    for column, column_type in columns:
        schema.add_column("handoff_tickets", column, column_type)
    schema.create_index("handoff_tickets", ["status", "assigned_to"])
    schema.create_index("handoff_tickets", ["customer_id", "created_at"])


@MIGRATIONS()
def nlu_miss_labels(schema: Schema) -> None:
    """Misses labelled in the console's review (issue 22): the intent a supervisor gave a
    missed message, who and when. A label is given to a text, so every row carries its text
    normalised as the review groups it (whitespace collapsed, as mall.misses.normalised did
    when this was written: a migration keeps its own copy of the rule), filled in here for
    the rows already there."""
    for column in ("normalised", "label", "labelled_by", "labelled_at"):
        schema.add_column("nlu_misses", column, str)
    table = sa.table("nlu_misses", sa.column("id"), sa.column("text"), sa.column("normalised"))
    for row in schema.connection.execute(sa.select(table.c.id, table.c.text)).mappings().all():
        collapsed = " ".join(str(row["text"]).split())
        schema.connection.execute(table.update().where(table.c.id == row["id"]).values(normalised=collapsed))
    schema.create_index("nlu_misses", ["normalised"])
