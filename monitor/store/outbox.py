"""The outbox in SQLite: what is sent (alerts, feed warnings), one delivery per (message, channel), every
attempt, channel state.

The store's migration chain runs ensure_schema (migration 5). Used by the pipeline through the Store:
    enqueue(db, alert_or_feed_warning, channel_names) -> bool     no commit: runs in the caller's transaction
    record_also_published(db, alert_article_id, article_id, source, url) -> None     no commit
The rest (row queries and state changes) is for the dispatcher and `monitor alerts`, through the Outbox
of store/outbox_store.py. An attempt is two steps: reserve_attempts before the send, finish_attempts after.

Alerts and feed warnings share one `deliveries` table and one `delivery_attempts` table: `kind` says which,
and `alert_id` or `warning_id` (exactly one is set) points at the payload row, so the foreign keys stay
checked for both. The payload tables (`alerts`, `feed_warnings`) are kind-specific; nothing else is.

Nothing here commits (the schema functions aside): callers own their transactions, so an alert is stored
atomically with the decision that raised it, and a delivery's outcome atomically with its attempt row.

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

ALERT = "alert"
FEED_WARNING = "feed_warning"
_PAYLOAD_COLUMN = {ALERT: "alert_id", FEED_WARNING: "warning_id"}


class _HasConn(Protocol):
    @property
    def conn(self) -> sqlite3.Connection: ...


DB = sqlite3.Connection | _HasConn

_PAYLOAD_TABLES = (
    """CREATE TABLE IF NOT EXISTS alerts (
    id          TEXT PRIMARY KEY,               -- Alert.alert_id: stable, the idempotency key
    article_id  TEXT NOT NULL REFERENCES articles(id),
    topic       TEXT NOT NULL,
    score       REAL NOT NULL,
    threshold   REAL NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    evidence    TEXT NOT NULL,                  -- JSON list of Evidence
    title       TEXT NOT NULL,
    url         TEXT NOT NULL,
    source      TEXT NOT NULL,
    published   TEXT,
    snippet     TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS alerts_article ON alerts(article_id)",
    """CREATE TABLE IF NOT EXISTS alert_also_published (
    article_id      TEXT NOT NULL REFERENCES articles(id),   -- the alerted article
    copy_article_id TEXT NOT NULL REFERENCES articles(id),   -- its near-copy, not alerted again
    source          TEXT NOT NULL,
    url             TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    PRIMARY KEY (article_id, copy_article_id)
)""",
    # "feed.unhealthy" warnings are not about an article: their own payload table, the alerts' deliveries.
    """CREATE TABLE IF NOT EXISTS feed_warnings (
    id                   TEXT PRIMARY KEY,      -- FeedWarning.warning_id: stable, the idempotency key
    feed_url             TEXT NOT NULL,
    feed_name            TEXT NOT NULL,
    last_success_at      TEXT,
    since                TEXT NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    last_error           TEXT,
    created_at           TEXT NOT NULL
)""",
)

_DELIVERY_TABLES = (
    """CREATE TABLE IF NOT EXISTS deliveries (
    id              TEXT PRIMARY KEY,           -- "<alert id or warning id>:<channel>"
    kind            TEXT NOT NULL,              -- 'alert' or 'feed_warning'
    alert_id        TEXT REFERENCES alerts(id),
    warning_id      TEXT REFERENCES feed_warnings(id),
    channel         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0, -- since the last (re)queue
    next_attempt_at TEXT NOT NULL,
    batch_key       TEXT,                       -- rows sent together as one digest message share it
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT,
    CHECK ((kind = 'alert' AND alert_id IS NOT NULL AND warning_id IS NULL)
        OR (kind = 'feed_warning' AND warning_id IS NOT NULL AND alert_id IS NULL))
)""",
    """CREATE TABLE IF NOT EXISTS delivery_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL REFERENCES deliveries(id),
    message_id  TEXT NOT NULL,                  -- webhook-id / Message-ID of what was sent
    attempt     INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    result      TEXT NOT NULL,                  -- delivered, retry, failed, disabled
    status_code INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL
)""",
)

_DELIVERY_INDEXES = (
    "CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_attempt_at)",
    "CREATE INDEX IF NOT EXISTS deliveries_channel ON deliveries(channel, state)",
    "CREATE INDEX IF NOT EXISTS delivery_attempts_delivery ON delivery_attempts(delivery_id)",
    "CREATE INDEX IF NOT EXISTS delivery_attempts_finished ON delivery_attempts(result, finished_at)",
)

_CHANNEL_STATE = """CREATE TABLE IF NOT EXISTS channel_state (
    channel     TEXT PRIMARY KEY,
    target      TEXT NOT NULL,                  -- where it pointed when disabled; a new URL re-enables
    disabled_at TEXT NOT NULL,
    reason      TEXT NOT NULL
)"""

_SCHEMA = ";\n".join((*_PAYLOAD_TABLES, *_DELIVERY_TABLES, *_DELIVERY_INDEXES, _CHANNEL_STATE)) + ";\n"


def _conn(db: DB) -> sqlite3.Connection:
    return db if isinstance(db, sqlite3.Connection) else db.conn


def ensure_schema(db: DB) -> None:
    """Create the outbox tables, moving an older database's per-kind delivery tables into the shared ones
    first (idempotent). Both commit, so call it outside transactions."""
    migrate_unified_deliveries(db)
    _conn(db).executescript(_SCHEMA)


# --- migration: one deliveries table for every kind ------------------------------------------------------

_OLD_ALERT_DELIVERIES = "deliveries_before_kinds"
_OLD_ALERT_ATTEMPTS = "delivery_attempts_before_kinds"


def _needs_unified_deliveries(conn: sqlite3.Connection) -> bool:
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables & {"feed_warning_deliveries", "feed_warning_attempts"}:
        return True
    return "deliveries" in tables and "kind" not in {r[1] for r in conn.execute("PRAGMA table_info(deliveries)")}


def migrate_unified_deliveries(db: DB) -> bool:
    """Move the per-kind delivery tables of an older database into the shared ones. True if it moved any.

    Before: `deliveries` / `delivery_attempts` for alerts, `feed_warning_deliveries` / `feed_warning_attempts`
    for feed warnings. After: `deliveries` (with `kind`) and `delivery_attempts` for both, the old warning
    tables dropped. Every delivery keeps its id, state, attempt count, next attempt time, batch key and
    errors; every attempt row is kept, alert attempts with their ids and warning attempts numbered after
    them in their old order (both tables counted from 1).

    Idempotent, and all or nothing: inside the caller's transaction if there is one, else in its own with
    foreign keys off meanwhile (SQLite's documented way to rebuild a table; it also lets rows that already
    pointed nowhere move as they are rather than block the start).
    """
    conn = _conn(db)
    if not _needs_unified_deliveries(conn):
        return False
    own_transaction = not conn.in_transaction
    foreign_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    legacy_alter = conn.execute("PRAGMA legacy_alter_table").fetchone()[0]
    # Legacy renaming leaves views alone: `alerts_view` must go on naming `deliveries`, not the old table.
    conn.execute("PRAGMA legacy_alter_table = ON")
    if own_transaction:
        conn.execute("PRAGMA foreign_keys = OFF")  # no effect inside a transaction, hence before BEGIN
        conn.execute("BEGIN IMMEDIATE")
    try:
        moved = _needs_unified_deliveries(conn)  # again under the write lock: another process may have done it
        if moved:
            _unify_deliveries(conn)
        if own_transaction:
            conn.commit()
    except BaseException:
        if own_transaction:
            conn.rollback()
        raise
    finally:
        conn.execute(f"PRAGMA legacy_alter_table = {int(legacy_alter)}")
        if own_transaction:
            conn.execute(f"PRAGMA foreign_keys = {int(foreign_keys)}")
    return moved


def _unify_deliveries(conn: sqlite3.Connection) -> None:
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    # `deliveries` may already be the shared table, with warning tables an older monitor made again
    old_alerts = "deliveries" in tables and "kind" not in {r[1] for r in conn.execute("PRAGMA table_info(deliveries)")}
    old_alert_attempts = old_alerts and "delivery_attempts" in tables
    if old_alerts:
        conn.execute(f"ALTER TABLE deliveries RENAME TO {_OLD_ALERT_DELIVERIES}")
    if old_alert_attempts:
        conn.execute(f"ALTER TABLE delivery_attempts RENAME TO {_OLD_ALERT_ATTEMPTS}")
    for statement in (*_PAYLOAD_TABLES, *_DELIVERY_TABLES):  # the new tables point at feed_warnings
        conn.execute(statement)
    shared = "channel, state, attempts, next_attempt_at, created_at, updated_at, delivered_at, last_error"
    attempt_columns = (
        "delivery_id, message_id, attempt, started_at, finished_at, result, status_code, error, duration_ms"
    )
    if old_alerts:
        conn.execute(
            f"INSERT INTO deliveries (id, kind, alert_id, batch_key, {shared})"
            f" SELECT id, 'alert', alert_id, batch_key, {shared} FROM {_OLD_ALERT_DELIVERIES}"
        )
    if old_alert_attempts:
        conn.execute(
            f"INSERT INTO delivery_attempts (id, {attempt_columns})"
            f" SELECT id, {attempt_columns} FROM {_OLD_ALERT_ATTEMPTS} ORDER BY id"
        )
    if "feed_warning_deliveries" in tables:
        conn.execute(
            f"INSERT INTO deliveries (id, kind, warning_id, {shared})"
            f" SELECT id, 'feed_warning', warning_id, {shared} FROM feed_warning_deliveries"
        )
    if "feed_warning_attempts" in tables:
        conn.execute(
            f"INSERT INTO delivery_attempts ({attempt_columns})"
            f" SELECT {attempt_columns} FROM feed_warning_attempts ORDER BY id"
        )
    # attempts before deliveries: a child table goes first, whether or not foreign keys are on
    for old in (_OLD_ALERT_ATTEMPTS, "feed_warning_attempts", _OLD_ALERT_DELIVERIES, "feed_warning_deliveries"):
        conn.execute(f"DROP TABLE IF EXISTS {old}")  # their indexes go with them, freeing the names
    for statement in _DELIVERY_INDEXES:
        conn.execute(statement)


# --- writing (no commit) ---------------------------------------------------------------------------------


def delivery_id(payload_id: str, channel: str) -> str:
    return f"{payload_id}:{channel}"


def enqueue(db: DB, payload: Alert | FeedWarning, channel_names: Sequence[str]) -> bool:
    """Store an alert or a feed warning and one pending delivery per channel, due at once.

    False (and no change) if its id exists: an alert is raised once, and a feed that stays stale is warned
    about once per stale spell.
    """
    conn = _conn(db)
    if isinstance(payload, Alert):
        kind, payload_id, stored = ALERT, payload.alert_id, _insert_alert(conn, payload)
    else:
        kind, payload_id, stored = FEED_WARNING, payload.warning_id, _insert_feed_warning(conn, payload)
    if not stored:
        return False
    created = ts(payload.created_at)
    conn.executemany(
        f"INSERT OR IGNORE INTO deliveries (id, kind, {_PAYLOAD_COLUMN[kind]}, channel, state, attempts,"
        " next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
        [
            (delivery_id(payload_id, name), kind, payload_id, name, created, created, created)
            for name in dict.fromkeys(channel_names)  # each channel once
        ],
    )
    return True


def _insert_alert(conn: sqlite3.Connection, alert: Alert) -> bool:
    evidence = json.dumps(
        [
            {"group": e.group, "term": e.term, "matched": e.matched, "start": e.start, "sentence": e.sentence}
            for e in alert.evidence
        ],
        ensure_ascii=False,
    )
    cur = conn.execute(
        "INSERT OR IGNORE INTO alerts (id, article_id, topic, score, threshold, reason, evidence, title, url,"
        " source, published, snippet, created_at, basis, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
            alert.basis,
            alert.status,
        ),
    )
    return cur.rowcount > 0


def _insert_feed_warning(conn: sqlite3.Connection, warning: FeedWarning) -> bool:
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
    return cur.rowcount > 0


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
    kind: str  # ALERT or FEED_WARNING
    payload_id: str  # the alert id or the warning id, by kind
    channel: str
    state: str
    attempts: int
    next_attempt_at: datetime
    batch_key: str | None
    created_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    event: str | None = None  # None: the kind's own event; "alert.withdrawn": the alert's withdrawal

    @property
    def is_withdrawal(self) -> bool:
        return self.event == WITHDRAWN_EVENT


WITHDRAWN_EVENT = "alert.withdrawn"

_ROW_COLUMNS = (
    "id, kind, COALESCE(alert_id, warning_id), channel, state, attempts, next_attempt_at, batch_key, created_at,"
    " delivered_at, last_error, event"
)


def _row(r: Sequence[Any]) -> DeliveryRow:
    return DeliveryRow(
        id=r[0],
        kind=r[1],
        payload_id=r[2],
        channel=r[3],
        state=r[4],
        attempts=r[5],
        next_attempt_at=parse_ts(r[6]) or datetime.min.replace(tzinfo=UTC),
        batch_key=r[7],
        created_at=parse_ts(r[8]) or datetime.min.replace(tzinfo=UTC),
        delivered_at=parse_ts(r[9]),
        last_error=r[10],
        event=r[11],
    )


def pending_rows(conn: sqlite3.Connection) -> list[DeliveryRow]:
    """All pending deliveries of every kind, oldest first (the dispatcher decides which are due per channel)."""
    rows = conn.execute(
        f"SELECT {_ROW_COLUMNS} FROM deliveries WHERE state = 'pending' ORDER BY created_at, id"
    ).fetchall()
    return [_row(r) for r in rows]


def list_deliveries(conn: sqlite3.Connection, *, failed_only: bool, limit: int = 200) -> list[DeliveryRow]:
    """Alert deliveries, newest change first, for `monitor alerts list` (which lists alerts, not feed warnings)."""
    failed = " AND state = 'failed'" if failed_only else ""
    rows = conn.execute(
        f"SELECT {_ROW_COLUMNS} FROM deliveries WHERE kind = 'alert'{failed} ORDER BY updated_at DESC, id LIMIT ?",
        (limit,),
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
            f" snippet, created_at, basis, status, settled_at, settled_reason FROM alerts WHERE id IN ({marks})",
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
                basis=r[13],
                status=r[14],
                settled_at=parse_ts(r[15]),
                settled_reason=r[16],
            )
            also = tuple(
                AlsoPublished(article_id=a[0], source=a[1], url=a[2])
                for a in conn.execute(
                    "SELECT copy_article_id, source, url FROM alert_also_published WHERE article_id = ?"
                    " ORDER BY recorded_at, copy_article_id",
                    (r[1],),
                )
            )
            story = conn.execute(
                "SELECT m.story_id, s.size FROM story_members m JOIN stories s ON s.id = m.story_id"
                " WHERE m.article_id = ?",
                (r[1],),
            ).fetchone()
            out[r[0]] = AlertItem(alert, also, str(story[0]) if story else None, int(story[1]) if story else 0)
    return out


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


def sent_times(conn: sqlite3.Connection, channel: str, since: datetime) -> list[datetime]:
    """When the channel's alert messages (a digest counts once) were delivered since `since`: for the rate
    limit, which feed warnings neither obey nor use up (see the dispatcher)."""
    rows = conn.execute(
        "SELECT MIN(a.finished_at) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id"
        " WHERE d.channel = ? AND d.kind = 'alert' AND d.event IS NULL AND a.result = 'delivered'"
        " AND a.finished_at > ?"
        " GROUP BY a.message_id",
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


def _update_deliveries(
    conn: sqlite3.Connection,
    rows: Sequence[DeliveryRow],
    attempt: AttemptRecord,
    new_status: str,
    next_attempt_at: datetime | None,
) -> None:
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


SENDING = "sending"  # an attempt reserved before its send; replaced by the outcome once it is known
INTERRUPTED = "interrupted"  # a reservation the process never completed: the send may or may not have happened


def reserve_attempts(
    conn: sqlite3.Connection, rows: Sequence[DeliveryRow], message_id: str, started: datetime
) -> tuple[int, ...]:
    """Insert one "sending" attempt row per delivery, before the send: the caller commits it, and sends only
    if that commit succeeded, so nothing goes out whose outcome the database could not take. Returns the
    attempt row ids, for finish_attempts."""
    stamp = ts(started)
    ids: list[int] = []
    for r in rows:
        cur = conn.execute(
            "INSERT INTO delivery_attempts (delivery_id, message_id, attempt, started_at, finished_at, result,"
            " duration_ms) VALUES (?,?,?,?,?,?,0)",
            (r.id, message_id, r.attempts + 1, stamp, stamp, SENDING),
        )
        assert cur.lastrowid is not None
        ids.append(cur.lastrowid)
    return tuple(ids)


def finish_attempts(
    conn: sqlite3.Connection,
    rows: Sequence[DeliveryRow],
    attempt_ids: Sequence[int],
    attempt: AttemptRecord,
    *,
    new_status: str,
    next_attempt_at: datetime | None = None,
) -> None:
    """Turn reserved attempt rows into the send's outcome and move the deliveries to their new state."""
    duration = int((attempt.finished_at - attempt.started_at).total_seconds() * 1000)
    conn.executemany(
        "UPDATE delivery_attempts SET finished_at = ?, result = ?, status_code = ?, error = ?, duration_ms = ?"
        " WHERE id = ?",
        [
            (ts(attempt.finished_at), attempt.result, attempt.status_code, attempt.error, duration, i)
            for i in attempt_ids
        ],
    )
    _update_deliveries(conn, rows, attempt, new_status, next_attempt_at)


def mark_interrupted(conn: sqlite3.Connection) -> int:
    """Mark reservations left by a process that died between send and record (call it only while holding
    the dispatch lock with no send in flight). Their deliveries are still pending and go out again."""
    cur = conn.execute(
        "UPDATE delivery_attempts SET result = ?, error = ? WHERE result = ?",
        (INTERRUPTED, "stopped between sending and recording; sent again with the same message id", SENDING),
    )
    return cur.rowcount


def fail_without_attempt(conn: sqlite3.Connection, ids: Sequence[str], error: str, now: datetime) -> None:
    """Dead-letter deliveries that cannot be attempted (channel removed, disabled, payload row missing)."""
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
    """Put failed alert deliveries (all, or these ids / alert ids) back in the queue, due now. Returns their ids.

    Alerts only, like `monitor alerts list`: those commands show and re-queue alerts. Re-enables their
    channels (an operator retrying a 410-disabled endpoint says it is fixed). Rows that were part of a
    digest get a fresh batch key: the retried set is a new message, and a receiver that dropped the old
    webhook-id as a repeat must not drop this one.
    """
    if ids:
        marks = ",".join("?" * len(ids))
        found = conn.execute(
            f"SELECT id, channel, batch_key FROM deliveries WHERE kind = 'alert' AND state = 'failed'"
            f" AND (id IN ({marks}) OR alert_id IN ({marks}))",
            [*ids, *ids],
        ).fetchall()
    else:
        found = conn.execute(
            "SELECT id, channel, batch_key FROM deliveries WHERE kind = 'alert' AND state = 'failed'"
        ).fetchall()
    stamp = ts(now)
    conn.executemany(
        "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?,"
        " batch_key = ? WHERE id = ?",
        [(stamp, stamp, f"{batch}~retry@{stamp}" if batch else None, rid) for rid, _, batch in found],
    )
    conn.executemany("DELETE FROM channel_state WHERE channel = ?", [(c,) for c in {ch for _, ch, _ in found}])
    return [rid for rid, _, _ in found]
