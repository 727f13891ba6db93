"""The SQLite store (sqlite-utils, WAL): feeds and their fetch state, articles, decisions.

Alerts and deliveries live in the outbox tables (monitor/delivery/outbox.py), the near-copy index
in its own tables (monitor/adapters/corpus_index.py); all share this one database file so an
article, its decision and its alerts commit in one transaction.

Schema changes are numbered migrations applied in order on open (PRAGMA user_version), so an
older database is upgraded in place.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor.errors import MonitorError
from monitor.models import Decision, ExtractedText
from monitor.store import desk, outbox


class StoreError(MonitorError):
    """The database cannot be opened or written (locked, disk full, corrupt)."""


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _migration_1(db: sqlite_utils.Database) -> None:
    db.table("feeds").create(
        {
            "url": str,
            "name": str,
            "origin": str,
            "enabled": int,
            "created_at": str,
            "etag": str,
            "last_modified": str,
            "next_poll_at": str,
            "interval_seconds": float,
            "last_polled_at": str,
            "last_success_at": str,
            "last_status": str,
            "last_http_status": int,
            "last_error": str,
            "consecutive_failures": int,
            "items_seen": int,
            "new_items_last_poll": int,
            "items_per_day": float,
            "possibly_missed_items": int,
        },
        pk="url",
        not_null={"name", "origin", "enabled", "created_at"},
        defaults={"enabled": 1, "consecutive_failures": 0, "items_seen": 0, "possibly_missed_items": 0},
        if_not_exists=True,
    )
    db.table("articles").create(
        {
            "id": str,
            "canonical_url": str,
            "url": str,
            "feed_url": str,
            "guid": str,
            "source": str,
            "title": str,
            "published": str,
            "seen_at": str,
            "text": str,
            "summary": str,
            "language": str,
            "extraction": str,
            "fallback_reason": str,
            "is_seed": int,
            "in_corpus": int,
        },
        pk="id",
        not_null={"title", "text", "seen_at", "extraction"},
        defaults={"is_seed": 0, "in_corpus": 0},
        foreign_keys=[("feed_url", "feeds", "url")],
        if_not_exists=True,
    )
    db.table("articles").create_index(["canonical_url"], unique=True, if_not_exists=True)
    db.table("articles").create_index(["feed_url", "seen_at"], if_not_exists=True)
    db.table("decisions").create(
        {
            "article_id": str,
            "decided_at": str,
            "duplicate_of": str,
            "similarity": float,
            "duplicate_kind": str,
            "duplicate_passage": str,
            "matched_topics": str,
            "topics_json": str,
        },
        pk="article_id",
        not_null={"decided_at", "similarity", "duplicate_kind", "matched_topics", "topics_json"},
        foreign_keys=[("article_id", "articles", "id")],
        if_not_exists=True,
    )
    db.table("decisions").create_index(["duplicate_of"], if_not_exists=True)


def _migration_2(db: sqlite_utils.Database) -> None:
    """Full-text search (issue 6), the ops heartbeat row, and views for browsing with Datasette."""
    from monitor.store import search  # imported here: the search module is not needed to open a store

    search.create_schema(db)
    search.rebuild(db)  # index the articles an older database already holds
    # /healthz proves the database writable by rewriting this one row (a real write, not just a lock).
    db.execute("CREATE TABLE IF NOT EXISTS ops_heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL)")
    # Views may name the outbox tables before outbox.ensure_schema creates them: SQLite resolves on use.
    db.execute(
        "CREATE VIEW IF NOT EXISTS matches_view AS"
        " SELECT d.article_id, a.title, a.source, a.url, COALESCE(a.published, a.seen_at) AS date,"
        " d.matched_topics, d.duplicate_of, d.similarity, d.decided_at, a.feed_url"
        " FROM decisions d JOIN articles a ON a.id = d.article_id WHERE d.matched_topics != ''"
    )
    db.execute(
        "CREATE VIEW IF NOT EXISTS alerts_view AS"
        " SELECT al.id AS alert_id, al.topic, al.created_at, al.title, al.source, al.url, al.published,"
        " al.score, al.threshold, al.reason, al.snippet, al.article_id,"
        " (SELECT group_concat(d.channel || ': ' || d.state, ', ')"
        " FROM deliveries d WHERE d.alert_id = al.id) AS deliveries,"
        " (SELECT count(*) FROM alert_also_published p WHERE p.article_id = al.article_id) AS also_published"
        " FROM alerts al"
    )


# Append new migrations here; never edit one that has shipped.
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (_migration_1, _migration_2)


@dataclass(frozen=True)
class FeedRow:
    url: str
    name: str
    etag: str | None
    last_modified: str | None
    next_poll_at: datetime | None
    interval_seconds: float | None
    consecutive_failures: int
    last_success_at: datetime | None
    items_per_day: float | None
    enabled: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FeedRow:
        return cls(
            url=row["url"],
            name=row["name"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            next_poll_at=parse_iso(row["next_poll_at"]),
            interval_seconds=row["interval_seconds"],
            consecutive_failures=row["consecutive_failures"] or 0,
            last_success_at=parse_iso(row["last_success_at"]),
            items_per_day=row["items_per_day"],
            enabled=bool(row["enabled"]),
        )


class Store:
    """One connection shared by the daemon's threads; `lock` serialises every use of it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self.db = sqlite_utils.Database(conn)
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.enable_wal()
            # WAL + NORMAL: a commit survives the process being killed (the promise kept here); only a power
            # cut can undo the last commits, which then re-run from the feed (its validators roll back
            # with them) and re-send at most an alert the receiver drops by its id. FULL would fsync
            # every article (pipeline 1.29x bare extraction with FULL, 1.25x with NORMAL: docs/benchmarks.md).
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.lock = threading.RLock()
            self._migrate()
        except sqlite3.DatabaseError as exc:
            from monitor.cli.db import disk_space_note  # says "disk full" when that is the cause

            raise StoreError(f"cannot open database {path}: {exc}{disk_space_note(path)}") from None
        except OSError as exc:
            raise StoreError(f"cannot create database {path}: {exc.strerror}") from None

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, migration in enumerate(MIGRATIONS, start=1):
            if number > version:
                with self.db.atomic():
                    migration(self.db)
                    self.db.execute(f"PRAGMA user_version = {number}")
        outbox.ensure_schema(self.db)  # idempotent; runs its own script, outside any transaction
        desk.ensure_desk_schema(self.db.conn)

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """Everything inside commits together or not at all.

        BEGIN IMMEDIATE takes the write lock up front (waiting on the busy timeout): a deferred BEGIN that
        reads and then writes fails at once with "database is locked" when another connection (the
        dispatcher, `monitor` commands) committed in between, and the busy timeout does not help there.
        """
        with self.lock:
            if self.db.conn.in_transaction:  # nested use: sqlite-utils makes it a savepoint
                with self.db.atomic():
                    yield self.db
                return
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                if self.db.conn.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self.db.conn.close()

    # -- feeds --------------------------------------------------------------------------------

    def sync_feeds(self, feeds: list[tuple[str, str, bool]], now: datetime) -> None:
        """Make the config's feeds (url, name, enabled) present; feeds added by CLI are left alone."""
        with self.transaction() as db:
            for url, name, enabled in feeds:
                existing = db.execute("SELECT url FROM feeds WHERE url = ?", [url]).fetchone()
                if existing:
                    db.table("feeds").update(url, {"name": name, "enabled": int(enabled)})
                else:
                    db.table("feeds").insert(
                        {
                            "url": url,
                            "name": name,
                            "origin": "config",
                            "enabled": int(enabled),
                            "created_at": iso(now),
                            "consecutive_failures": 0,
                            "items_seen": 0,
                            "possibly_missed_items": 0,
                        }
                    )

    def add_feed(self, url: str, name: str, now: datetime, origin: str = "cli") -> bool:
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM feeds WHERE url = ?", [url]).fetchone():
                return False
            db.table("feeds").insert(
                {
                    "url": url,
                    "name": name,
                    "origin": origin,
                    "enabled": 1,
                    "created_at": iso(now),
                    "consecutive_failures": 0,
                    "items_seen": 0,
                    "possibly_missed_items": 0,
                }
            )
            return True

    def remove_feed(self, url: str) -> bool:
        """Disable rather than delete: the feed's articles keep their reference."""
        with self.transaction() as db:
            cursor = db.execute("UPDATE feeds SET enabled = 0 WHERE url = ?", [url])
            return cursor.rowcount > 0

    def feeds(self, enabled_only: bool = False) -> list[dict[str, Any]]:
        where = "WHERE enabled = 1" if enabled_only else ""
        with self.lock:
            return list(self.db.query(f"SELECT * FROM feeds {where} ORDER BY name"))

    def due_feeds(self, now: datetime) -> list[FeedRow]:
        with self.lock:
            rows = self.db.query(
                "SELECT * FROM feeds WHERE enabled = 1 AND (next_poll_at IS NULL OR next_poll_at <= ?) "
                "ORDER BY next_poll_at IS NOT NULL, next_poll_at",
                [iso(now)],
            )
            return [FeedRow.from_row(r) for r in rows]

    def update_feed(self, url: str, values: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.table("feeds").update(url, values)

    # -- articles -----------------------------------------------------------------------------

    def has_article(self, canonical_url: str) -> bool:
        with self.lock:
            return (
                self.db.execute("SELECT 1 FROM articles WHERE canonical_url = ?", [canonical_url]).fetchone()
                is not None
            )

    def seen_urls(self, canonical_urls: list[str]) -> set[str]:
        if not canonical_urls:
            return set()
        marks = ",".join("?" * len(canonical_urls))
        with self.lock:
            rows = self.db.execute(
                f"SELECT canonical_url FROM articles WHERE canonical_url IN ({marks})", canonical_urls
            ).fetchall()
        return {r[0] for r in rows}

    def insert_article(
        self,
        db: sqlite_utils.Database,
        *,
        article_id: str,
        canonical_url: str,
        url: str,
        feed_url: str | None,
        guid: str | None,
        source: str,
        extracted: ExtractedText,
        summary: str,
        published: datetime | None,
        seen_at: datetime,
        is_seed: bool = False,
        in_corpus: bool = False,
    ) -> None:
        """Insert inside an open transaction (see `transaction`)."""
        db.table("articles").insert(
            {
                "id": article_id,
                "canonical_url": canonical_url,
                "url": url,
                "feed_url": feed_url,
                "guid": guid,
                "source": source,
                "title": extracted.title,
                "published": iso(published),
                "seen_at": iso(seen_at),
                "text": extracted.text,
                "summary": summary,
                "language": extracted.language,
                "extraction": extracted.method,
                "fallback_reason": extracted.fallback_reason,
                "is_seed": int(is_seed),
                "in_corpus": int(in_corpus),
            }
        )

    def insert_decision(self, db: sqlite_utils.Database, decision: Decision, now: datetime) -> None:
        db.table("decisions").insert(
            {
                "article_id": decision.article_id,
                "decided_at": iso(now),
                "duplicate_of": decision.near_copy.duplicate_of,
                "similarity": decision.near_copy.similarity,
                "duplicate_kind": decision.near_copy.kind,
                "duplicate_passage": decision.near_copy.passage,
                "matched_topics": ",".join(t.name for t in decision.matched_topics),
                "topics_json": json.dumps([t.to_json() for t in decision.topics], ensure_ascii=False),
            }
        )

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {
                "feeds": self.db.table("feeds").count,
                "articles": self.db.table("articles").count,
                "corpus": self.db.execute("SELECT count(*) FROM articles WHERE in_corpus = 1").fetchone()[0],
                "duplicates": self.db.execute(
                    "SELECT count(*) FROM decisions WHERE duplicate_of IS NOT NULL"
                ).fetchone()[0],
                "matches": self.db.execute("SELECT count(*) FROM decisions WHERE matched_topics != ''").fetchone()[0],
            }
