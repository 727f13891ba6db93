"""What the analysts' desk reads and writes: alerts for the inbox, articles with their decision, feed health,
deliveries, and the desk's own tables (analysts' feedback, who has read which alert).

The database is the SQLite file (a Path) or, when [storage] url is set, the PostgreSQL URL (a str): the same
statements run on both through store/postgres/qmark.py (the table column "user" is quoted, a reserved word
there); search goes to each backend's own index.

INTERFACE used by monitor.desk (every function takes an open connection; writes commit nothing unless
named `*_now` or run inside `write(conn)`):
    prepare(database)                          the schema brought up to date, once before serving
    Connections(database).connection()         one per request: the desk's threads never share one
    connect(database) -> sqlite3.Connection    one for a command
    search(conn, Query, Filters) -> list[Hit]
    inbox(conn, InboxQuery) -> list[InboxRow]      per alert, or per story and topic (by_story)
    stories(conn, topic, limit, offset) / story(conn, id) / story_of(conn, article_id)
    article(conn, article_id) -> ArticleView | None
    record_feedback / feedback_for / labelled_records / topic_feedback
    feeds(conn, since) / set_feed_enabled / add_feed
    deliveries(conn, DeliveryQuery) / retry_deliveries
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.models import Evidence
from monitor.store import outbox
from monitor.store import search as sqlite_search
from monitor.store import stories as story_store
from monitor.store.connection import open_read_write
from monitor.store.times import format_time

Connection = sqlite3.Connection  # what the desk passes around, without importing the driver itself
Database = Path | str  # the SQLite file, or a PostgreSQL URL


def prepare(database: Database) -> None:
    """Bring the schema up to date (the desk's tables are part of both migration chains)."""
    if isinstance(database, Path):
        connect(database).close()
        return
    import psycopg  # only when PostgreSQL is configured

    from monitor.store.postgres.qmark import PostgresError
    from monitor.store.postgres.schema import migrate

    try:
        with psycopg.connect(database, connect_timeout=10) as conn:
            migrate(conn)
    except psycopg.Error as exc:
        raise PostgresError(f"{type(exc).__name__}: {exc}".strip()) from exc


def connect(database: Database) -> sqlite3.Connection:
    """A connection in autocommit mode: reads see the latest commit, writes go through `write`. On SQLite the
    schema is brought up to date first; on PostgreSQL `prepare` did that once."""
    if isinstance(database, str):
        from monitor.store.postgres.qmark import connect as connect_postgres

        return connect_postgres(database, 30.0, autocommit=True)
    open_read_write(database).conn.close()
    conn = sqlite3.connect(str(database), timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")  # as the store's own connection (WAL): no fsync per commit
    return conn


class Connections:
    """Where each desk request gets its connection: a new one on the SQLite file (cheap), a pooled one on
    PostgreSQL (a new connection there costs a server process, ≈ 12 ms a request on this machine)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._pool: Any = None  # a postgres.qmark.QmarkPool, made at the first request
        self._lock = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        if isinstance(self.database, Path):
            conn = connect(self.database)
            try:
                yield conn
            finally:
                conn.close()
            return
        with self._lock:
            if self._pool is None:
                from monitor.store.postgres.qmark import QmarkPool

                self._pool = QmarkPool(self.database)
        with self._pool.connection() as pooled:
            yield pooled

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None


def probe(conn: sqlite3.Connection) -> None:
    """Raise when the database cannot be read (the desk's /healthz)."""
    conn.execute("SELECT 1 FROM articles LIMIT 1").fetchall()


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One transaction taking the write lock up front (as the store's own), committed on success."""
    # SQLite: the write lock up front; PostgreSQL's row locks need no such step
    conn.execute("BEGIN IMMEDIATE" if isinstance(conn, sqlite3.Connection) else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def search(conn: sqlite3.Connection, query: sqlite_search.Query,
           filters: sqlite_search.Filters) -> list[sqlite_search.Hit]:
    """The backend's own full-text search: SQLite's FTS5 index, or PostgreSQL's tsvector one, on the same
    normalised terms."""
    if isinstance(conn, sqlite3.Connection):
        return sqlite_search.search(conn, query, filters)
    from monitor.store.postgres import search as postgres_search
    from monitor.store.postgres.qmark import psycopg_of

    return postgres_search.search(psycopg_of(conn), query, filters)


def parse_time(value: str | None) -> datetime | None:
    """Either stored form ("…Z" in the outbox, "…+00:00" in articles) as an aware UTC datetime."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _evidence(raw: str | None) -> tuple[Evidence, ...]:
    return tuple(Evidence(**e) for e in json.loads(raw or "[]"))


# --- inbox -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxQuery:
    user: str
    topic: str | None = None
    source: str | None = None
    since: str | None = None  # ISO date (alert time, UTC)
    until: str | None = None  # ISO date, inclusive
    read: bool | None = None  # True read only, False unread only, None both
    limit: int = 50
    offset: int = 0
    by_story: bool = False  # one row per story and topic (the story's first alert) instead of one per alert


@dataclass(frozen=True)
class InboxRow:
    alert_id: str
    article_id: str
    topic: str
    score: float
    threshold: float
    reason: str
    evidence: tuple[Evidence, ...]
    title: str
    url: str
    source: str
    published: datetime | None
    created_at: datetime
    read: bool
    also_published: int
    feedback: bool | None  # this user's judgement of the alert, if any
    status: str = "final"  # Alert.status: final, provisional, confirmed or withdrawn
    basis: str = "full"  # what it was decided on: headline, summary or full
    story_id: str = ""  # the story the article joined (its first article's id); the article's own id before stories
    story_size: int = 1  # articles in that story
    story_sources: int = 1  # outlets among them
    # grouped by story: every alert of this story and topic the filters keep (this one first), how many of them
    # this user has not read, and the latest few others (article id, title, source), newest first
    group_alert_ids: tuple[str, ...] = ()
    group_unread: int = 0
    group_latest: tuple[tuple[str, str, str], ...] = ()
    group_last_at: datetime | None = None

    @property
    def group_size(self) -> int:
        return len(self.group_alert_ids) or 1


GROUP_LATEST = 3  # later reports named under a story's row in the grouped inbox


def _inbox_filters(query: InboxQuery) -> tuple[list[str], list[Any]]:
    """The WHERE clauses of the filters other than read state, over `al` (alerts)."""
    where: list[str] = []
    params: list[Any] = []
    if query.topic:
        where.append("al.topic = ?")
        params.append(query.topic)
    if query.source:
        where.append("al.source = ?")
        params.append(query.source)
    if query.since:
        where.append("al.created_at >= ?")
        params.append(query.since)
    if query.until:
        # a bare date means the whole day: that day's stamps sort below date + "~"
        where.append("al.created_at <= ?")
        params.append(query.until + "~" if len(query.until) == 10 else query.until)
    return where, params


_ROW_COLUMNS = (
    "SELECT al.id, al.article_id, al.topic, al.score, al.threshold, al.reason, al.evidence, al.title, al.url,"
    " al.source, al.published, al.created_at, r.alert_id IS NOT NULL,"
    " (SELECT count(*) FROM alert_also_published p WHERE p.article_id = al.article_id),"
    " f.relevant, al.status, al.basis, COALESCE(m.story_id, al.article_id)"
    " FROM alerts al"
    ' LEFT JOIN desk_reads r ON r.alert_id = al.id AND r."user" = ?'
    ' LEFT JOIN desk_feedback f ON f.article_id = al.article_id AND f.topic = al.topic AND f."user" = ?'
    " LEFT JOIN story_members m ON m.article_id = al.article_id"
)


def _row(r: Sequence[Any]) -> InboxRow:
    return InboxRow(
        alert_id=r[0], article_id=r[1], topic=r[2], score=r[3], threshold=r[4], reason=r[5],
        evidence=_evidence(r[6]), title=r[7], url=r[8], source=r[9], published=parse_time(r[10]),
        created_at=parse_time(r[11]) or datetime.min.replace(tzinfo=UTC), read=bool(r[12]),
        also_published=r[13], feedback=None if r[14] is None else bool(r[14]), status=r[15], basis=r[16],
        story_id=r[17],
    )


def inbox(conn: sqlite3.Connection, query: InboxQuery) -> list[InboxRow]:
    """The alerts the filters keep, newest first; with `by_story`, one row per story and topic instead (the
    story's first alert, with the group's alert ids and latest reports), the story with the latest alert first."""
    rows = _inbox_by_story(conn, query) if query.by_story else _inbox_by_alert(conn, query)
    return _with_story_sizes(conn, rows)


def _inbox_by_alert(conn: sqlite3.Connection, query: InboxQuery) -> list[InboxRow]:
    where, params = _inbox_filters(query)
    if query.read is not None:
        where.append("r.alert_id IS NOT NULL" if query.read else "r.alert_id IS NULL")
    sql = (_ROW_COLUMNS + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY al.created_at DESC, al.id DESC LIMIT ? OFFSET ?")
    return [_row(r) for r in conn.execute(sql, [query.user, query.user, *params, query.limit, query.offset])]


def _inbox_by_story(conn: sqlite3.Connection, query: InboxQuery) -> list[InboxRow]:
    """Alerts are read newest first, a chunk at a time through the (created_at, id) index, until the page's
    groups are found, so a page costs about the alerts it shows, not every alert stored. A group's place is its
    latest alert the read filter keeps; "read" keeps groups with no unread alert, "unread" those with one."""
    where, params = _inbox_filters(query)
    read_clause = {None: [], True: ["r.alert_id IS NOT NULL"], False: ["r.alert_id IS NULL"]}[query.read]
    need = query.offset + query.limit
    chunk = max(256, 4 * need)
    seen: set[tuple[str, str]] = set()
    groups: list[list[InboxRow]] = []
    after: tuple[str, str] | None = None
    while len(groups) < need:
        keyset = ["(al.created_at < ? OR (al.created_at = ? AND al.id < ?))"] if after else []
        scanned = conn.execute(
            "SELECT al.id, al.created_at, COALESCE(m.story_id, al.article_id), al.topic FROM alerts al"
            ' LEFT JOIN desk_reads r ON r.alert_id = al.id AND r."user" = ?'
            " LEFT JOIN story_members m ON m.article_id = al.article_id"
            + _where([*where, *read_clause, *keyset])
            + " ORDER BY al.created_at DESC, al.id DESC LIMIT ?",
            [query.user, *params, *([after[0], after[0], after[1]] if after else []), chunk],
        ).fetchall()
        fresh = list(dict.fromkeys((str(r[2]), str(r[3])) for r in scanned if (str(r[2]), str(r[3])) not in seen))
        seen.update(fresh)
        if fresh:
            found = _group_rows(conn, query, where, params, fresh)
            for key in fresh:
                rows = found.get(key)
                if not rows or (query.read is True and not all(r.read for r in rows)):
                    continue  # gone since the scan, or a read group with an alert still unread
                groups.append(rows)
        if len(scanned) < chunk:
            break
        after = (str(scanned[-1][1]), str(scanned[-1][0]))
    out: list[InboxRow] = []
    for rows in groups[query.offset:need]:
        first, later = rows[0], rows[1:]
        out.append(replace(
            first, read=all(r.read for r in rows), group_alert_ids=tuple(r.alert_id for r in rows),
            group_unread=sum(1 for r in rows if not r.read),
            group_latest=tuple((r.article_id, r.title, r.source) for r in reversed(later[-GROUP_LATEST:])),
            group_last_at=max(r.created_at for r in rows),
        ))
    return out


def _where(clauses: Sequence[str]) -> str:
    return " WHERE " + " AND ".join(clauses) if clauses else ""


def _group_rows(conn: sqlite3.Connection, query: InboxQuery, where: Sequence[str], params: Sequence[Any],
                keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[InboxRow]]:
    """Every alert of these (story, topic) groups the filters keep (read state aside), oldest first; found
    through the story's members (an alert stored before stories is its own group, keyed by its article)."""
    story_ids = sorted({story for story, _ in keys})
    marks = ",".join("?" * len(story_ids))
    wanted = set(keys)
    found: dict[tuple[str, str], list[InboxRow]] = defaultdict(list)
    for r in conn.execute(
        _ROW_COLUMNS
        + _where([f"(al.article_id IN (SELECT article_id FROM story_members WHERE story_id IN ({marks}))"
                  f" OR al.article_id IN ({marks}))", *where])
        + " ORDER BY al.created_at, al.id",
        [query.user, query.user, *story_ids, *story_ids, *params],
    ):
        if (r[17], r[2]) in wanted:
            found[(r[17], r[2])].append(_row(r))
    return found


def _story_sizes(conn: sqlite3.Connection, story_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(articles, outlets) of each of these stories that has members."""
    ids = sorted(set(story_ids))
    if not ids:
        return {}
    return {
        str(r[0]): (int(r[1]), int(r[2]))
        for r in conn.execute(
            "SELECT story_id, count(*), count(DISTINCT source) FROM story_members WHERE story_id IN ("
            + ",".join("?" * len(ids)) + ") GROUP BY story_id", ids,
        )
    }


def _with_story_sizes(conn: sqlite3.Connection, rows: list[InboxRow]) -> list[InboxRow]:
    sizes = _story_sizes(conn, [r.story_id for r in rows])
    return [replace(r, story_size=sizes[r.story_id][0], story_sources=sizes[r.story_id][1])
            if r.story_id in sizes else r for r in rows]


def stories(conn: sqlite3.Connection, topic: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    """Stories, latest activity first (store/stories.py's listing, as `monitor stories list` prints it)."""
    return story_store.recent_stories(conn, limit, topic, offset)


def story(conn: sqlite3.Connection, story_id: str) -> dict[str, Any] | None:
    """A story with its members, each with the alerts it raised; a member's article id finds its story too."""
    found = story_store.story_detail(conn, story_id)
    if found is None:
        return None
    alerts: dict[str, list[str]] = defaultdict(list)
    ids = [m["article_id"] for m in found["members"]]
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        for article_id, topic in conn.execute(
            "SELECT article_id, topic FROM alerts WHERE article_id IN (" + ",".join("?" * len(part)) + ")"
            " ORDER BY topic", part,
        ):
            alerts[str(article_id)].append(str(topic))
    for member in found["members"]:
        member["alert_topics"] = alerts.get(member["article_id"], [])
    return found


def story_of(conn: sqlite3.Connection, article_id: str) -> tuple[str, int, int] | None:
    """(story id, articles, outlets) of the story an article joined."""
    story_id = story_store.story_of(conn, article_id)
    if story_id is None:
        return None
    articles, outlets = _story_sizes(conn, [story_id])[story_id]
    return story_id, articles, outlets


def alert_topics(conn: sqlite3.Connection) -> list[str]:
    """Topics that have alerts (walks the topic index, one step per topic)."""
    topics: list[str] = []
    row = conn.execute("SELECT min(topic) FROM alerts").fetchone()
    while row and row[0] is not None:
        topics.append(row[0])
        row = conn.execute("SELECT min(topic) FROM alerts WHERE topic > ?", (row[0],)).fetchone()
    return topics


def source_names(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT name FROM feeds ORDER BY name")]


def mark_read(conn: sqlite3.Connection, user: str, alert_ids: Sequence[str], now: datetime) -> None:
    conn.executemany(
        'INSERT INTO desk_reads ("user", alert_id, read_at) SELECT ?, id, ? FROM alerts WHERE id = ?'
        " ON CONFLICT DO NOTHING",
        [(user, format_time(now), a) for a in alert_ids],
    )


def mark_article_read(conn: sqlite3.Connection, user: str, article_id: str, now: datetime) -> None:
    conn.execute(
        'INSERT INTO desk_reads ("user", alert_id, read_at) SELECT ?, id, ? FROM alerts WHERE article_id = ?'
        " ON CONFLICT DO NOTHING",
        (user, format_time(now), article_id),
    )


# --- one article -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicDecision:
    name: str
    matched: bool
    score: float
    threshold: float
    reason: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Copy:
    article_id: str
    title: str
    source: str
    url: str


@dataclass(frozen=True)
class ArticleView:
    article_id: str
    title: str
    text: str
    summary: str
    url: str
    source: str
    feed_url: str | None
    published: datetime | None
    seen_at: datetime | None
    extraction: str
    fallback_reason: str | None
    decided_at: datetime | None
    duplicate_of: Copy | None
    similarity: float
    duplicate_kind: str
    duplicate_passage: str
    topics: tuple[TopicDecision, ...]
    alert_ids: tuple[str, ...]
    also_published: tuple[Copy, ...]  # near-copies of this article found later
    feedback: tuple[Feedback, ...] = field(default=())


def _copy(conn: sqlite3.Connection, article_id: str | None) -> Copy | None:
    if not article_id:
        return None
    row = conn.execute(
        "SELECT id, title, source, COALESCE(url, '') FROM articles WHERE id = ?", (article_id,)
    ).fetchone()
    return Copy(*row) if row else Copy(article_id, "", "", "")


def article(conn: sqlite3.Connection, article_id: str) -> ArticleView | None:
    row = conn.execute(
        "SELECT a.id, a.title, a.text, COALESCE(a.summary, ''), COALESCE(a.url, ''), a.source, a.feed_url,"
        " a.published, a.seen_at, a.extraction, a.fallback_reason, d.decided_at, d.duplicate_of,"
        " COALESCE(d.similarity, 0), COALESCE(d.duplicate_kind, 'none'), COALESCE(d.duplicate_passage, ''),"
        " COALESCE(d.topics_json, '[]')"
        " FROM articles a LEFT JOIN decisions d ON d.article_id = a.id WHERE a.id = ?",
        (article_id,),
    ).fetchone()
    if row is None:
        return None
    topics = tuple(
        TopicDecision(t["name"], bool(t["matched"]), float(t["score"]), float(t["threshold"]), t.get("reason", ""),
                      tuple(Evidence(**e) for e in t.get("evidence", [])))
        for t in json.loads(row[16])
    )
    alert_ids = tuple(r[0] for r in conn.execute("SELECT id FROM alerts WHERE article_id = ? ORDER BY id", (row[0],)))
    also = {
        r[0]: Copy(r[0], r[1] or "", r[2], r[3])
        for r in conn.execute(
            "SELECT p.copy_article_id, a.title, p.source, p.url FROM alert_also_published p"
            " LEFT JOIN articles a ON a.id = p.copy_article_id WHERE p.article_id = ? ORDER BY p.recorded_at",
            (row[0],),
        )
    }
    for r in conn.execute(
        "SELECT a.id, a.title, a.source, COALESCE(a.url, '') FROM decisions d JOIN articles a ON a.id = d.article_id"
        " WHERE d.duplicate_of = ? AND d.duplicate_of IS NOT NULL ORDER BY a.seen_at LIMIT 50",
        (row[0],),
    ):
        also.setdefault(r[0], Copy(*r))
    return ArticleView(
        article_id=row[0], title=row[1] or "", text=row[2] or "", summary=row[3], url=row[4], source=row[5] or "",
        feed_url=row[6], published=parse_time(row[7]), seen_at=parse_time(row[8]), extraction=row[9] or "",
        fallback_reason=row[10], decided_at=parse_time(row[11]), duplicate_of=_copy(conn, row[12]),
        similarity=float(row[13]), duplicate_kind=row[14], duplicate_passage=row[15], topics=topics,
        alert_ids=alert_ids, also_published=tuple(also.values()), feedback=feedback_for(conn, row[0]),
    )


def article_exists(conn: sqlite3.Connection, article_id: str) -> bool:
    return conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is not None


# --- feedback ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    article_id: str
    topic: str
    user: str
    relevant: bool
    kind: str  # 'alert' or 'missed'
    created_at: datetime


def record_feedback(
    conn: sqlite3.Connection, article_id: str, topic: str, user: str, relevant: bool, kind: str, now: datetime
) -> None:
    """Store (or replace) this user's judgement of the pair. Runs in the caller's transaction."""
    conn.execute(
        'INSERT INTO desk_feedback (article_id, topic, "user", relevant, kind, created_at) VALUES (?,?,?,?,?,?)'
        ' ON CONFLICT (article_id, topic, "user") DO UPDATE SET relevant = excluded.relevant, kind = excluded.kind,'
        " created_at = excluded.created_at",
        (article_id, topic, user, int(relevant), kind, format_time(now)),
    )


def _feedback_row(r: Sequence[Any]) -> Feedback:
    return Feedback(r[0], r[1], r[2], bool(r[3]), r[4], parse_time(r[5]) or datetime.min.replace(tzinfo=UTC))


_FEEDBACK_COLUMNS = 'article_id, topic, "user", relevant, kind, created_at'


def feedback_for(conn: sqlite3.Connection, article_id: str) -> tuple[Feedback, ...]:
    return tuple(
        _feedback_row(r)
        for r in conn.execute(
            f"SELECT {_FEEDBACK_COLUMNS} FROM desk_feedback WHERE article_id = ? ORDER BY created_at, \"user\"",
            (article_id,),
        )
    )


def list_feedback(conn: sqlite3.Connection, limit: int, offset: int = 0) -> list[Feedback]:
    return [
        _feedback_row(r)
        for r in conn.execute(
            f"SELECT {_FEEDBACK_COLUMNS} FROM desk_feedback ORDER BY created_at DESC, article_id, topic, \"user\""
            " LIMIT ? OFFSET ?",
            (limit, offset),
        )
    ]


def labelled_records(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """One `monitor eval` topic record per judged article: {"task", "id", "title", "text", "labels"}.

    Where analysts disagree on a pair, the latest judgement is the label."""
    rows = conn.execute(
        "SELECT f.article_id, a.title, a.text, f.topic, f.relevant FROM desk_feedback f"
        " JOIN articles a ON a.id = f.article_id"
        " WHERE f.created_at = (SELECT max(g.created_at) FROM desk_feedback g"
        "   WHERE g.article_id = f.article_id AND g.topic = f.topic)"
        ' ORDER BY f.article_id, f.topic, f."user"'
    )
    current: dict[str, Any] | None = None
    for article_id, title, text, topic, relevant in rows:
        if current is None or current["id"] != article_id:
            if current is not None:
                yield current
            current = {"task": "topic", "id": article_id, "title": title or "", "text": text or "", "labels": {}}
        current["labels"].setdefault(topic, bool(relevant))  # same stamp from two users: the first by name
    if current is not None:
        yield current


@dataclass(frozen=True)
class TopicFeedback:
    relevant: int = 0
    not_relevant: int = 0
    missed: int = 0  # articles said to have been missed

    @property
    def precision(self) -> float | None:
        judged = self.relevant + self.not_relevant
        return self.relevant / judged if judged else None


def topic_feedback(conn: sqlite3.Connection) -> dict[str, TopicFeedback]:
    """Per topic, the analysts' judgements of its alerts (precision) and the matches it missed."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for topic, kind, relevant, n in conn.execute(
        "SELECT topic, kind, relevant, count(*) FROM desk_feedback GROUP BY topic, kind, relevant"
    ):
        if kind == "missed":
            counts[topic][2] += n if relevant else 0
        else:
            counts[topic][0 if relevant else 1] += n
    return {t: TopicFeedback(*c) for t, c in counts.items()}


def alerts_per_day(conn: sqlite3.Connection, since: datetime) -> dict[str, dict[str, int]]:
    """topic -> UTC day -> alerts created that day, from `since` on."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for topic, day, n in conn.execute(
        "SELECT topic, substr(created_at, 1, 10), count(*) FROM alerts WHERE created_at >= ? GROUP BY 1, 2",
        (format_time(since),),
    ):
        out[topic][day] = n
    return dict(out)


# --- feeds -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedHealthRow:
    url: str
    name: str
    origin: str
    enabled: bool
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_status: str | None
    last_error: str | None
    consecutive_failures: int
    items_per_day: float | None
    per_day: dict[str, int]  # UTC day -> articles stored from this feed


def feeds(conn: sqlite3.Connection, since: datetime) -> list[FeedHealthRow]:
    per_day: dict[str, dict[str, int]] = defaultdict(dict)
    for feed_url, day, n in conn.execute(
        "SELECT feed_url, substr(seen_at, 1, 10), count(*) FROM articles WHERE feed_url IN (SELECT url FROM feeds)"
        " AND seen_at >= ? GROUP BY 1, 2",
        (format_time(since),),
    ):
        per_day[feed_url][day] = n
    return [
        FeedHealthRow(
            url=r[0], name=r[1], origin=r[2], enabled=bool(r[3]), last_polled_at=parse_time(r[4]),
            last_success_at=parse_time(r[5]), last_status=r[6], last_error=r[7], consecutive_failures=r[8] or 0,
            items_per_day=r[9], per_day=per_day.get(r[0], {}),
        )
        for r in conn.execute(
            "SELECT url, name, origin, enabled, last_polled_at, last_success_at, last_status, last_error,"
            " consecutive_failures, items_per_day FROM feeds ORDER BY name, url"
        )
    ]


def set_feed_enabled(conn: sqlite3.Connection, url: str, enabled: bool) -> bool:
    return conn.execute("UPDATE feeds SET enabled = ? WHERE url = ?", (int(enabled), url)).rowcount > 0


def add_feed(conn: sqlite3.Connection, url: str, name: str, now: datetime) -> str:
    """'added', 're-enabled' or 'exists'. Runs in the caller's transaction."""
    row = conn.execute("SELECT enabled FROM feeds WHERE url = ?", (url,)).fetchone()
    if row is not None:
        if row[0]:
            return "exists"
        conn.execute("UPDATE feeds SET enabled = 1, name = ? WHERE url = ?", (name, url))
        return "re-enabled"
    conn.execute(
        "INSERT INTO feeds (url, name, origin, enabled, created_at, consecutive_failures, items_seen,"
        " possibly_missed_items) VALUES (?, ?, 'desk', 1, ?, 0, 0, 0)",
        (url, name, format_time(now)),
    )
    return "added"


# --- deliveries --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryQuery:
    states: tuple[str, ...] = (outbox.PENDING, outbox.FAILED)
    channel: str | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class DeliveryView:
    delivery: outbox.DeliveryRow
    topic: str
    title: str
    article_id: str
    attempts: tuple[outbox.AttemptRecord, ...]


def deliveries(conn: sqlite3.Connection, query: DeliveryQuery) -> list[DeliveryView]:
    """Alert deliveries in these states, most recently changed first, each with its attempts."""
    marks = ",".join("?" * len(query.states))
    params: list[Any] = list(query.states)
    channel = ""
    if query.channel:
        channel = " AND d.channel = ?"
        params.append(query.channel)
    rows = conn.execute(
        "SELECT d.id, d.kind, d.alert_id, d.channel, d.state, d.attempts, d.next_attempt_at, d.batch_key,"
        " d.created_at, d.delivered_at, d.last_error, COALESCE(al.topic, ''), COALESCE(al.title, ''),"
        " COALESCE(al.article_id, '')"
        " FROM deliveries d LEFT JOIN alerts al ON al.id = d.alert_id"
        f" WHERE d.kind = 'alert' AND d.state IN ({marks}){channel}"
        " ORDER BY d.updated_at DESC, d.id LIMIT ? OFFSET ?",
        [*params, query.limit, query.offset],
    ).fetchall()
    return [
        DeliveryView(
            delivery=outbox.DeliveryRow(
                id=r[0], kind=r[1], payload_id=r[2], channel=r[3], state=r[4], attempts=r[5],
                next_attempt_at=parse_time(r[6]) or datetime.min.replace(tzinfo=UTC), batch_key=r[7],
                created_at=parse_time(r[8]) or datetime.min.replace(tzinfo=UTC), delivered_at=parse_time(r[9]),
                last_error=r[10],
            ),
            topic=r[11], title=r[12], article_id=r[13], attempts=attempts_of(conn, r[0]),
        )
        for r in rows
    ]


def attempts_of(conn: sqlite3.Connection, delivery_id: str) -> tuple[outbox.AttemptRecord, ...]:
    return tuple(
        outbox.AttemptRecord(r[0], parse_time(r[1]) or datetime.min.replace(tzinfo=UTC),
                             parse_time(r[2]) or datetime.min.replace(tzinfo=UTC), r[3], r[4], r[5])
        for r in conn.execute(
            "SELECT message_id, started_at, finished_at, result, status_code, error FROM delivery_attempts"
            " WHERE delivery_id = ? ORDER BY id",
            (delivery_id,),
        )
    )


def delivery_counts(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """channel -> state -> deliveries."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for channel, state, n in conn.execute(
        "SELECT channel, state, count(*) FROM deliveries WHERE kind = 'alert' GROUP BY 1, 2"
    ):
        out[channel][state] = n
    return dict(out)


def retry_deliveries(conn: sqlite3.Connection, ids: Sequence[str], now: datetime) -> list[str]:
    """Queue these failed deliveries again, due now (see outbox.requeue). Runs in the caller's transaction."""
    if not ids:
        return []
    return outbox.requeue(conn, list(ids), now)
