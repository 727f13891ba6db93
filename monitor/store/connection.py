"""Opening the database: read-write (pragmas, migrations), read-only, and what a failure means.

Every connection to the monitor's SQLite file is made here, so the pragmas and the busy timeout are the
same for the daemon, the dispatcher and the commands.
"""

from __future__ import annotations

import getpass
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from monitor.errors import MonitorError
from monitor.store.migrations import LATEST_VERSION, migrate, schema_version

BUSY_TIMEOUT_SECONDS = 30.0  # how long a write waits for another process's lock
LOW_SPACE_BYTES = 4 * 1024 * 1024
# What any database call raises (locked, full, damaged), for callers that report it and go on.
DatabaseError = sqlite3.Error
Connection = sqlite3.Connection  # what open_outbox hands the outbox's functions


_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def is_busy(exc: BaseException) -> bool:
    """Whether a database error is another connection holding the lock (worth waiting for), not a fault."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _BUSY_CODES  # extended codes carry the primary one in the low byte
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


class StoreError(MonitorError):
    """The database cannot be opened or written (locked, disk full, corrupt)."""


def disk_space_note(path: Path) -> str:
    """" (disk full: 12 kB free on /var/lib/monitor)" when that is the likely cause of a write error, else "".

    SQLite reports a full disk as "database or disk is full" only sometimes; creating the WAL or its
    shared-memory file on a full disk comes back as "disk I/O error". Free space tells them apart.
    """
    folder = path if path.is_dir() else path.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ""
    return f" (disk full: {free // 1024} kB free on {folder})" if free < LOW_SPACE_BYTES else ""


def access_note(path: Path) -> str:
    """Whether a failure to open or write `path` is a permission problem, and whose, for the error line."""
    folder = path.parent
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for this uid (a container's arbitrary uid)
        user = f"uid {os.getuid()}"
    if not folder.is_dir():
        return f" (no folder {folder})"
    if not os.access(folder, os.X_OK):
        return f" (permission problem: {user} cannot enter {folder})"
    if path.exists() and not os.access(path, os.R_OK):
        return f" (permission problem: {user} cannot read {path})"
    if path.exists() and not os.access(path, os.W_OK):
        return f" (permission problem: {user} can read but not write {path}; read commands still work)"
    if not os.access(folder, os.W_OK):
        return (f" (permission problem: {user} cannot write the folder {folder}, where SQLite keeps its "
                "-wal and -shm files; read commands still work)")
    return f" (not a permission problem: {user} can read and write {path} and its folder)"


def _note(exc: sqlite3.Error, path: Path) -> str:
    text = str(exc)
    if "unable to open" in text or "readonly" in text:
        return access_note(path)
    return disk_space_note(path)


def open_read_write(path: Path) -> sqlite_utils.Database:
    """The database at `path`, created or upgraded to the current schema; usable from any thread (callers
    serialise their use of it)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_SECONDS)
        db = sqlite_utils.Database(conn)
        db.execute("PRAGMA foreign_keys = ON")
        db.enable_wal()
        # WAL + NORMAL: a commit survives the process being killed (the promise kept here); only a power
        # cut can undo the last commits, which then re-run from the feed (its validators roll back
        # with them) and re-send at most an alert the receiver drops by its id. FULL would fsync
        # every article (pipeline 1.29x bare extraction with FULL, 1.25x with NORMAL: docs/benchmarks.md).
        db.execute("PRAGMA synchronous = NORMAL")
        migrate(db)
        return db
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open database {path}: {exc}{_note(exc, path)}") from None
    except OSError as exc:
        raise StoreError(f"cannot create database {path}: {exc.strerror}") from None


def open_read_only(path: Path) -> sqlite_utils.Database:
    """The database at `path` for reading only: nothing is created, migrated or written, so it works for
    a user who may read the file but not write it or its folder. Usable from any thread."""
    if not path.exists():
        raise StoreError(f"no database at {path}")
    try:
        conn = open_uri(path, "ro", BUSY_TIMEOUT_SECONDS, any_thread=True)
        version = schema_version(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open database {path}: {exc}{_note(exc, path)}") from None
    if version < LATEST_VERSION:
        conn.close()
        raise StoreError(f"database {path} has schema version {version}, this monitor needs {LATEST_VERSION}: "
                         "a command that writes (`monitor once`, `monitor run`) upgrades it")
    return sqlite_utils.Database(conn)


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Everything inside commits together or not at all; nested use becomes a savepoint.

    BEGIN IMMEDIATE takes the write lock up front (waiting on the busy timeout): a deferred BEGIN that
    reads and then writes fails at once with "database is locked" when another connection (the
    dispatcher, `monitor` commands) committed in between, and the busy timeout does not help there.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def open_uri(path: Path, mode: str, timeout: float, *, any_thread: bool = False) -> sqlite3.Connection:
    """A plain connection that neither creates nor migrates the file: mode "ro" or "rw". Safe on a
    database the daemon has open (WAL: readers and one writer coexist) and on one from a newer version."""
    conn = sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=timeout, check_same_thread=not any_thread)
    if mode != "ro":
        return conn
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        # A WAL reader needs the -shm index, which SQLite cannot create in a folder we may not write. With
        # no -wal file no writer is active, so the file as it is on disk is the whole database.
        if Path(f"{path}-wal").exists() or os.access(path.parent, os.W_OK):
            raise
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, timeout=timeout,
                           check_same_thread=not any_thread)


def open_outbox(path: Path) -> sqlite3.Connection:
    """A connection for the outbox's functions (the dispatcher, `monitor alerts`): the schema brought up
    to date, WAL, and a 30 s busy timeout, since the daemon's pipeline writes to the same file."""
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        migrate(sqlite_utils.Database(conn))
        return conn
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open database {path}: {exc}{disk_space_note(path)}") from None
