"""The page retry queue and what settles it: articles decided provisionally on their feed headline/summary
because their page failed temporarily, fetched again until the page arrives or the retry time runs out.

The SQL is written once for both backends: each function takes `run(sql, params)` (sqlite3's
`Connection.execute`, or the PostgreSQL store's adapter of it) and runs in the caller's transaction.
    queue(run, article_id, url, error, now, next_at)        due(run, now, limit) -> [PageRetry]
    postpone(run, article_id, next_at, error, tried)        give_up(run, article_id, why, now) -> topics
    alerted(run, article_id) -> {topic: status}             settle(run, ...) -> Settled
A withdrawal is delivered as a row of `deliveries` for the withdrawn alert with event 'alert.withdrawn'
and id "<alert id>~withdrawn:<channel>", one per channel the alert was queued for.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor.models import Alert, Decision, ExtractedText, TopicResult
from monitor.store.outbox import WITHDRAWN_EVENT
from monitor.store.times import format_time, parse_time

Run = Callable[[str, Sequence[Any]], Any]

SQLITE_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS page_retries (
    article_id      TEXT PRIMARY KEY REFERENCES articles(id),
    url             TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,  -- fetches made since the first failure
    first_failed_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT
)""",
    "CREATE INDEX IF NOT EXISTS page_retries_due ON page_retries(next_attempt_at)",
)
# (table, column, declaration): added where missing, so the migration can run again on a database that
# has them (SQLite has no ADD COLUMN IF NOT EXISTS).
SQLITE_COLUMNS = (
    ("alerts", "basis", "TEXT NOT NULL DEFAULT 'full'"),
    ("alerts", "status", "TEXT NOT NULL DEFAULT 'final'"),
    ("alerts", "settled_at", "TEXT"),
    ("alerts", "settled_reason", "TEXT NOT NULL DEFAULT ''"),
    ("deliveries", "event", "TEXT"),  # NULL: the row's kind's own event (alert.created)
)

POSTGRES_SCHEMA = (
    """CREATE TABLE page_retries (
    article_id      TEXT PRIMARY KEY REFERENCES articles(id),
    url             TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    first_failed_at TEXT COLLATE "C" NOT NULL,
    next_attempt_at TEXT COLLATE "C" NOT NULL,
    last_error      TEXT
)""",
    "CREATE INDEX page_retries_due ON page_retries (next_attempt_at)",
    "ALTER TABLE alerts ADD COLUMN IF NOT EXISTS basis TEXT NOT NULL DEFAULT 'full'",
    "ALTER TABLE alerts ADD COLUMN IF NOT EXISTS status TEXT NOT NULL DEFAULT 'final'",
    'ALTER TABLE alerts ADD COLUMN IF NOT EXISTS settled_at TEXT COLLATE "C"',
    "ALTER TABLE alerts ADD COLUMN IF NOT EXISTS settled_reason TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS event TEXT",
)


@dataclass(frozen=True)
class PageRetry:
    """A queued page with what its article was decided on so far (the feed's title and summary)."""

    article_id: str
    canonical_url: str
    url: str
    feed_url: str | None
    source: str
    title: str
    summary: str
    feed_text: str
    published: datetime | None
    in_corpus: bool
    attempts: int
    first_failed_at: datetime
    next_attempt_at: datetime
    last_error: str | None


@dataclass(frozen=True)
class Settled:
    confirmed: tuple[str, ...]  # alert ids
    withdrawn: tuple[str, ...]  # alert ids, each with a withdrawal queued on its channels
    raised: int  # new alerts queued


def queue(run: Run, article_id: str, url: str, error: str | None, now: datetime, next_at: datetime) -> None:
    run(
        "INSERT INTO page_retries (article_id, url, attempts, first_failed_at, next_attempt_at, last_error)"
        " VALUES (?, ?, 0, ?, ?, ?) ON CONFLICT (article_id) DO NOTHING",
        [article_id, url, format_time(now), format_time(next_at), error],
    )


def due(run: Run, now: datetime, limit: int) -> list[PageRetry]:
    rows = run(
        "SELECT r.article_id, a.canonical_url, r.url, a.feed_url, a.source, a.title, a.summary, a.text, a.published,"
        " a.in_corpus, r.attempts, r.first_failed_at, r.next_attempt_at, r.last_error"
        " FROM page_retries r JOIN articles a ON a.id = r.article_id"
        " WHERE r.next_attempt_at <= ? ORDER BY r.next_attempt_at, r.article_id LIMIT ?",
        [format_time(now), int(limit)],
    ).fetchall()
    epoch = datetime.min.replace(tzinfo=UTC)
    return [
        PageRetry(
            article_id=r[0],
            canonical_url=r[1],
            url=r[2],
            feed_url=r[3],
            source=r[4],
            title=r[5] or "",
            summary=r[6] or "",
            feed_text=r[7] or "",
            published=parse_time(r[8]),
            in_corpus=bool(r[9]),
            attempts=int(r[10]),
            first_failed_at=parse_time(r[11]) or epoch,
            next_attempt_at=parse_time(r[12]) or epoch,
            last_error=r[13],
        )
        for r in rows
    ]


def count(run: Run) -> int:
    return int(run("SELECT count(*) FROM page_retries", []).fetchone()[0])


def postpone(run: Run, article_id: str, next_at: datetime, error: str | None, tried: bool = True) -> None:
    """Due again at `next_at`; `tried`: a fetch was made (it counts towards the backoff)."""
    run(
        "UPDATE page_retries SET attempts = attempts + ?, next_attempt_at = ?, last_error = ? WHERE article_id = ?",
        [int(tried), format_time(next_at), error, article_id],
    )


def drop(run: Run, article_id: str) -> None:
    run("DELETE FROM page_retries WHERE article_id = ?", [article_id])


def give_up(run: Run, article_id: str, why: str, now: datetime) -> tuple[str, ...]:
    """The page is not fetched again: the article's provisional alerts become 'unconfirmed' (they stand as
    sent, never decided on the page) and the retry leaves the queue. Returns their topics."""
    topics = tuple(str(r[0]) for r in run(
        "SELECT topic FROM alerts WHERE article_id = ? AND status = 'provisional' ORDER BY topic", [article_id]
    ).fetchall())
    run(
        "UPDATE alerts SET status = 'unconfirmed', settled_at = ?, settled_reason = ?"
        " WHERE article_id = ? AND status = 'provisional'",
        [format_time(now), why, article_id],
    )
    drop(run, article_id)
    return topics


def alerted(run: Run, article_id: str) -> dict[str, str]:
    """topic -> status of the article's alerts."""
    return {str(t): str(s) for t, s in run("SELECT topic, status FROM alerts WHERE article_id = ?", [article_id])
            .fetchall()}


def settle(
    run: Run,
    article_id: str,
    extracted: ExtractedText,
    decision: Decision,
    confirmed: Sequence[TopicResult],
    withdrawn: Sequence[TopicResult],
    new_alerts: Sequence[Alert],
    now: datetime,
    *,
    joins_corpus: bool,
    enqueue_alert: Callable[[Alert], bool],
    index_search: Callable[[str, str, str], None],
) -> Settled:
    """The page's text replaces the feed's: article, search entry and decision; provisional alerts are
    confirmed or withdrawn (a withdrawal queued on every channel the alert was queued for); new alerts are
    queued; the retry leaves the queue. All in the caller's transaction."""
    stamp = format_time(now)
    run(
        "UPDATE articles SET title = ?, text = ?, language = ?, extraction = ?, fallback_reason = NULL WHERE id = ?",
        [extracted.title, extracted.text, extracted.language, extracted.method, article_id],
    )
    index_search(article_id, extracted.title, extracted.text)
    if joins_corpus:
        run("UPDATE articles SET in_corpus = 1 WHERE id = ?", [article_id])
    run(
        "UPDATE decisions SET decided_at = ?, duplicate_of = ?, similarity = ?, duplicate_kind = ?,"
        " duplicate_passage = ?, matched_topics = ?, topics_json = ? WHERE article_id = ?",
        [
            stamp,
            decision.near_copy.duplicate_of,
            decision.near_copy.similarity,
            decision.near_copy.kind,
            decision.near_copy.passage,
            ",".join(t.name for t in decision.matched_topics),
            json.dumps([t.to_json() for t in decision.topics], ensure_ascii=False),
            article_id,
        ],
    )
    confirmed_ids = _settle_alerts(run, article_id, confirmed, "confirmed", stamp)
    withdrawn_ids = _settle_alerts(run, article_id, withdrawn, "withdrawn", stamp)
    for alert_id in withdrawn_ids:
        channels = [r[0] for r in run(
            "SELECT channel FROM deliveries WHERE alert_id = ? AND event IS NULL ORDER BY channel", [alert_id]
        ).fetchall()]
        for channel in channels:
            run(
                "INSERT INTO deliveries (id, kind, alert_id, channel, state, attempts, next_attempt_at, created_at,"
                " updated_at, event) VALUES (?, 'alert', ?, ?, 'pending', 0, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                [withdrawal_delivery_id(alert_id, channel), alert_id, channel, stamp, stamp, stamp, WITHDRAWN_EVENT],
            )
    raised = sum(enqueue_alert(alert) for alert in new_alerts)
    drop(run, article_id)
    return Settled(confirmed_ids, withdrawn_ids, raised)


def withdrawal_delivery_id(alert_id: str, channel: str) -> str:
    return f"{alert_id}~withdrawn:{channel}"


def _settle_alerts(
    run: Run, article_id: str, results: Sequence[TopicResult], status: str, stamp: str
) -> tuple[str, ...]:
    ids: list[str] = []
    for result in results:
        found = run(
            "SELECT id FROM alerts WHERE article_id = ? AND topic = ? AND status = 'provisional'",
            [article_id, result.name],
        ).fetchone()
        if found is None:
            continue
        run(
            "UPDATE alerts SET status = ?, settled_at = ?, settled_reason = ? WHERE id = ?",
            [status, stamp, result.reason, found[0]],
        )
        ids.append(str(found[0]))
    return tuple(ids)
