"""A psycopg connection behind the sqlite3.Connection calls the SQLite modules make, so that their statements
(store/outbox.py, store/reads.py) run on PostgreSQL unchanged: "?" placeholders become "%s", and a psycopg
error becomes a PostgresError, which is a sqlite3.Error, the DatabaseError every caller already handles
(a dispatcher pauses, the ops endpoint reports the database unreadable) whatever the backend.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, cast

import psycopg
from psycopg_pool import ConnectionPool

Conn = psycopg.Connection[tuple[Any, ...]]
Cursor = psycopg.Cursor[tuple[Any, ...]]


class PostgresError(sqlite3.OperationalError):
    """PostgreSQL refused an operation (connection lost, a claim held elsewhere)."""


def placeholders(statement: str) -> str:
    return statement.replace("%", "%%").replace("?", "%s")


class QmarkConnection:
    """execute / executemany / close / `with` (one transaction) as on sqlite3.Connection."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Cursor:
        try:
            return self.conn.execute(placeholders(statement), list(params))
        except psycopg.Error as exc:
            raise PostgresError(f"{type(exc).__name__}: {exc}".strip()) from exc

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        try:
            cur = self.conn.cursor()
            cur.executemany(placeholders(statement), [list(r) for r in rows])
            return cur
        except psycopg.Error as exc:
            raise PostgresError(f"{type(exc).__name__}: {exc}".strip()) from exc

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> QmarkConnection:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if exc_type is None:
                self.conn.commit()
            else:
                self.conn.rollback()
        except psycopg.Error as error:
            raise PostgresError(f"{type(error).__name__}: {error}".strip()) from error


def is_postgres(conn: object) -> bool:
    """Whether a connection typed as sqlite3.Connection is one of these."""
    return isinstance(conn, QmarkConnection)


def psycopg_of(conn: sqlite3.Connection) -> Conn:
    """The psycopg connection behind one of these (for the PostgreSQL-only statements: search)."""
    assert isinstance(conn, QmarkConnection), "not a PostgreSQL connection"
    return conn.conn


def as_sqlite(conn: Conn) -> sqlite3.Connection:
    """`conn` typed as what the SQLite modules' functions take."""
    return cast(sqlite3.Connection, QmarkConnection(conn))


def connect(url: str, timeout: float, *, read_only: bool = False, autocommit: bool = False) -> sqlite3.Connection:
    """A connection of its own, as the SQLite readers open one per request. Not autocommit unless asked:
    `with` or close() ends its transaction; in autocommit (the desk's, as its SQLite one) each statement
    commits unless an explicit BEGIN opened a transaction."""
    options = {"options": "-c default_transaction_read_only=on"} if read_only else {}
    try:
        conn = psycopg.connect(url, connect_timeout=max(1, int(timeout)), autocommit=autocommit,
                               **options)  # type: ignore[arg-type]
    except psycopg.Error as exc:
        raise PostgresError(f"{type(exc).__name__}: {exc}".strip()) from exc
    return as_sqlite(conn)


class QmarkPool:
    """Autocommit connections from a pool, each handed out as one of these: for a server answering many short
    requests (the desk), where a new PostgreSQL connection per request costs a server process each time.
    Opened at its first use; a connection the server dropped is replaced when handed out."""

    def __init__(self, url: str, max_size: int = 4, timeout: float = 5.0) -> None:
        self._pool: ConnectionPool[Conn] = ConnectionPool(
            url, min_size=1, max_size=max_size, open=False, timeout=timeout, kwargs={"autocommit": True},
            check=ConnectionPool.check_connection,
        )
        self._lock = threading.Lock()
        self._open = False

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if not self._open:
                self._pool.open(wait=False)
                self._open = True
        try:
            with self._pool.connection() as conn:
                yield as_sqlite(conn)
        except psycopg.Error as exc:  # the server unreachable within the timeout (PoolTimeout) included
            raise PostgresError(f"{type(exc).__name__}: {exc}".strip()) from exc

    def close(self) -> None:
        with self._lock:
            if self._open:
                self._pool.close()
                self._open = False
