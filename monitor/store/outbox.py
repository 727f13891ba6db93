"""The alert outbox in SQLite: alerts, one delivery per (alert, channel), every attempt, channel state.

The tables are made by the store's migrations. Used by the pipeline (through the Store):
    enqueue(db, alert, channel_names) -> bool          no commit: runs in the caller's transaction
    record_also_published(db, alert_article_id, article_id, source, url) -> None     no commit
The rest (row queries and state changes) is for the dispatcher and `monitor alerts`.

Nothing here commits: callers own their transactions, so an alert is stored atomically with the decision
that raised it, and a delivery's outcome atomically with its attempt row.

Times are stored in the one format of store/times.py (`ts` here), whose string order is time order, so
`next_attempt_at <= ?` works in SQL.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from monitor.models import Alert, AlertItem, AlsoPublished, Evidence
from monitor.schedule.feed_health import FeedWarning
from monitor.store.times import format_time as ts
from monitor.store.times import parse_time as parse_ts

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


class _HasConn(Protocol):
    @property
    def conn(self) -> sqlite3.Connection: ...


DB = sqlite3.Connection | _HasConn



def _conn(db: DB) -> sqlite3.Connection:
    return db if isinstance(db, sqlite3.Connection) else db.conn


def delivery_id(alert_id: str, channel: str) -> str:
    return f"{alert_id}:{channel}"


def enqueue(db: DB, alert: Alert, channel_names: Sequence[str]) -> bool:
    """Store `alert` and one pending delivery per channel. False (and no change) if the alert id exists."""
    conn = _conn(db)
    evidence = json.dumps(
        [
            {"group": e.group, "term": e.term, "matched": e.matched, "start": e.start, "sentence": e.sentence}
            for e in alert.evidence
        ],
        ensure_ascii=False,
    )
    cur = conn.execute(
        "INSERT OR IGNORE INTO alerts (id, article_id, topic, score, threshold, reason, evidence, title, url,"
        " source, published, snippet, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            alert.alert_id,
            alert.article_id,
            alert.topic,
            alert.score,
            alert.threshold,
            alert.reason,
            evidence,
            alert.title,
            alert.url,
            alert.source,
            ts(alert.published) if alert.published else None,
            alert.snippet,
            ts(alert.created_at),
        ),
    )
    if cur.rowcount == 0:
        return False
    _insert_pending(conn, "deliveries", "alert_id", alert.alert_id, channel_names, alert.created_at)
    return True


def _insert_pending(
    conn: sqlite3.Connection, table: str, parent_column: str, parent_id: str, channel_names: Sequence[str],
    created_at: datetime,
) -> None:
    """One pending delivery per channel (each named once), due at once: alerts and feed warnings alike."""
    created = ts(created_at)
    conn.executemany(
        f"INSERT OR IGNORE INTO {table} (id, {parent_column}, channel, state, attempts, next_attempt_at,"
        " created_at, updated_at) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)",
        [
            (delivery_id(parent_id, name), parent_id, name, created, created, created)
            for name in dict.fromkeys(channel_names)
        ],
    )


def record_also_published(db: DB, alert_article_id: str, article_id: str, source: str, url: str) -> None:
    """Note a near-copy on the alerted article instead of alerting again. Idempotent per pair."""
    _conn(db).execute(
        "INSERT OR IGNORE INTO alert_also_published (article_id, copy_article_id, source, url, recorded_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (alert_article_id, article_id, source, url, ts(datetime.now(UTC))),
    )


# --- reading ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryRow:
    id: str
    alert_id: str
    channel: str
    state: str
    attempts: int
    next_attempt_at: datetime
    batch_key: str | None
    created_at: datetime
    delivered_at: datetime | None
    last_error: str | None


_ROW_COLUMNS = (
    "id, alert_id, channel, state, attempts, next_attempt_at, batch_key, created_at, delivered_at, last_error"
)


def _row(r: Sequence[Any]) -> DeliveryRow:
    return DeliveryRow(
        id=r[0],
        alert_id=r[1],
        channel=r[2],
        state=r[3],
        attempts=r[4],
        next_attempt_at=parse_ts(r[5]) or datetime.min.replace(tzinfo=UTC),
        batch_key=r[6],
        created_at=parse_ts(r[7]) or datetime.min.replace(tzinfo=UTC),
        delivered_at=parse_ts(r[8]),
        last_error=r[9],
    )


def pending_rows(conn: sqlite3.Connection) -> list[DeliveryRow]:
    """All pending deliveries, oldest first (the dispatcher decides which are due per channel)."""
    rows = conn.execute(
        f"SELECT {_ROW_COLUMNS} FROM deliveries WHERE state = 'pending' ORDER BY created_at, id"
    ).fetchall()
    return [_row(r) for r in rows]


def list_deliveries(conn: sqlite3.Connection, *, failed_only: bool, limit: int = 200) -> list[DeliveryRow]:
    where = "WHERE state = 'failed'" if failed_only else ""
    rows = conn.execute(
        f"SELECT {_ROW_COLUMNS} FROM deliveries {where} ORDER BY updated_at DESC, id LIMIT ?", (limit,)
    ).fetchall()
    return [_row(r) for r in rows]


def load_items(conn: sqlite3.Connection, alert_ids: Iterable[str]) -> dict[str, AlertItem]:
    ids = list(dict.fromkeys(alert_ids))
    out: dict[str, AlertItem] = {}
    for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(
            "SELECT id, article_id, topic, score, threshold, reason, evidence, title, url, source, published,"
            f" snippet, created_at FROM alerts WHERE id IN ({marks})",
            chunk,
        ):
            evidence = tuple(Evidence(**e) for e in json.loads(r[6]))
            alert = Alert(
                alert_id=r[0],
                article_id=r[1],
                topic=r[2],
                score=r[3],
                threshold=r[4],
                reason=r[5],
                evidence=evidence,
                title=r[7],
                url=r[8],
                source=r[9],
                published=parse_ts(r[10]),
                snippet=r[11],
                created_at=parse_ts(r[12]) or datetime.now(UTC),
            )
            also = tuple(
                AlsoPublished(article_id=a[0], source=a[1], url=a[2])
                for a in conn.execute(
                    "SELECT copy_article_id, source, url FROM alert_also_published WHERE article_id = ?"
                    " ORDER BY recorded_at, copy_article_id",
                    (r[1],),
                )
            )
            out[r[0]] = AlertItem(alert, also)
    return out


def sent_times(conn: sqlite3.Connection, channel: str, since: datetime) -> list[datetime]:
    """When the channel's messages (a digest counts once) were delivered since `since`: for the rate limit."""
    rows = conn.execute(
        "SELECT MIN(a.finished_at) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id"
        " WHERE d.channel = ? AND a.result = 'delivered' AND a.finished_at > ? GROUP BY a.message_id",
        (channel, ts(since)),
    ).fetchall()
    return [t for (raw,) in rows if (t := parse_ts(raw)) is not None]


def disabled_channels(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """channel -> (target it pointed at when disabled, reason)."""
    return {r[0]: (r[1], r[2]) for r in conn.execute("SELECT channel, target, reason FROM channel_state")}


# --- state changes (callers commit) ----------------------------------------------------------------------


def assign_batch(conn: sqlite3.Connection, ids: Sequence[str], batch_key: str, now: datetime) -> None:
    conn.executemany(
        "UPDATE deliveries SET batch_key = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
        [(batch_key, ts(now), ts(now), i) for i in ids],
    )


def postpone(conn: sqlite3.Connection, ids: Sequence[str], until: datetime, now: datetime) -> None:
    conn.executemany(
        "UPDATE deliveries SET next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
        [(ts(until), ts(now), i) for i in ids],
    )


@dataclass(frozen=True)
class AttemptRecord:
    message_id: str
    started_at: datetime
    finished_at: datetime
    result: str
    status_code: int | None
    error: str | None


def record_attempt(
    conn: sqlite3.Connection,
    rows: Sequence[DeliveryRow],
    attempt: AttemptRecord,
    *,
    new_status: str,
    next_attempt_at: datetime | None = None,
) -> None:
    """One attempt row per delivery in the message, and the deliveries' new state, in one go."""
    duration = int((attempt.finished_at - attempt.started_at).total_seconds() * 1000)
    conn.executemany(
        "INSERT INTO delivery_attempts (delivery_id, message_id, attempt, started_at, finished_at, result,"
        " status_code, error, duration_ms) VALUES (?,?,?,?,?,?,?,?,?)",
        [
            (
                r.id,
                attempt.message_id,
                r.attempts + 1,
                ts(attempt.started_at),
                ts(attempt.finished_at),
                attempt.result,
                attempt.status_code,
                attempt.error,
                duration,
            )
            for r in rows
        ],
    )
    finished = ts(attempt.finished_at)
    conn.executemany(
        "UPDATE deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?, updated_at = ?,"
        " delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END, last_error = ? WHERE id = ?",
        [
            (
                new_status,
                ts(next_attempt_at) if next_attempt_at else finished,
                finished,
                new_status,
                finished,
                attempt.error,
                r.id,
            )
            for r in rows
        ],
    )


def fail_without_attempt(conn: sqlite3.Connection, ids: Sequence[str], error: str, now: datetime) -> None:
    """Dead-letter deliveries that cannot be attempted (channel removed, disabled, alert row missing)."""
    conn.executemany(
        "UPDATE deliveries SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
        [(error, ts(now), i) for i in ids],
    )


def disable_channel(conn: sqlite3.Connection, channel: str, target: str, reason: str, now: datetime) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO channel_state (channel, target, disabled_at, reason) VALUES (?, ?, ?, ?)",
        (channel, target, ts(now), reason),
    )


def requeue(conn: sqlite3.Connection, ids: Sequence[str] | None, now: datetime) -> list[str]:
    """Put failed deliveries (all, or these ids / alert ids) back in the queue, due now. Returns their ids.

    Re-enables their channels (an operator retrying a 410-disabled endpoint says it is fixed). Rows that were
    part of a digest get a fresh batch key: the retried set is a new message, and a receiver that dropped
    the old webhook-id as a repeat must not drop this one.
    """
    if ids:
        marks = ",".join("?" * len(ids))
        found = conn.execute(
            f"SELECT id, channel, batch_key FROM deliveries WHERE state = 'failed'"
            f" AND (id IN ({marks}) OR alert_id IN ({marks}))",
            [*ids, *ids],
        ).fetchall()
    else:
        found = conn.execute("SELECT id, channel, batch_key FROM deliveries WHERE state = 'failed'").fetchall()
    stamp = ts(now)
    conn.executemany(
        "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?,"
        " batch_key = ? WHERE id = ?",
        [(stamp, stamp, f"{batch}~retry@{stamp}" if batch else None, rid) for rid, _, batch in found],
    )
    conn.executemany("DELETE FROM channel_state WHERE channel = ?", [(c,) for c in {ch for _, ch, _ in found}])
    return [rid for rid, _, _ in found]


def attempts_for(conn: sqlite3.Connection, delivery: str) -> list[AttemptRecord]:
    return [
        AttemptRecord(r[0], parse_ts(r[1]) or datetime.min, parse_ts(r[2]) or datetime.min, r[3], r[4], r[5])
        for r in conn.execute(
            "SELECT message_id, started_at, finished_at, result, status_code, error FROM delivery_attempts"
            " WHERE delivery_id = ? ORDER BY id",
            (delivery,),
        )
    ]


# --- feed warnings ---------------------------------------------------------------------------------------


def enqueue_feed_warning(db: DB, warning: FeedWarning, channel_names: Sequence[str]) -> bool:
    """Store `warning` and one pending delivery per channel. False (and no change) if its id exists, so a
    feed that stays stale is warned about once. No commit."""
    conn = _conn(db)
    cur = conn.execute(
        "INSERT OR IGNORE INTO feed_warnings (id, feed_url, feed_name, last_success_at, since,"
        " consecutive_failures, last_error, created_at) VALUES (?,?,?,?,?,?,?,?)",
        (
            warning.warning_id,
            warning.feed_url,
            warning.feed_name,
            ts(warning.last_success_at) if warning.last_success_at else None,
            ts(warning.since),
            warning.consecutive_failures,
            warning.last_error,
            ts(warning.created_at),
        ),
    )
    if cur.rowcount == 0:
        return False
    _insert_pending(
        conn, "feed_warning_deliveries", "warning_id", warning.warning_id, channel_names, warning.created_at
    )
    return True


def pending_warning_rows(conn: sqlite3.Connection) -> list[DeliveryRow]:
    """Pending feed-warning deliveries as DeliveryRows (alert_id holds the warning id; never batched)."""
    rows = conn.execute(
        "SELECT id, warning_id, channel, state, attempts, next_attempt_at, NULL, created_at, delivered_at,"
        " last_error FROM feed_warning_deliveries WHERE state = 'pending' ORDER BY created_at, id"
    ).fetchall()
    return [_row(r) for r in rows]


def load_feed_warning(conn: sqlite3.Connection, warning_id: str) -> FeedWarning | None:
    r = conn.execute(
        "SELECT id, feed_url, feed_name, last_success_at, since, consecutive_failures, last_error, created_at"
        " FROM feed_warnings WHERE id = ?",
        (warning_id,),
    ).fetchone()
    if r is None:
        return None
    return FeedWarning(
        warning_id=r[0],
        feed_url=r[1],
        feed_name=r[2],
        last_success_at=parse_ts(r[3]),
        since=parse_ts(r[4]) or datetime.min.replace(tzinfo=UTC),
        consecutive_failures=r[5],
        last_error=r[6],
        created_at=parse_ts(r[7]) or datetime.min.replace(tzinfo=UTC),
    )


def record_warning_attempt(
    conn: sqlite3.Connection,
    row: DeliveryRow,
    attempt: AttemptRecord,
    *,
    new_status: str,
    next_attempt_at: datetime | None = None,
) -> None:
    duration = int((attempt.finished_at - attempt.started_at).total_seconds() * 1000)
    finished = ts(attempt.finished_at)
    conn.execute(
        "INSERT INTO feed_warning_attempts (delivery_id, message_id, attempt, started_at, finished_at, result,"
        " status_code, error, duration_ms) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            row.id,
            attempt.message_id,
            row.attempts + 1,
            ts(attempt.started_at),
            finished,
            attempt.result,
            attempt.status_code,
            attempt.error,
            duration,
        ),
    )
    conn.execute(
        "UPDATE feed_warning_deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?,"
        " updated_at = ?, delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END, last_error = ?"
        " WHERE id = ?",
        (
            new_status,
            ts(next_attempt_at) if next_attempt_at else finished,
            finished,
            new_status,
            finished,
            attempt.error,
            row.id,
        ),
    )


def fail_warnings_without_attempt(conn: sqlite3.Connection, ids: Sequence[str], error: str, now: datetime) -> None:
    conn.executemany(
        "UPDATE feed_warning_deliveries SET state = 'failed', last_error = ?, updated_at = ?"
        " WHERE id = ? AND state = 'pending'",
        [(error, ts(now), i) for i in ids],
    )
