"""How the orders database's schema is changed: what a migration may do, in words both
SQLite and PostgreSQL understand, and the ledger of the migrations applied (mall.migrations
lists them).

Applying what is pending is one transaction that holds the "migrations" lock, so two
processes starting together cannot both migrate. The ledger is the one sqlite-utils kept
before the store moved to SQLAlchemy: the same migration names in the same table
(`_sqlite_migrations`), so an existing SQLite database opens with nothing pending.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Callable, Collection, Dict, List, Mapping, Optional, Set, Type, Union

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mall.db import Database

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
