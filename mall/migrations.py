"""The orders database's schema: the tables as the store reads and writes them, and the
ordered list of migrations that build them, the same on SQLite and PostgreSQL.

Opening a store applies what is pending, in one transaction that holds the "migrations" lock,
so two processes starting together cannot both migrate. Add a change as a new function at
the end (and its columns to the tables below); never edit one that has shipped.

The history is the one sqlite-utils kept before the store moved to SQLAlchemy: the same
migration names in the same ledger table (`_sqlite_migrations`, set "mall.orders"), so an
existing SQLite database opens with nothing pending and keeps its data.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Callable, Collection, Dict, Iterable, List, Mapping, Optional, Set, Tuple, Type, Union

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mall.db import Database

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
    sa.Column("agent_joined_at", sa.Text),
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
)
customers = sa.Table(
    "customers",
    METADATA,
    sa.Column("customer_id", sa.Text, primary_key=True),
    sa.Column("phone", sa.Text, nullable=False),
    sa.Column("name_zh", sa.Text),
    sa.Column("name_en", sa.Text),
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
# The order data (OrderStore.replace_all empties these); the plans are the mall's
# configuration, replaced only as a whole by mall.plans.
TABLES = ("orders", "handoff_tickets", "verification_failures", "order_audit", "nlu_misses", "customers")

# -- building them ------------------------------------------------------------------------

ColumnType = Union[Type[str], Type[int], Type[float]]
_TYPES: Dict[Any, Any] = {str: sa.Text, int: sa.Integer, float: sa.Float}  # as sqlite-utils mapped them


class Schema:
    """What a migration may do, in words both databases understand (sqlite-utils' names)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._quote = connection.dialect.identifier_preparer.quote

    def has_table(self, name: str) -> bool:
        return sa.inspect(self.connection).has_table(name)

    def columns(self, name: str) -> Set[str]:
        return {column["name"] for column in sa.inspect(self.connection).get_columns(name)}

    def create_table(
        self, name: str, columns: Mapping[str, ColumnType], pk: str, not_null: Collection[str] = ()
    ) -> None:
        sa.Table(
            name,
            sa.MetaData(),
            *(
                sa.Column(column, _TYPES[kind], primary_key=column == pk, nullable=column not in not_null)
                for column, kind in columns.items()
            ),
        ).create(self.connection)

    def add_column(self, table: str, column: str, kind: ColumnType) -> None:
        definition = sa.schema.CreateColumn(sa.Column(column, _TYPES[kind])).compile(dialect=self.connection.dialect)
        self.connection.execute(sa.text(f"ALTER TABLE {self._quote(table)} ADD COLUMN {definition}"))

    def create_index(self, table: str, columns: List[str], unique: bool = False) -> None:
        """Named as sqlite-utils named them, so an index it made is not made twice."""
        name = "_".join(["idx", table, *columns])
        listed = ", ".join(self._quote(column) for column in columns)
        self.connection.execute(
            sa.text(
                f"CREATE {'UNIQUE ' if unique else ''}INDEX IF NOT EXISTS {self._quote(name)} "
                f"ON {self._quote(table)} ({listed})"
            )
        )


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[Schema], None]


LEDGER = sa.Table(
    "_sqlite_migrations",  # the name sqlite-utils gave it: existing databases have their history there
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("migration_set", sa.Text),
    sa.Column("name", sa.Text),
    sa.Column("applied_at", sa.Text),
)


class Migrations:
    def __init__(self, name: str) -> None:
        self.name = name
        self._migrations: List[Migration] = []

    def __call__(self, name: Optional[str] = None) -> Callable[[Callable[[Schema], None]], Callable[[Schema], None]]:
        def register(function: Callable[[Schema], None]) -> Callable[[Schema], None]:
            self._migrations.append(Migration(name or function.__name__, function))
            return function

        return register

    @property
    def names(self) -> List[str]:
        return [migration.name for migration in self._migrations]

    def applied(self, database: Database) -> List[str]:
        """Names of the applied migrations, in the order they were applied."""
        with database.connection() as connection:
            return self._applied(connection)

    def _applied(self, connection: Connection) -> List[str]:
        if not sa.inspect(connection).has_table(LEDGER.name):
            return []
        query = sa.select(LEDGER.c.name).where(LEDGER.c.migration_set == self.name).order_by(LEDGER.c.id)
        return list(connection.execute(query).scalars())

    def pending(self, database: Database) -> List[str]:
        applied = set(self.applied(database))
        return [name for name in self.names if name not in applied]

    def apply(self, database: Database, stop_before: Optional[str] = None) -> None:
        """Apply what is pending, in order, up to (not including) `stop_before`."""
        with database.transaction("migrations:" + self.name) as connection:
            if not sa.inspect(connection).has_table(LEDGER.name):
                LEDGER.create(connection)
                Schema(connection).create_index(LEDGER.name, ["migration_set", "name"], unique=True)
            applied = set(self._applied(connection))
            if stop_before in applied:
                raise ValueError(f"cannot stop before {stop_before}: it is applied already")
            for migration in self._migrations:
                if migration.name == stop_before:
                    return
                if migration.name in applied:
                    continue
                migration.apply(Schema(connection))
                connection.execute(
                    LEDGER.insert().values(
                        migration_set=self.name,
                        name=migration.name,
                        applied_at=str(datetime.datetime.now(datetime.timezone.utc)),
                    )
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
