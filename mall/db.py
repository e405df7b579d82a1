"""The databases of the assistant, SQLite files or PostgreSQL: one way to open them, one way
to write (SQLAlchemy Core, so the same statements run on both).

The order store and the conversation log both use this. A write is one transaction
(`Database.transaction`) that sees nothing change under what it checked:

- SQLite takes the file's write lock before the first read (`BEGIN IMMEDIATE`), so writers
  of every process run one at a time;
- PostgreSQL runs writers side by side; a writer locks the rows it is about to change
  (`SELECT … FOR UPDATE`, `with_for_update()`, which SQLite's dialect leaves out since the
  whole file is locked already), and what has no row to lock yet (the next ticket number,
  the first demo orders, a migration) takes a named lock for the transaction
  (`transaction("name")`: `pg_advisory_xact_lock`).

Reads inside a transaction see its own writes: a store's read helpers run on the open
transaction of the calling thread (or task) if there is one, else outside any transaction
(each statement on its own): on SQLite on a connection the thread keeps (checking one out
and beginning costed more than the read), on PostgreSQL on one checked out of the pool and
pinged first, so that after a restart of the database the next read simply reconnects.
"""

from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

from mall import settings

BUSY_TIMEOUT_SECONDS = 15
_WRITE = "mall_write"  # execution option: this connection's transaction writes

Location = Union[str, Path]


def url_of(location: Location) -> str:
    """A database URL for a location: a URL is kept, a path is a SQLite file."""
    text = str(location)
    return text if "://" in text else f"sqlite:///{Path(text).resolve()}"


def lock_key(name: str) -> int:
    """A stable 64-bit key for a named lock (Python's hash() differs between processes)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


class Database:
    """An engine (a small pool of connections) shared by the threads of a process."""

    def __init__(self, location: Location) -> None:
        self.url = url_of(location)
        parsed = sa.engine.make_url(self.url)
        self.display_name = str(self.path_or_url(parsed))
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.path: Optional[Path] = Path(parsed.database) if self.is_sqlite and parsed.database else None
        self._current: ContextVar[Optional[Connection]] = ContextVar(f"transaction-{id(self)}", default=None)
        self._readers = threading.local()  # SQLite: each thread's connection for reads
        self._held: List[Connection] = []
        self._held_lock = threading.Lock()
        self._upserts: Dict[Tuple[Any, ...], Any] = {}
        if self.is_sqlite:
            self.engine = self._sqlite_engine()
        else:
            # pre_ping: after a restart of the database the pool's old connections are
            # replaced before use, so the first message after an outage does not fail.
            self.engine = sa.create_engine(
                self.url,
                future=True,
                pool_size=settings.DATABASE_POOL_SIZE,
                max_overflow=settings.DATABASE_POOL_OVERFLOW,
                pool_pre_ping=True,
                connect_args={"connect_timeout": settings.DATABASE_CONNECT_TIMEOUT_SECONDS},
            )

    @staticmethod
    def path_or_url(parsed: sa.engine.URL) -> Union[str, Path]:
        """What to show of a location: the file, or the URL without its password."""
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            return Path(parsed.database)
        return parsed.render_as_string(hide_password=True)

    def _sqlite_engine(self) -> Engine:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            self.url,
            future=True,
            poolclass=QueuePool,  # SQLAlchemy 1.4 opens a new file connection per use otherwise
            pool_size=settings.DATABASE_POOL_SIZE,
            max_overflow=settings.DATABASE_POOL_OVERFLOW,
            connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def configure(dbapi_connection: Any, _: Any) -> None:
            # The driver's own BEGIN (deferred, only before writes) is switched off: the
            # transaction is begun below, the way it must be.
            dbapi_connection.isolation_level = None
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
                dbapi_connection.execute(f"PRAGMA {pragma}")

        @event.listens_for(engine, "begin")
        def begin(connection: Connection) -> None:
            # A writer holds the write lock from its first read on. A reader runs each
            # statement on its own (as the driver would), which costs no BEGIN and ROLLBACK.
            if connection.get_execution_options().get(_WRITE):
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine

    @contextmanager
    def transaction(self, *locks: str) -> Iterator[Connection]:
        """All or nothing. Inside an open transaction of the same thread, joins it.
        `locks`: names that only one transaction at a time may hold (PostgreSQL; on SQLite
        every writer holds the whole file already)."""
        current = self._current.get()
        if current is not None:
            self._take(current, locks)
            yield current
            return
        with self.engine.connect() as connection:
            connection.execution_options(**{_WRITE: True})
            with connection.begin():
                self._take(connection, locks)
                token = self._current.set(connection)
                try:
                    yield connection
                finally:
                    self._current.reset(token)

    def _take(self, connection: Connection, locks: Sequence[str]) -> None:
        if self.is_sqlite:
            return
        for name in sorted(locks):  # always in the same order: two transactions never wait on each other
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """For reads: the open transaction of this thread if there is one, else a
        connection of its own."""
        current = self._current.get()
        if current is not None:
            yield current
        elif self.is_sqlite:
            yield self._reader()
        else:
            with self.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT")  # no BEGIN/ROLLBACK round trips
                yield connection

    def _reader(self) -> Connection:
        reader = getattr(self._readers, "connection", None)
        if reader is None:
            reader = self._readers.connection = self.engine.connect()
            with self._held_lock:
                self._held.append(reader)
        return reader

    # -- reading helpers -------------------------------------------------------------------

    def rows(self, statement: Any, params: Optional[Mapping[str, Any]] = None) -> List[Dict[str, Any]]:
        with self.connection() as connection:
            return [dict(row) for row in connection.execute(statement, params or {}).mappings()]

    def first(self, statement: Any, params: Optional[Mapping[str, Any]] = None) -> Optional[Dict[str, Any]]:
        with self.connection() as connection:
            row = connection.execute(statement, params or {}).mappings().first()
            return dict(row) if row is not None else None

    def scalar(self, statement: Any, params: Optional[Mapping[str, Any]] = None) -> Any:
        with self.connection() as connection:
            return connection.execute(statement, params or {}).scalar()

    # -- writing helpers -------------------------------------------------------------------

    def upsert(self, table: sa.Table, values: Mapping[str, Any], key: Sequence[str], update: Sequence[str]) -> Any:
        """INSERT … ON CONFLICT (key) DO UPDATE SET update = new values (both dialects have it)."""
        cache_key = (table.name, tuple(values), tuple(key), tuple(update))
        statement = self._upserts.get(cache_key)
        if statement is None:
            # As text, written once: SQLAlchemy 1.4 gives its dialects' on_conflict_do_update()
            # no cache key, so it compiled that statement again on every execution.
            quote = self.engine.dialect.identifier_preparer.quote
            columns = ", ".join(quote(name) for name in values)
            placeholders = ", ".join(f":{name}" for name in values)
            assignments = ", ".join(f"{quote(name)} = excluded.{quote(name)}" for name in update)
            statement = self._upserts[cache_key] = sa.text(
                f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({placeholders}) "
                f"ON CONFLICT ({', '.join(quote(name) for name in key)}) DO UPDATE SET {assignments}"
            )
        with self.transaction() as connection:
            return connection.execute(statement, dict(values))

    def execute(self, statement: Any, params: Any = None) -> Any:
        """A write statement on the open transaction (or in one of its own)."""
        with self.transaction() as connection:
            return connection.execute(statement, params) if params is not None else connection.execute(statement)

    def dispose(self) -> None:
        with self._held_lock:
            for reader in self._held:
                reader.close()
            self._held.clear()
        self._readers = threading.local()
        self.engine.dispose()
