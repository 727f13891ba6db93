"""The outbox as the dispatcher and `monitor alerts` see it: a narrow set of named operations.

    open_outbox_store(path) -> Outbox        the SQLite implementation (SqliteOutbox)

Every operation is its own committed transaction and is safe to call from several threads (one channel
worker each); a failure (locked, disk full, damaged) raises DatabaseError after rolling back, so a caller
never sees a half-made change. Another backend (PostgreSQL) implements the same Protocol; nothing behind
it leaks out but the value types of store/outbox.py.

The one ordering rule a backend must keep: reserve_attempt commits before the send and finish_attempt
after it, so a send whose outcome cannot be written is never made (reserve fails first), and a process
killed between the two leaves a reservation that mark_interrupted finds on the next start.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from monitor.models import AlertItem
from monitor.schedule.feed_health import FeedWarning
from monitor.store import outbox
from monitor.store.connection import DatabaseError, open_outbox
from monitor.store.outbox import AttemptRecord, DeliveryRow

__all__ = ["DatabaseError", "Outbox", "Reservation", "SqliteOutbox", "open_outbox_store"]


@dataclass(frozen=True)
class Reservation:
    """The attempt rows written before a send, one per delivery the message carries."""

    rows: tuple[DeliveryRow, ...]
    attempt_ids: tuple[int, ...]
    message_id: str
    started_at: datetime


class Outbox(Protocol):
    # reading
    def pending(self) -> list[DeliveryRow]: ...
    def disabled_channels(self) -> dict[str, tuple[str, str]]: ...
    def sent_times(self, channel: str, since: datetime) -> list[datetime]: ...
    def load_items(self, alert_ids: Iterable[str]) -> dict[str, AlertItem]: ...
    def load_feed_warning(self, warning_id: str) -> FeedWarning | None: ...
    def list_deliveries(self, *, failed_only: bool, limit: int = 200) -> list[DeliveryRow]: ...

    # scheduling
    def postpone(self, ids: Sequence[str], until: datetime, now: datetime) -> None: ...
    def assign_batch(self, ids: Sequence[str], batch_key: str, now: datetime) -> None: ...
    def fail_without_attempt(self, ids: Sequence[str], error: str, now: datetime) -> None: ...
    def requeue(self, ids: Sequence[str] | None, now: datetime) -> list[str]: ...

    # one attempt: reserve (committed) -> send -> finish (committed)
    def reserve_attempt(self, rows: Sequence[DeliveryRow], message_id: str, started: datetime) -> Reservation: ...
    def finish_attempt(
        self,
        reservation: Reservation,
        record: AttemptRecord,
        *,
        new_status: str,
        next_attempt_at: datetime | None,
        disable: tuple[str, str, str] | None = None,  # (channel, target, reason) on a 410
    ) -> None: ...
    def mark_interrupted(self) -> int: ...

    def close(self) -> None: ...


class SqliteOutbox:
    """Outbox on the monitor's SQLite file (WAL, 30 s busy timeout, shared with the pipeline)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn  # for tests and maintenance only; callers use the operations
        self._lock = threading.Lock()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with self.conn:  # commits, or rolls back and re-raises
                    yield self.conn
            except sqlite3.Error:
                if self.conn.in_transaction:  # a failed commit can leave it open
                    with suppress(sqlite3.Error):
                        self.conn.rollback()
                raise

    def pending(self) -> list[DeliveryRow]:
        with self._tx() as c:
            return outbox.pending_rows(c)

    def disabled_channels(self) -> dict[str, tuple[str, str]]:
        with self._tx() as c:
            return outbox.disabled_channels(c)

    def sent_times(self, channel: str, since: datetime) -> list[datetime]:
        with self._tx() as c:
            return outbox.sent_times(c, channel, since)

    def load_items(self, alert_ids: Iterable[str]) -> dict[str, AlertItem]:
        with self._tx() as c:
            return outbox.load_items(c, alert_ids)

    def load_feed_warning(self, warning_id: str) -> FeedWarning | None:
        with self._tx() as c:
            return outbox.load_feed_warning(c, warning_id)

    def list_deliveries(self, *, failed_only: bool, limit: int = 200) -> list[DeliveryRow]:
        with self._tx() as c:
            return outbox.list_deliveries(c, failed_only=failed_only, limit=limit)

    def postpone(self, ids: Sequence[str], until: datetime, now: datetime) -> None:
        with self._tx() as c:
            outbox.postpone(c, ids, until, now)

    def assign_batch(self, ids: Sequence[str], batch_key: str, now: datetime) -> None:
        with self._tx() as c:
            outbox.assign_batch(c, ids, batch_key, now)

    def fail_without_attempt(self, ids: Sequence[str], error: str, now: datetime) -> None:
        with self._tx() as c:
            outbox.fail_without_attempt(c, ids, error, now)

    def requeue(self, ids: Sequence[str] | None, now: datetime) -> list[str]:
        with self._tx() as c:
            return outbox.requeue(c, ids, now)

    def reserve_attempt(self, rows: Sequence[DeliveryRow], message_id: str, started: datetime) -> Reservation:
        with self._tx() as c:
            attempt_ids = outbox.reserve_attempts(c, rows, message_id, started)
        return Reservation(tuple(rows), attempt_ids, message_id, started)

    def finish_attempt(
        self,
        reservation: Reservation,
        record: AttemptRecord,
        *,
        new_status: str,
        next_attempt_at: datetime | None,
        disable: tuple[str, str, str] | None = None,
    ) -> None:
        with self._tx() as c:
            outbox.finish_attempts(
                c,
                reservation.rows,
                reservation.attempt_ids,
                record,
                new_status=new_status,
                next_attempt_at=next_attempt_at,
            )
            if disable is not None:
                outbox.disable_channel(c, *disable, record.finished_at)

    def mark_interrupted(self) -> int:
        with self._tx() as c:
            return outbox.mark_interrupted(c)

    def close(self) -> None:
        with self._lock:
            self.conn.close()


def open_outbox_store(path: Path) -> SqliteOutbox:
    conn = open_outbox(path)
    # In WAL mode NORMAL still makes every commit survive a killed process (only a power cut can undo the
    # last ones); it spares the fsync per commit that otherwise widens the send -> record window.
    conn.execute("PRAGMA synchronous = NORMAL")
    return SqliteOutbox(conn)
