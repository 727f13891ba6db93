"""The Outbox (store/outbox_store.py) on PostgreSQL, for dispatchers in several worker processes at once.

Digests and rate limits are decided per channel from what the channel has sent and holds pending, so a
channel must be dispatched by one worker at a time. Each channel is claimed with a session advisory lock
(pg_try_advisory_lock) on this outbox's own connection:
    pending()          returns the pending rows of the channels this worker holds, claiming every channel
                       with pending rows that no other worker holds, and letting go of the ones it holds
                       that have nothing pending any more (so another worker may take them next time).
    reserve_attempt    runs on the same connection, checks the channel is still held and its rows still
                       pending (FOR UPDATE), and commits the "sending" rows before the send, as on SQLite.
A worker that dies (kill -9, machine lost) ends its session and the server frees its locks at once; the
next worker to claim the channel marks the dead worker's "sending" rows interrupted and sends them again
with the same message id. A connection that breaks loses its locks with it: the outbox reconnects on the
next call and claims again, and a reservation for a channel it no longer holds fails (nothing is sent).

Statements shared with the SQLite outbox (store/outbox.py) run through store/postgres/qmark.py; the three
that differ in SQL (reserve, disable, interrupted marks) are here.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any

import psycopg

from monitor.models import AlertItem
from monitor.schedule.feed_health import FeedWarning
from monitor.store import outbox
from monitor.store.outbox import AttemptRecord, DeliveryRow
from monitor.store.outbox_store import Reservation
from monitor.store.postgres.locks import lock_key
from monitor.store.postgres.qmark import PostgresError, as_sqlite
from monitor.store.times import format_time

log = logging.getLogger("monitor.deliver")

Conn = psycopg.Connection[tuple[Any, ...]]
CONNECT_TIMEOUT_SECONDS = 10


def _channel_lock(channel: str) -> int:
    return lock_key(f"deliver:{channel}")


class PostgresOutbox:
    """The outbox of the PostgreSQL database at `url` (see the module doc). Thread-safe: the dispatcher's
    channel threads share its one connection, one operation at a time."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()
        self._conn: Conn | None = None
        self._held: set[str] = set()  # channels whose lock this outbox's current session holds

    # --- connection and channel claims ----------------------------------------------------------------

    def _connection(self) -> Conn:
        if self._conn is not None and (self._conn.closed or self._conn.broken):
            self._drop()
        if self._conn is None:
            self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS)
        return self._conn

    def _drop(self) -> None:
        """Forget a broken session: its locks went with it."""
        if self._conn is not None:
            with suppress(psycopg.Error):
                self._conn.close()
        self._conn = None
        self._held.clear()

    @contextmanager
    def _tx(self) -> Iterator[Conn]:
        with self._lock:
            try:
                conn = self._connection()
                with conn.transaction():
                    yield conn
            except (psycopg.Error, PostgresError) as exc:
                if self._conn is not None and (self._conn.closed or self._conn.broken):
                    self._drop()
                if isinstance(exc, PostgresError):
                    raise
                raise PostgresError(f"{type(exc).__name__}: {exc}".strip()) from exc

    def _sqlite_style(self, conn: Conn) -> sqlite3.Connection:
        return as_sqlite(conn)

    def _claim(self, conn: Conn, channel: str) -> bool:
        """Hold the channel's lock (True), or False when another worker holds it. On a new claim, the
        attempts left "sending" by the channel's previous holder are marked interrupted."""
        if channel in self._held:
            return True
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", [_channel_lock(channel)]).fetchone()
        if not (row and row[0]):
            return False
        self._held.add(channel)
        interrupted = conn.execute(
            "UPDATE delivery_attempts SET result = %s, error = %s WHERE result = %s AND delivery_id IN"
            " (SELECT id FROM deliveries WHERE channel = %s)",
            [outbox.INTERRUPTED, "stopped between sending and recording; sent again with the same message id",
             outbox.SENDING, channel],
        ).rowcount
        if interrupted:
            log.warning("channel %s: %d deliveries were interrupted between send and record (a worker stopped);"
                        " sending them again", channel, interrupted)
        return True

    def _release(self, conn: Conn, channel: str) -> None:
        conn.execute("SELECT pg_advisory_unlock(%s)", [_channel_lock(channel)])
        self._held.discard(channel)

    def held_channels(self) -> set[str]:
        with self._lock:
            return set(self._held)

    # --- reading ----------------------------------------------------------------------------------------

    def pending(self) -> list[DeliveryRow]:
        with self._tx() as conn:
            rows = outbox.pending_rows(self._sqlite_style(conn))
            waiting = {r.channel for r in rows}
            for channel in sorted(self._held - waiting):
                self._release(conn, channel)
            mine = {channel for channel in sorted(waiting) if self._claim(conn, channel)}
        return [r for r in rows if r.channel in mine]

    def disabled_channels(self) -> dict[str, tuple[str, str]]:
        with self._tx() as conn:
            return outbox.disabled_channels(self._sqlite_style(conn))

    def sent_times(self, channel: str, since: datetime) -> list[datetime]:
        with self._tx() as conn:
            return outbox.sent_times(self._sqlite_style(conn), channel, since)

    def load_items(self, alert_ids: Iterable[str]) -> dict[str, AlertItem]:
        with self._tx() as conn:
            return outbox.load_items(self._sqlite_style(conn), alert_ids)

    def load_feed_warning(self, warning_id: str) -> FeedWarning | None:
        with self._tx() as conn:
            return outbox.load_feed_warning(self._sqlite_style(conn), warning_id)

    def list_deliveries(self, *, failed_only: bool, limit: int = 200) -> list[DeliveryRow]:
        with self._tx() as conn:
            return outbox.list_deliveries(self._sqlite_style(conn), failed_only=failed_only, limit=limit)

    # --- scheduling -------------------------------------------------------------------------------------

    def postpone(self, ids: Sequence[str], until: datetime, now: datetime) -> None:
        with self._tx() as conn:
            outbox.postpone(self._sqlite_style(conn), ids, until, now)

    def assign_batch(self, ids: Sequence[str], batch_key: str, now: datetime) -> None:
        with self._tx() as conn:
            outbox.assign_batch(self._sqlite_style(conn), ids, batch_key, now)

    def fail_without_attempt(self, ids: Sequence[str], error: str, now: datetime) -> None:
        with self._tx() as conn:
            outbox.fail_without_attempt(self._sqlite_style(conn), ids, error, now)

    def requeue(self, ids: Sequence[str] | None, now: datetime) -> list[str]:
        with self._tx() as conn:
            return outbox.requeue(self._sqlite_style(conn), ids, now)

    # --- one attempt ------------------------------------------------------------------------------------

    def reserve_attempt(self, rows: Sequence[DeliveryRow], message_id: str, started: datetime) -> Reservation:
        """The "sending" rows, committed; fails (nothing to send) unless this worker holds the channel and
        every row is still pending with the attempt count it was read with."""
        with self._tx() as conn:
            for channel in sorted({r.channel for r in rows}):
                if not self._claim(conn, channel):
                    raise PostgresError(f"channel {channel} is being delivered by another worker")
            current = dict(conn.execute(
                "SELECT id, attempts FROM deliveries WHERE id = ANY(%s) AND state = 'pending' FOR UPDATE",
                [[r.id for r in rows]],
            ).fetchall())
            changed = [r.id for r in rows if current.get(r.id) != r.attempts]
            if changed:
                raise PostgresError(f"deliveries changed by another worker meanwhile: {changed}")
            stamp = format_time(started)
            attempt_ids = []
            for r in rows:
                found = conn.execute(
                    "INSERT INTO delivery_attempts (delivery_id, message_id, attempt, started_at, finished_at,"
                    " result, duration_ms) VALUES (%s, %s, %s, %s, %s, %s, 0) RETURNING id",
                    [r.id, message_id, r.attempts + 1, stamp, stamp, outbox.SENDING],
                ).fetchone()
                assert found is not None
                attempt_ids.append(int(found[0]))
        return Reservation(tuple(rows), tuple(attempt_ids), message_id, started)

    def finish_attempt(
        self,
        reservation: Reservation,
        record: AttemptRecord,
        *,
        new_status: str,
        next_attempt_at: datetime | None,
        disable: tuple[str, str, str] | None = None,
    ) -> None:
        with self._tx() as conn:
            outbox.finish_attempts(
                self._sqlite_style(conn),
                reservation.rows,
                reservation.attempt_ids,
                record,
                new_status=new_status,
                next_attempt_at=next_attempt_at,
            )
            if disable is not None:
                channel, target, reason = disable
                conn.execute(
                    "INSERT INTO channel_state (channel, target, disabled_at, reason) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (channel) DO UPDATE SET target = excluded.target,"
                    " disabled_at = excluded.disabled_at, reason = excluded.reason",
                    [channel, target, format_time(record.finished_at), reason],
                )

    def mark_interrupted(self) -> int:
        """Nothing to do at start: a channel's interrupted attempts are marked when a worker claims it."""
        return 0

    def close(self) -> None:
        with self._lock:
            self._drop()
