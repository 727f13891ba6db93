"""The Store's operations on PostgreSQL, for any number of workers on one database.

A connection pool serves the threads of one process; `atomic()` pins one connection to the calling thread
for the block, and the operations called inside join its transaction (nested blocks are savepoints).
What differs from SQLite because several processes share the database:
    due_feeds        claims the due feeds (FOR UPDATE SKIP LOCKED) with a lease; update_feed, which records
                     the poll's outcome, ends it. A worker that dies leaves its lease to expire, after which
                     another worker takes the feed over. A worker may claim again the feeds it holds itself
                     (the caller skips those it is still polling): a poll whose outcome the database could
                     not take (connection lost) is polled again by its worker, not left to the lease.
                     hold_feed renews the lease just before the feed's request goes out, and says no when
                     another worker took the feed over meanwhile: two workers never request one feed.
    atomic           also takes a transaction-level advisory lock, so a near-copy check and the write it
                     decides run on one worker at a time, as they run under one lock in one SQLite process;
                     record_article adds a corpus article to the near-copy index in that same transaction.
    exclusive_job    a session advisory lock: a daily or per-cycle job runs on one worker at a time.
    claim_due_deliveries   hands each due pending delivery to one worker (SKIP LOCKED) under a lease; the
                     dispatcher instead reads the outbox of store/postgres/outbox.py, which gives whole
                     channels to one worker at a time (digests and rate limits are per channel).
    shared_politeness  the per-host concurrency and spacing kept in the database (store/postgres/hosts.py).
Rows are written with ON CONFLICT DO NOTHING where two workers may race to write the same one (feeds from
the config, seeds, an article two feeds carry), so the second writer changes nothing instead of failing.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from monitor.models import Alert, Decision, ExtractedText, TopicResult
from monitor.schedule.feed_health import FeedHealth, FeedWarning
from monitor.settings.sections import StorySettings
from monitor.store import outbox, page_retries, search, stories
from monitor.store.articles import NewArticle
from monitor.store.connection import StoreError
from monitor.store.database import Store
from monitor.store.feeds import FeedRow, _new_feed
from monitor.store.maintenance import _PRUNABLE
from monitor.store.outbox import DeliveryRow
from monitor.store.page_retries import PageRetry, Settled
from monitor.store.postgres import search as pg_search
from monitor.store.postgres.corpus_index import PostgresCorpusIndex
from monitor.store.postgres.hosts import PostgresPoliteness
from monitor.store.postgres.locks import DECIDE_LOCK, lock_key
from monitor.store.postgres.schema import migrate, schema_version
from monitor.store.times import format_time, parse_time

Conn = psycopg.Connection[tuple[Any, ...]]
LEASE_SECONDS = 900.0  # longest a claimed feed stays with its worker without an outcome recorded


def _sql(statement: str) -> str:
    """A statement shared with the SQLite modules, in psycopg's placeholder style."""
    return statement.replace("%", "%%").replace("?", "%s")


class _SharedStatements:
    """A connection that runs statements written for SQLite (store/stories.py)."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    def execute(self, statement: str, params: Sequence[Any], /) -> psycopg.Cursor[tuple[Any, ...]]:
        return self.conn.execute(_sql(statement), list(params))

    def executemany(self, statement: str, params: Iterable[Sequence[Any]], /) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(_sql(statement), [list(p) for p in params])


class PostgresStore(Store):
    """The Store on PostgreSQL (see the module doc); `url` is a libpq connection URL."""

    def __init__(
        self, url: str, pool_size: int = 10, lease_seconds: float = LEASE_SECONDS, *, read_only: bool = False
    ) -> None:
        """read_only: no migration, and every transaction read-only (the read commands); a write then fails."""
        self.url = url
        self.path = Path(url)  # what messages name: the database, as the SQLite store names its file
        self.lease = timedelta(seconds=lease_seconds)
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.lock = threading.RLock()  # kept for callers that serialise on it; the database does the rest
        self._local = threading.local()
        try:
            # check: a pooled connection the server dropped (restart, failover, idle timeout) is replaced
            # when handed out instead of failing the next operation
            settings: dict[str, Any] = {"autocommit": True}
            if read_only:
                settings["options"] = "-c default_transaction_read_only=on"
            self.pool: ConnectionPool[Conn] = ConnectionPool(
                url, min_size=1, max_size=pool_size, open=True, timeout=30.0, kwargs=settings,
                check=ConnectionPool.check_connection,
            )
            if not read_only:
                with self.pool.connection() as conn:
                    migrate(conn)
        except (psycopg.Error, OSError) as exc:
            raise StoreError(f"cannot open database {_masked(url)}: {exc}") from None
        self.corpus_index = PostgresCorpusIndex(self._connection)  # type: ignore[assignment]
        self.story_settings = StorySettings()
        self.story_cache = stories.StoryCache()  # open stories' rows, checked against the database on each read

    @contextmanager
    def _connection(self) -> Iterator[Conn]:
        """This thread's connection in its open transaction, or a pooled one in a transaction of its own."""
        current: Conn | None = getattr(self._local, "conn", None)
        if current is not None:
            with current.transaction():
                yield current
            return
        with self.pool.connection() as conn:
            self._local.conn = conn
            try:
                with conn.transaction():
                    yield conn
            finally:
                self._local.conn = None

    @property
    def schema_version(self) -> int:
        with self._connection() as conn:
            return schema_version(conn)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self._connection() as conn:
            yield conn

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._connection() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [DECIDE_LOCK])
            yield

    @contextmanager
    def exclusive_job(self, name: str) -> Iterator[bool]:
        """True inside when this worker holds the job's lock (no other worker runs it meanwhile)."""
        with self.pool.connection() as conn:
            key = lock_key(name)
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()
            held = bool(row and row[0])
            try:
                yield held
            finally:
                if held:
                    conn.execute("SELECT pg_advisory_unlock(%s)", [key])

    def shared_politeness(self) -> PostgresPoliteness:
        return PostgresPoliteness(self.pool, self.worker)

    def close(self) -> None:
        self.pool.close()

    # -- feeds --------------------------------------------------------------------------------

    def sync_feeds(self, feed_list: list[tuple[str, str, bool]], now: datetime) -> None:
        with self._connection() as conn:
            for url, name, enabled in feed_list:
                self._insert_feed(conn, _new_feed(url, name, "config", enabled, now),
                                  " DO UPDATE SET name = excluded.name, enabled = excluded.enabled")

    def _insert_feed(self, conn: Conn, row: dict[str, Any], on_conflict: str) -> bool:
        columns = ", ".join(row)
        marks = ", ".join(["%s"] * len(row))
        cur = conn.execute(
            f"INSERT INTO feeds ({columns}) VALUES ({marks}) ON CONFLICT (url){on_conflict}", list(row.values())
        )
        return bool(cur.rowcount)

    def add_feed(self, url: str, name: str, now: datetime, origin: str = "cli") -> bool:
        with self._connection() as conn:
            return self._insert_feed(conn, _new_feed(url, name, origin, True, now), " DO NOTHING")

    def remove_feed(self, url: str) -> bool:
        with self._connection() as conn:
            return bool(conn.execute("UPDATE feeds SET enabled = 0 WHERE url = %s", [url]).rowcount)

    def feeds(self, enabled_only: bool = False) -> list[dict[str, Any]]:
        where = "WHERE enabled = 1" if enabled_only else ""
        with self._connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(f"SELECT * FROM feeds {where} ORDER BY name, url").fetchall()
        for row in rows:
            row.pop("lease_until", None)
            row.pop("leased_by", None)
        return list(rows)

    def due_feeds(self, now: datetime, limit: int | None = None) -> list[FeedRow]:
        """Claim the due feeds no other worker holds (the `limit` that fell due first), for this worker,
        until the lease runs out. A limit leaves the rest to the other workers instead of one worker
        claiming every due feed and polling them one after the other."""
        return self._claim(now, due_only=True, limit=limit)

    def claim_enabled_feeds(self, now: datetime) -> list[FeedRow]:
        """Claim every enabled feed no other worker holds, due or not (`monitor once`)."""
        return self._claim(now, due_only=False)

    def _claim(self, now: datetime, due_only: bool, limit: int | None = None) -> list[FeedRow]:
        stamp = format_time(now)
        due = " AND (next_poll_at IS NULL OR next_poll_at <= %(now)s)" if due_only else ""
        # Longest due first; among feeds due at the same time (after a start or an outage) in an order that
        # mixes their hosts, so the few claimed do not all wait on one host's politeness slots.
        first = f" ORDER BY next_poll_at NULLS FIRST, md5(url) LIMIT {int(limit)}" if limit else ""
        with self._connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                f"WITH picked AS (SELECT url FROM feeds WHERE enabled = 1{due}"
                " AND (lease_until IS NULL OR lease_until <= %(now)s OR leased_by = %(worker)s)"
                f"{first} FOR UPDATE SKIP LOCKED)"
                " UPDATE feeds f SET lease_until = %(until)s, leased_by = %(worker)s FROM picked"
                " WHERE f.url = picked.url RETURNING f.*",
                {"now": stamp, "until": format_time(now + self.lease), "worker": self.worker},
            ).fetchall()
        found = [FeedRow.from_row(r) for r in rows]
        if not due_only:
            return sorted(found, key=lambda f: (f.name, f.url))  # the order of feeds(), as on SQLite
        # the SQLite order: never-polled feeds first, then by when they fell due
        return sorted(found, key=lambda f: (f.next_poll_at is not None, f.next_poll_at or now, f.url))

    def hold_feed(self, url: str, now: datetime) -> bool:
        """Renew this worker's lease on the feed from `now`, or take it when no other worker holds it (a
        feed polled without a claim); False when another worker holds it (it took the feed over when this
        worker's lease ran out while it waited, say for a host slot through a cut connection)."""
        with self._connection() as conn:
            return bool(conn.execute(
                "UPDATE feeds SET lease_until = %(until)s, leased_by = %(worker)s WHERE url = %(url)s"
                " AND (leased_by = %(worker)s OR leased_by IS NULL OR lease_until IS NULL OR lease_until <= %(now)s)",
                {"until": format_time(now + self.lease), "worker": self.worker, "url": url, "now": format_time(now)},
            ).rowcount)

    def update_feed(self, url: str, values: dict[str, Any]) -> None:
        stored = {k: format_time(v) if isinstance(v, datetime) else v for k, v in values.items()}
        if "next_poll_at" in stored:  # the poll's outcome: the claim ends with it
            stored.update(lease_until=None, leased_by=None)
        assignments = ", ".join(f"{column} = %s" for column in stored)
        with self._connection() as conn:
            conn.execute(
                f"UPDATE feeds SET {assignments} WHERE url = %s", [*stored.values(), url]
            )

    def feed_health(self, now: datetime) -> list[FeedHealth]:
        return [
            FeedHealth(url=r["url"], name=r["name"], added_at=parse_time(r["created_at"]) or now,
                       last_success_at=parse_time(r["last_success_at"]),
                       consecutive_failures=r["consecutive_failures"] or 0, last_error=r["last_error"])
            for r in self.feeds(enabled_only=True)
        ]

    def queue_feed_warning(self, warning: FeedWarning, channel_names: Sequence[str]) -> bool:
        with self._connection() as conn:
            stored = conn.execute(
                "INSERT INTO feed_warnings (id, feed_url, feed_name, last_success_at, since,"
                " consecutive_failures, last_error, created_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)"
                " ON CONFLICT (id) DO NOTHING",
                [warning.warning_id, warning.feed_url, warning.feed_name, format_time(warning.last_success_at),
                 format_time(warning.since), warning.consecutive_failures, warning.last_error,
                 format_time(warning.created_at)],
            ).rowcount
            if stored:
                self._queue(conn, "feed_warning", "warning_id", warning.warning_id, warning.created_at, channel_names)
            return bool(stored)

    def _queue(self, conn: Conn, kind: str, column: str, payload_id: str, created: datetime,
               channel_names: Sequence[str]) -> None:
        stamp = format_time(created)
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO deliveries (id, kind, {column}, channel, state, attempts, next_attempt_at,"
                " created_at, updated_at) VALUES (%s, %s, %s, %s, 'pending', 0, %s, %s, %s) ON CONFLICT DO NOTHING",
                [(f"{payload_id}:{name}", kind, payload_id, name, stamp, stamp, stamp)
                 for name in dict.fromkeys(channel_names)],
            )

    def claim_due_deliveries(self, now: datetime, lease_seconds: float, limit: int = 100) -> list[DeliveryRow]:
        """Reserve pending deliveries that are due for this worker: each is handed to one caller (SKIP LOCKED),
        and its next attempt is pushed `lease_seconds` ahead, so a worker that dies before recording the
        outcome leaves it due again after that (re-sent with the same message id, which receivers dedupe)."""
        with self._connection() as conn:
            rows = conn.execute(
                "WITH picked AS (SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= %(now)s"
                " ORDER BY next_attempt_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
                " UPDATE deliveries SET next_attempt_at = %(until)s, updated_at = %(now)s"
                f" WHERE id IN (SELECT id FROM picked) RETURNING {outbox._ROW_COLUMNS}",
                {"now": format_time(now), "until": format_time(now + timedelta(seconds=lease_seconds)),
                 "limit": limit},
            ).fetchall()
        return sorted((outbox._row(r) for r in rows), key=lambda r: (r.created_at, r.id))

    # -- articles -----------------------------------------------------------------------------

    def seen_urls(self, canonical_urls: list[str]) -> set[str]:
        if not canonical_urls:
            return set()
        with self._connection() as conn:
            rows = conn.execute("SELECT canonical_url FROM articles WHERE canonical_url = ANY(%s)",
                                [canonical_urls]).fetchall()
        return {r[0] for r in rows}

    def _insert_article(self, conn: Conn, article: NewArticle) -> bool:
        """The article and its search entry; False (nothing written) when its id or URL is stored already."""
        cur = conn.execute(
            "INSERT INTO articles (id, canonical_url, url, feed_url, guid, source, title, published, seen_at, text,"
            " summary, language, extraction, fallback_reason, is_seed, in_corpus)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
            [article.article_id, article.canonical_url, article.url, article.feed_url, article.guid, article.source,
             article.extracted.title, format_time(article.published), format_time(article.seen_at),
             article.extracted.text, article.summary, article.extracted.language, article.extracted.method,
             article.extracted.fallback_reason, int(article.is_seed), int(article.in_corpus)],
        )
        if not cur.rowcount:
            return False
        pg_search.index_article(conn, article.article_id, article.extracted.title, article.extracted.text,
                                article.search_terms)
        return True

    @staticmethod
    def _execute(conn: Conn) -> stories.Execute:
        """The shared story statements (written for SQLite) run on this connection."""
        return _SharedStatements(conn)

    def _join_story(self, conn: Conn, article: NewArticle, near_copy_of: str | None,
                    topics: Sequence[str] = ()) -> stories.Placement:
        return stories.join(
            self._execute(conn), article_id=article.article_id, source=article.source,
            title=article.extracted.title, text=article.extracted.text,
            at=stories.article_time(article.published, article.seen_at), near_copy_of=near_copy_of,
            topics=topics, settings=self.story_settings, terms=article.story_terms, cache=self.story_cache,
        )

    def place_in_story(self, title: str, text: str, at: datetime, near_copy_of: str | None = None
                       ) -> stories.Placement:
        with self._connection() as conn:
            return stories.place(self._execute(conn), title, text, at, near_copy_of, self.story_settings,
                                 cache=self.story_cache)

    def stories(self, limit: int = 50, topic: str | None = None) -> list[dict[str, Any]]:
        with self._connection() as conn:
            return stories.recent_stories(self._execute(conn), limit, topic)

    def story(self, story_id: str) -> dict[str, Any] | None:
        with self._connection() as conn:
            return stories.story_detail(self._execute(conn), story_id)

    def record_article(
        self,
        article: NewArticle,
        decision: Decision,
        alerts: Sequence[Alert] = (),
        channels_for: Callable[[str], Sequence[str]] = lambda topic: (),
        per_story: Callable[[str], bool] = lambda channel: False,
    ) -> int:
        with self._connection() as conn:
            if not self._insert_article(conn, article):
                return 0
            placed = self._join_story(conn, article, decision.duplicate_of, [t.name for t in decision.matched_topics])
            conn.execute(
                "INSERT INTO decisions (article_id, decided_at, duplicate_of, similarity, duplicate_kind,"
                " duplicate_passage, matched_topics, topics_json) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                [decision.article_id, format_time(article.seen_at), decision.near_copy.duplicate_of,
                 decision.near_copy.similarity, decision.near_copy.kind, decision.near_copy.passage,
                 ",".join(t.name for t in decision.matched_topics),
                 json.dumps([t.to_json() for t in decision.topics], ensure_ascii=False)],
            )
            original = decision.duplicate_of
            if original is not None and conn.execute(
                "SELECT 1 FROM alerts WHERE article_id = %s LIMIT 1", [original]
            ).fetchone():
                conn.execute(
                    "INSERT INTO alert_also_published (article_id, copy_article_id, source, url, recorded_at)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    [original, article.article_id, article.source, article.url, format_time(article.seen_at)],
                )
            if article.in_corpus:
                # In the article's transaction, under the decide lock: a worker checking a copy of it
                # right after the commit finds it (the caller's own add afterwards changes nothing).
                self.corpus_index.add(article.article_id, article.extracted.text)
            queued = 0
            for alert in alerts:
                names = channels_for(alert.topic)
                if not self._enqueue_alert(conn, alert, names):
                    continue
                queued += 1
                if placed.choice.story_id is None:
                    continue  # the story starts here: its first alert, on every channel
                for name in dict.fromkeys(names):
                    if per_story(name):
                        stories.route_alert(
                            self._execute(conn), alert_id=alert.alert_id, article_id=alert.article_id,
                            topic=alert.topic, score=alert.score, story_id=placed.choice.story_id, channel=name,
                            delivery_id=outbox.delivery_id(alert.alert_id, name), now=alert.created_at,
                            settings=self.story_settings,
                        )
            return queued

    def _enqueue_alert(self, conn: Conn, alert: Alert, channel_names: Sequence[str]) -> bool:
        evidence = json.dumps(
            [{"group": e.group, "term": e.term, "matched": e.matched, "start": e.start, "sentence": e.sentence}
             for e in alert.evidence],
            ensure_ascii=False,
        )
        stored = conn.execute(
            "INSERT INTO alerts (id, article_id, topic, score, threshold, reason, evidence, title, url, source,"
            " published, snippet, created_at, basis, status) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
            " ON CONFLICT (id) DO NOTHING",
            [alert.alert_id, alert.article_id, alert.topic, alert.score, alert.threshold, alert.reason, evidence,
             alert.title, alert.url, alert.source, format_time(alert.published), alert.snippet,
             format_time(alert.created_at), alert.basis, alert.status],
        ).rowcount
        if stored:
            self._queue(conn, "alert", "alert_id", alert.alert_id, alert.created_at, channel_names)
        return bool(stored)

    # -- pages to fetch again (provisional decisions): the SQL of store/page_retries.py -----------

    @staticmethod
    def _run(conn: Conn) -> page_retries.Run:
        return lambda statement, params: conn.execute(_sql(statement), list(params))

    def queue_page_retry(self, article_id: str, url: str, error: str | None, now: datetime, next_at: datetime) -> None:
        with self._connection() as conn:
            page_retries.queue(self._run(conn), article_id, url, error, now, next_at)

    def due_page_retries(self, now: datetime, limit: int = 100) -> list[PageRetry]:
        with self._connection() as conn:
            return page_retries.due(self._run(conn), now, limit)

    def page_retry_count(self) -> int:
        with self._connection() as conn:
            return page_retries.count(self._run(conn))

    def postpone_page_retry(self, article_id: str, next_at: datetime, error: str | None, tried: bool = True) -> None:
        with self._connection() as conn:
            page_retries.postpone(self._run(conn), article_id, next_at, error, tried)

    def give_up_page_retry(self, article_id: str, why: str, now: datetime) -> tuple[str, ...]:
        with self._connection() as conn:
            return page_retries.give_up(self._run(conn), article_id, why, now)

    def article_alerts(self, article_id: str) -> dict[str, str]:
        with self._connection() as conn:
            return page_retries.alerted(self._run(conn), article_id)

    def settle_page_retry(
        self,
        article_id: str,
        extracted: ExtractedText,
        decision: Decision,
        confirmed: Sequence[TopicResult],
        withdrawn: Sequence[TopicResult],
        new_alerts: Sequence[Alert],
        channels_for: Callable[[str], Sequence[str]],
        now: datetime,
        joins_corpus: bool = False,
    ) -> Settled:
        with self._connection() as conn:
            return page_retries.settle(
                self._run(conn), article_id, extracted, decision, confirmed, withdrawn, new_alerts, now,
                joins_corpus=joins_corpus,
                enqueue_alert=lambda alert: self._enqueue_alert(conn, alert, channels_for(alert.topic)),
                index_search=lambda i, title, text: pg_search.index_article(conn, i, title, text),
            )

    def record_corpus_article(self, article: NewArticle) -> bool:
        with self._connection() as conn:
            if not self._insert_article(conn, article):
                return False
            self._join_story(conn, article, self.corpus_index.check(article.extracted.text).duplicate_of)
            self.corpus_index.add(article.article_id, article.extracted.text)
            return True

    def import_corpus_articles(self, batch: Sequence[NewArticle], skip_near_copies: bool) -> tuple[int, int, int]:
        added = present = near_copies = 0
        with self._connection() as conn:
            for article in batch:
                if conn.execute(
                    "SELECT 1 FROM articles WHERE id = %s OR canonical_url = %s OR (id = %s AND text = %s)",
                    [article.article_id, article.canonical_url, article.guid, article.extracted.text],
                ).fetchone():
                    present += 1
                elif (copy_of := self.corpus_index.check(article.extracted.text).duplicate_of) and skip_near_copies:
                    near_copies += 1
                elif self._insert_article(conn, article):
                    self._join_story(conn, article, copy_of)
                    self.corpus_index.add(article.article_id, article.extracted.text)
                    added += 1
                else:
                    present += 1
        return added, present, near_copies

    def corpus_articles(self, include_all: bool, source: str | None, limit: int | None) -> list[dict[str, Any]]:
        where = [] if include_all else ["in_corpus = 1"]
        params: list[Any] = []
        if source:
            where.append("source = %s")
            params.append(source)
        sql = ("SELECT id, title, text, url, source, published, seen_at, is_seed, in_corpus FROM articles"
               + (f" WHERE {' AND '.join(where)}" if where else "") + ' ORDER BY seen_at COLLATE "C", id')
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            return list(cur.execute(sql, params).fetchall())

    def corpus_sources(self) -> list[tuple[str, int]]:
        with self._connection() as conn:
            rows = conn.execute("SELECT source, count(*) FROM articles WHERE in_corpus = 1 GROUP BY source"
                                " ORDER BY count(*) DESC, source").fetchall()
        return [(str(s), int(n)) for s, n in rows]

    def insert_article(self, db: Any, **fields: Any) -> None:
        extracted = fields.pop("extracted")
        self._insert_article(db, NewArticle(extracted=extracted, **fields))

    def insert_decision(self, db: Any, decision: Decision, now: datetime) -> None:
        raise NotImplementedError("PostgresStore records decisions through record_article")

    def _one(self, conn: Conn, sql: str) -> int:
        row = conn.execute(sql).fetchone()
        return int(row[0]) if row else 0

    def counts(self) -> dict[str, int]:
        with self._connection() as conn:
            return {
                "feeds": self._one(conn, "SELECT count(*) FROM feeds"),
                "articles": self._one(conn, "SELECT count(*) FROM articles"),
                "corpus": self._one(conn, "SELECT count(*) FROM articles WHERE in_corpus = 1"),
                "duplicates": self._one(conn, "SELECT count(*) FROM decisions WHERE duplicate_of IS NOT NULL"),
                "matches": self._one(conn, "SELECT count(*) FROM decisions WHERE matched_topics != ''"),
            }

    def delivery_states(self) -> dict[str, int]:
        with self._connection() as conn:
            rows = conn.execute("SELECT state, count(*) FROM deliveries WHERE kind = 'alert' GROUP BY state")
            return {str(s): int(n) for s, n in rows}

    # -- search and retention -----------------------------------------------------------------

    def search(self, query: search.Query, filters: search.Filters | None = None) -> list[search.Hit]:
        with self._connection() as conn:
            return pg_search.search(conn, query, filters or search.Filters())

    def indexed_count(self) -> int:
        with self._connection() as conn:
            return self._one(conn, "SELECT count(*) FROM search_docs")

    def rebuild_search_index(self) -> int:
        with self._connection() as conn:
            return pg_search.rebuild(conn)

    def prune_texts(self, older_than_days: int, now: datetime, dry_run: bool = False,
                    on_progress: Callable[[int, int], None] | None = None) -> int:
        cutoff = format_time(now - timedelta(days=older_than_days))
        with self._connection() as conn:
            rows = conn.execute(_sql(_PRUNABLE), [cutoff]).fetchall()
            if dry_run:
                return len(rows)
            for done, (article_id, title) in enumerate(rows, start=1):
                conn.execute("UPDATE articles SET text = '', summary = '' WHERE id = %s", [article_id])
                pg_search.index_article(conn, article_id, title or "", "")
                if on_progress is not None:
                    on_progress(done, len(rows))
            return len(rows)


def _masked(url: str) -> str:
    """The URL without its password, for messages."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    info.pop("password", None)
    return psycopg.conninfo.make_conninfo("", **info)
