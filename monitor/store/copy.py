"""`monitor db copy`: every row of one store copied into another, SQLite -> PostgreSQL or back.

Both ends are opened through the store, so the destination's migrations have run before a row is written.
The source is read in one snapshot (a read transaction), each table in primary-key order in batches; each
batch is written in its own transaction with ON CONFLICT DO NOTHING, so a copy that stops half way is
completed by running it again: the rows already there are skipped, none is doubled. Only the columns both
schemas have are copied. At the end the row counts of every copied table are compared.

Not copied:
    search_docs, articles_fts   the search index: its layout differs between backends; rebuilt on the
                                destination from the copied articles (`rebuild_search_index`)
    host_slots, host_politeness, ops_heartbeat, feeds.lease_until/leased_by
                                runtime state of the running workers (slots, leases, liveness), which a
                                new worker recreates
    schema_migrations           each database's own migration record
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from monitor.store.connection import StoreError
from monitor.store.database import Store
from monitor.store.opening import open_store

BATCH_ROWS = 500


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]  # the primary key: the order rows are read in, and what a re-run skips on
    replace: bool = False  # the destination's migrations already wrote the row: take the source's values


# In dependency order: a row's foreign keys point at tables copied before it.
TABLES = (
    Table("feeds", ("url",)),
    Table("articles", ("id",)),
    Table("decisions", ("article_id",)),
    Table("feed_warnings", ("id",)),
    Table("alerts", ("id",)),
    Table("alert_also_published", ("article_id", "copy_article_id")),
    Table("deliveries", ("id",)),
    Table("delivery_attempts", ("id",)),
    Table("channel_state", ("channel",)),
    Table("page_retries", ("article_id",)),
    Table("corpus_docs", ("seq",)),
    Table("corpus_fingerprints", ("fp", "seq")),
    Table("corpus_fp_df", ("fp",)),
    Table("corpus_common", ("fp",)),
    Table("stories", ("id",)),
    Table("story_members", ("article_id",)),
    Table("story_df_log", ("seq",)),
    Table("story_df", ("term",)),
    Table("story_docs", ("id",), replace=True),
    Table("desk_feedback", ("article_id", "topic", "user")),
    Table("desk_reads", ("user", "alert_id")),
)
RUNTIME_COLUMNS = {"feeds": frozenset({"lease_until", "leased_by"})}
# PostgreSQL's generated keys: their sequences are moved past the copied rows, or the next insert collides.
SERIAL_KEYS = (("delivery_attempts", "id"), ("corpus_docs", "seq"))


@dataclass
class TableCopy:
    name: str
    source_rows: int
    destination_rows: int = 0
    written: int = 0  # rows this run wrote (a re-run writes only the missing ones)


@dataclass
class CopyReport:
    tables: list[TableCopy] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (table, why)
    search_indexed: int = 0

    @property
    def mismatched(self) -> list[TableCopy]:
        return [t for t in self.tables if t.source_rows != t.destination_rows]


class CopyError(StoreError):
    """The copy cannot start, or cannot go on (the message says why)."""


class _Side(Protocol):
    store: Store
    placeholder: str

    def tables(self) -> set[str]: ...
    def columns(self, table: str) -> list[str]: ...
    def rows(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]: ...
    def write(self, statement: str, rows: Sequence[Sequence[Any]]) -> int: ...
    def snapshot(self) -> AbstractContextManager[None]: ...
    def finish(self) -> None: ...


class _SqliteSide:
    placeholder = "?"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn: sqlite3.Connection = store.db.conn

    def tables(self) -> set[str]:
        return {str(r[0]) for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def columns(self, table: str) -> list[str]:
        return [str(r[1]) for r in self.conn.execute(f'PRAGMA table_info("{table}")')]

    def rows(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.conn.execute(statement, list(params))]

    def write(self, statement: str, rows: Sequence[Sequence[Any]]) -> int:
        """Rows inserted (those skipped as already there are not counted)."""
        with self.store.transaction() as db:
            return int(db.conn.executemany(statement, rows).rowcount)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self.store.lock:
            self.conn.execute("BEGIN")  # a WAL reader's snapshot: a daemon writing meanwhile is not seen
            try:
                yield
            finally:
                self.conn.rollback()

    def finish(self) -> None:
        pass


class _PostgresSide:
    placeholder = "%s"

    def __init__(self, store: Store) -> None:
        self.store = store
        self._connection: Callable[[], AbstractContextManager[Any]] = store._connection  # type: ignore[attr-defined]

    def tables(self) -> set[str]:
        return {str(r[0]) for r in self.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()", [])}

    def columns(self, table: str) -> list[str]:
        return [str(r[0]) for r in self.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = %s ORDER BY ordinal_position", [table])]

    def rows(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._connection() as conn:
            return [tuple(r) for r in conn.execute(statement, list(params)).fetchall()]

    def write(self, statement: str, rows: Sequence[Sequence[Any]]) -> int:
        with self._connection() as conn, conn.cursor() as cur:
            cur.executemany(statement, [list(r) for r in rows])
            return int(cur.rowcount)  # psycopg sums the rows of every statement

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self._connection() as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield

    def finish(self) -> None:
        present = self.tables()
        for table, column in SERIAL_KEYS:
            if table in present:
                self.rows(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                          f" COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)", [])


def is_postgres(location: str) -> bool:
    """A PostgreSQL URL (or libpq key=value string) rather than a SQLite file's path."""
    return location.startswith(("postgresql://", "postgres://")) or "dbname=" in location


def _open(location: str, *, read_only: bool) -> _Side:
    if is_postgres(location):
        return _PostgresSide(open_store(Path(), location, read_only=read_only))
    if read_only and not Path(location).exists():
        raise CopyError(f"no database at {location}")
    return _SqliteSide(open_store(Path(location), read_only=read_only))


def _driver_errors() -> tuple[type[Exception], ...]:
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)
    try:
        import psycopg
    except ImportError:  # a SQLite-only install
        return errors
    return (*errors, psycopg.Error)


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _count(side: _Side, table: str) -> int:
    return int(side.rows(f'SELECT count(*) FROM "{table}"', [])[0][0])


def _foreign_keys(source: _Side, destination: _Side, table: Table) -> int:
    """How many of the destination's rows of `table` the source does not have."""
    key = table.key[0]
    missing, after = 0, None
    while True:
        where = f' WHERE "{key}" > {destination.placeholder}' if after is not None else ""
        keys = [r[0] for r in destination.rows(
            f'SELECT "{key}" FROM "{table.name}"{where} ORDER BY "{key}" LIMIT {BATCH_ROWS}',
            [] if after is None else [after])]
        if not keys:
            return missing
        marks = ", ".join(source.placeholder for _ in keys)
        found = source.rows(f'SELECT count(*) FROM "{table.name}" WHERE "{key}" IN ({marks})', keys)
        missing += len(keys) - int(found[0][0])
        after = keys[-1]


def _copy_table(source: _Side, destination: _Side, table: Table, columns: list[str], done: TableCopy,
                on_progress: Callable[[str, int, int], None] | None) -> None:
    key = list(table.key)
    positions = [columns.index(k) for k in key]
    order = _quoted(key)
    src, dst = source.placeholder, destination.placeholder
    if table.replace:
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key)
        conflict = f"ON CONFLICT ({order}) DO UPDATE SET {updates}" if updates else "ON CONFLICT DO NOTHING"
    else:
        conflict = "ON CONFLICT DO NOTHING"
    insert = (f'INSERT INTO "{table.name}" ({_quoted(columns)}) VALUES ({", ".join(dst for _ in columns)})'
              f" {conflict}")
    read = f'SELECT {_quoted(columns)} FROM "{table.name}"'
    after: list[Any] | None = None
    copied = 0
    while True:
        where = f" WHERE ({order}) > ({', '.join(src for _ in key)})" if after is not None else ""
        batch = source.rows(f"{read}{where} ORDER BY {order} LIMIT {BATCH_ROWS}", after or [])
        if not batch:
            return
        written = destination.write(insert, batch)
        if not table.replace:  # an upsert counts the rows it refreshed too
            done.written += written
        copied += len(batch)
        after = [batch[-1][p] for p in positions]
        if on_progress is not None:
            on_progress(table.name, copied, done.source_rows)


def copy_database(source_location: str, destination_location: str,
                  on_progress: Callable[[str, int, int], None] | None = None) -> CopyReport:
    """Copy every table of TABLES from the source store into the destination (see the module doc).

    on_progress(table, rows done, rows in the source's table) is called after each batch is committed.
    Raises CopyError when the destination holds another database's data; a database error as it is.
    """
    if source_location == destination_location:
        raise CopyError("SRC and DEST are the same database")
    source = _open(source_location, read_only=True)
    try:
        destination = _open(destination_location, read_only=False)
    except BaseException:
        source.store.close()
        raise
    try:
        return _copy(source, destination, on_progress)
    except _driver_errors() as exc:
        raise CopyError(f"{exc} (the batches written so far are kept: fix the cause and run the same copy "
                        "again)") from None
    finally:
        source.store.close()
        destination.store.close()


def _copy(source: _Side, destination: _Side, on_progress: Callable[[str, int, int], None] | None) -> CopyReport:
    report = CopyReport()
    in_source, in_destination = source.tables(), destination.tables()
    with source.snapshot():
        for table in TABLES[:2]:  # feeds and articles: another monitor's rows would be mixed with these
            if table.name in in_source and table.name in in_destination:
                foreign = _foreign_keys(source, destination, table)
                if foreign:
                    raise CopyError(
                        f"the destination already holds {foreign} {table.name} rows that the source does not "
                        "have: it is another monitor's database. Copy into an empty database (a re-run into a "
                        "partial copy of this source is fine)")
        for table in TABLES:
            if table.name not in in_source or table.name not in in_destination:
                side = "source" if table.name not in in_source else "destination"
                report.skipped.append((table.name, f"not in the {side}'s schema"))
                continue
            runtime = RUNTIME_COLUMNS.get(table.name, frozenset())
            theirs = set(destination.columns(table.name))
            columns = [c for c in source.columns(table.name) if c in theirs and c not in runtime]
            done = TableCopy(table.name, _count(source, table.name))
            report.tables.append(done)
            if on_progress is not None:
                on_progress(table.name, 0, done.source_rows)
            _copy_table(source, destination, table, columns, done, on_progress)
        destination.finish()
        report.search_indexed = destination.store.rebuild_search_index()
        for done in report.tables:
            done.destination_rows = _count(destination, done.name)
    return report
