"""Read-only questions other processes ask of the database: the ops probe, the metrics gauges, a
topic's alerts for its feed, `monitor status`'s delivery counts.

Each read opens its own short-lived connection where noted, so the ops endpoint answers even while the
pipeline holds the store's lock (readers never wait on writers in WAL mode).

`database` is the SQLite file's Path, or the PostgreSQL URL (a str) when [storage] url is set: the same
statements run on both (store/postgres/qmark.py), and a PostgreSQL failure is a ReadError too.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from monitor.store.connection import DatabaseError, disk_space_note, open_uri
from monitor.store.times import format_time, parse_time

ReadError = DatabaseError  # what a read below raises when the file is missing, locked or damaged
Database = Path | str  # the SQLite file, or a PostgreSQL URL


def _open(database: Database, mode: str, timeout: float) -> sqlite3.Connection:
    if isinstance(database, Path):
        return open_uri(database, mode, timeout)
    from monitor.store.postgres.qmark import connect  # psycopg only when PostgreSQL is configured

    return connect(database, timeout, read_only=mode == "ro")


def _postgres_size(database: str, timeout: float) -> int:
    conn = _open(database, "ro", timeout)
    try:
        return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])
    finally:
        conn.close()


def database_size(database: Database, timeout: float = 2.0) -> int:
    """Bytes the database takes: the SQLite file and its write-ahead log, or PostgreSQL's database size."""
    if isinstance(database, str):
        return _postgres_size(database, timeout)
    return sum(p.stat().st_size for p in (database, Path(f"{database}-wal")) if p.exists())


def probe_writable(database: Database, timeout: float = 2.0) -> str | None:
    """None when the database takes a real write now and its disk has room; otherwise why not
    (locked, read-only, disk full; on PostgreSQL: unreachable or refusing writes).

    A real write (one heartbeat row, its own connection) rather than a read: a read-only mount or a lock
    held elsewhere still reads fine. Free space is checked as well, because a small write can still
    succeed on a full disk by reusing room inside the WAL file, while the next article's does not.
    """
    path = database if isinstance(database, Path) else None
    try:
        conn = _open(database, "rw", timeout)
    except sqlite3.Error as exc:
        return f"cannot open {database if path else 'the PostgreSQL database'}: {exc}{_space(path)}"
    try:
        with conn:
            conn.execute("INSERT INTO ops_heartbeat (id, at) VALUES (1, ?)"
                         " ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                         (format_time(datetime.now(UTC)),))
    except sqlite3.Error as exc:
        return f"database not writable: {exc}{_space(path)}"
    finally:
        conn.close()
    note = _space(path)
    return f"no room for new articles and alerts{note}" if note else None


def _space(path: Path | None) -> str:
    """The disk-space note for a SQLite file; PostgreSQL's disk is the server's to watch."""
    return disk_space_note(path) if path is not None else ""


@dataclass(frozen=True)
class DatabaseCounts:
    articles: int
    corpus: int
    seeds: int
    duplicates: int
    matches: int
    alerts: int
    deliveries: dict[str, int]  # pending, delivered, failed
    feeds_enabled: int
    feeds_failing: int
    page_retries: int = 0  # pages that failed temporarily, waiting to be fetched again
    provisional_alerts: int = 0  # alerts decided on the feed's text whose page has not been decided on yet


def database_counts(database: Database, timeout: float = 2.0) -> DatabaseCounts:
    """What the database holds now, read on a read-only connection of its own."""
    conn = _open(database, "ro", timeout)
    try:

        def one(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0])

        states = dict.fromkeys(("pending", "delivered", "failed"), 0)
        states.update(delivery_states(conn))
        return DatabaseCounts(
            articles=one("SELECT count(*) FROM articles"),
            corpus=one("SELECT count(*) FROM articles WHERE in_corpus = 1"),
            seeds=one("SELECT count(*) FROM articles WHERE is_seed = 1"),
            duplicates=one("SELECT count(*) FROM decisions WHERE duplicate_of IS NOT NULL"),
            matches=one("SELECT count(*) FROM decisions WHERE matched_topics != ''"),
            alerts=one("SELECT count(*) FROM alerts"),
            deliveries=states,
            feeds_enabled=one("SELECT count(*) FROM feeds WHERE enabled = 1"),
            feeds_failing=one("SELECT count(*) FROM feeds WHERE enabled = 1 AND consecutive_failures > 0"),
            page_retries=one("SELECT count(*) FROM page_retries"),
            provisional_alerts=one("SELECT count(*) FROM alerts WHERE status = 'provisional'"),
        )
    finally:
        conn.close()


def store_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """`monitor status`'s first line."""

    def one(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    return {
        "feeds": one("SELECT count(*) FROM feeds"),
        "articles": one("SELECT count(*) FROM articles"),
        "corpus": one("SELECT count(*) FROM articles WHERE in_corpus = 1"),
        "duplicates": one("SELECT count(*) FROM decisions WHERE duplicate_of IS NOT NULL"),
        "matches": one("SELECT count(*) FROM decisions WHERE matched_topics != ''"),
    }


def delivery_states(conn: sqlite3.Connection) -> dict[str, int]:
    """Alert deliveries by state (only the states that occur); feed warnings' deliveries not counted."""
    found = conn.execute("SELECT state, count(*) FROM deliveries WHERE kind = 'alert' GROUP BY state")
    return {str(s): int(n) for s, n in found}


# -- a topic's alerts, for its Atom / JSON feed ---------------------------------------------------------


@dataclass(frozen=True)
class FeedAlert:
    alert_id: str
    topic: str
    title: str
    url: str
    source: str
    published: datetime | None
    created_at: datetime
    snippet: str
    reason: str
    score: float
    threshold: float
    evidence: list[dict[str, object]]
    also_published: list[tuple[str, str]]  # (source, url) of near-copies seen later


def topics_with_alerts(database: Database, timeout: float = 5.0) -> list[str]:
    conn = _open(database, "ro", timeout)
    try:
        return [r[0] for r in conn.execute("SELECT DISTINCT topic FROM alerts ORDER BY topic")]
    finally:
        conn.close()


def topic_alerts(database: Database, topic: str, limit: int = 50, timeout: float = 5.0) -> list[FeedAlert]:
    """The topic's newest alerts, newest first, each with the near-copies noted on it."""
    conn = _open(database, "ro", timeout)
    try:
        rows = conn.execute(
            "SELECT id, topic, title, url, source, published, created_at, snippet, reason, score, threshold,"
            " evidence, article_id FROM alerts WHERE topic = ? ORDER BY created_at DESC, id LIMIT ?",
            (topic, limit),
        ).fetchall()
        alerts = []
        for r in rows:
            try:
                evidence = json.loads(r[11])
            except ValueError:  # a damaged row must not take the whole feed down; `monitor db check` names it
                evidence = []
            also = conn.execute(
                "SELECT source, url FROM alert_also_published WHERE article_id = ? ORDER BY recorded_at", (r[12],)
            ).fetchall()
            alerts.append(FeedAlert(
                alert_id=r[0], topic=r[1], title=r[2], url=r[3], source=r[4], published=parse_time(r[5]),
                created_at=parse_time(r[6]) or datetime.now(UTC), snippet=r[7] or "", reason=r[8] or "",
                score=r[9], threshold=r[10], evidence=evidence if isinstance(evidence, list) else [],
                also_published=[(a[0], a[1]) for a in also],
            ))
        return alerts
    finally:
        conn.close()
