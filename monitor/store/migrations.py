"""The one schema of the monitor's database: numbered migrations applied in order on open.

PRAGMA user_version holds the number of the last migration applied, so an older database is upgraded
in place, each migration in its own transaction. Append new migrations; never edit one that has shipped
(a database that ran it would not run the edited version).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import sqlite_utils

from monitor.decide.near_copies import COMMON_DF
from monitor.store import outbox, page_retries, search, stories
from monitor.store.times import format_time, parse_time

_SEARCH_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {search.DOCS_TABLE} ("
    " rowid INTEGER PRIMARY KEY,"  # the FTS rowid of the article's entry
    " article_id TEXT NOT NULL UNIQUE REFERENCES articles(id))",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {search.FTS_TABLE} USING fts5("
    " title, body,"
    " tokenize = \"unicode61 remove_diacritics 0 categories 'L* N* M*'\")",
)

_OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
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
);
CREATE INDEX IF NOT EXISTS alerts_article ON alerts(article_id);

CREATE TABLE IF NOT EXISTS alert_also_published (
    article_id      TEXT NOT NULL REFERENCES articles(id),   -- the alerted article
    copy_article_id TEXT NOT NULL REFERENCES articles(id),   -- its near-copy, not alerted again
    source          TEXT NOT NULL,
    url             TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    PRIMARY KEY (article_id, copy_article_id)
);

CREATE TABLE IF NOT EXISTS deliveries (
    id              TEXT PRIMARY KEY,           -- "<alert id>:<channel>"
    alert_id        TEXT NOT NULL REFERENCES alerts(id),
    channel         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0, -- since the last (re)queue
    next_attempt_at TEXT NOT NULL,
    batch_key       TEXT,                       -- rows sent together as one digest message share it
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_channel ON deliveries(channel, state);

CREATE TABLE IF NOT EXISTS delivery_attempts (
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
);
CREATE INDEX IF NOT EXISTS delivery_attempts_delivery ON delivery_attempts(delivery_id);
CREATE INDEX IF NOT EXISTS delivery_attempts_finished ON delivery_attempts(result, finished_at);

-- Feed warnings ("feed.unhealthy") are not about an article, so they have their own tables with the
-- same delivery bookkeeping: one row per (warning, channel), every attempt recorded, dead letter at the end.
CREATE TABLE IF NOT EXISTS feed_warnings (
    id                   TEXT PRIMARY KEY,      -- FeedWarning.warning_id: stable, the idempotency key
    feed_url             TEXT NOT NULL,
    feed_name            TEXT NOT NULL,
    last_success_at      TEXT,
    since                TEXT NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    last_error           TEXT,
    created_at           TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feed_warning_deliveries (
    id              TEXT PRIMARY KEY,           -- "<warning id>:<channel>"
    warning_id      TEXT NOT NULL REFERENCES feed_warnings(id),
    channel         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT
);
CREATE INDEX IF NOT EXISTS feed_warning_deliveries_due ON feed_warning_deliveries(state, next_attempt_at);
CREATE TABLE IF NOT EXISTS feed_warning_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL REFERENCES feed_warning_deliveries(id),
    message_id  TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    result      TEXT NOT NULL,
    status_code INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS channel_state (
    channel     TEXT PRIMARY KEY,
    target      TEXT NOT NULL,                  -- where it pointed when disabled; a new URL re-enables
    disabled_at TEXT NOT NULL,
    reason      TEXT NOT NULL
);
"""

# The near-copy index (see corpus_index.py for what each table holds).
_CORPUS_INDEX_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS corpus_docs ("
    " seq INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, text_hash TEXT NOT NULL,"
    " n_shingles INTEGER NOT NULL, shingles BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS corpus_docs_text_hash ON corpus_docs (text_hash)",
    "CREATE TABLE IF NOT EXISTS corpus_fingerprints ("
    " fp INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (fp, seq)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS corpus_fp_df (fp INTEGER PRIMARY KEY, df INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS corpus_common (fp INTEGER PRIMARY KEY)",
)


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
    """Full-text search, the ops heartbeat row, and views for browsing with Datasette."""
    for statement in _SEARCH_SCHEMA:
        db.execute(statement)
    search.rebuild(db.conn)  # index the articles an older database already holds
    # /healthz proves the database writable by rewriting this one row (a real write, not just a lock).
    db.execute("CREATE TABLE IF NOT EXISTS ops_heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL)")
    # Views may name the outbox tables before migration 3 creates them: SQLite resolves on use.
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



def _migration_3(db: sqlite_utils.Database) -> None:
    """The outbox and near-copy index tables, which older versions created outside this chain on every
    start (IF NOT EXISTS: such a database already has them, with their rows)."""
    for statement in _OUTBOX_SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
    for statement in _CORPUS_INDEX_SCHEMA:
        db.execute(statement)
    # A corpus built before corpus_common existed has it empty: fill it from the document frequencies, or
    # every lookup keeps probing stock phrases (measured at 1M: 4,668 posting rows read per lookup, not 31).
    if db.execute("SELECT 1 FROM corpus_common LIMIT 1").fetchone() is None:
        db.execute("INSERT OR IGNORE INTO corpus_common (fp) SELECT fp FROM corpus_fp_df WHERE df > ?", [COMMON_DF])


# Times the store tables wrote as "+00:00" to the second; the outbox tables already use the one format.
_STORE_TIME_COLUMNS = {
    "feeds": ("created_at", "next_poll_at", "last_polled_at", "last_success_at"),
    "articles": ("published", "seen_at"),
    "decisions": ("decided_at",),
}


def _rewrite_time(value: str | None) -> str | None:
    try:
        return format_time(parse_time(value))
    except ValueError:  # not a time at all: left as it is rather than lost
        return value


def _migration_4(db: sqlite_utils.Database) -> None:
    """Every stored time in the one format of times.py."""
    db.conn.create_function("monitor_time", 1, _rewrite_time, deterministic=True)
    for table, columns in _STORE_TIME_COLUMNS.items():
        for column in columns:
            db.execute(
                f"UPDATE {table} SET {column} = monitor_time({column})"
                f" WHERE {column} IS NOT NULL AND {column} NOT LIKE '____-__-__T__:__:__.______Z'"
            )


def _migration_5(db: sqlite_utils.Database) -> None:
    """One deliveries table (and one attempts table) for alerts and feed warnings: the per-kind tables of
    migration 3 are moved into them, rows kept (see outbox.migrate_unified_deliveries)."""
    outbox.migrate_unified_deliveries(db.conn)  # joins this migration's transaction
    for statement in outbox._SCHEMA.split(";\n"):  # the shared tables on a database that had none to move
        if statement.strip():
            db.execute(statement)


_DESK_SCHEMA = """
-- An analyst's judgement of one (article, topic): relevant or not. kind 'alert' judges an alert the monitor
-- raised, 'missed' says the article should have matched a topic it did not. One row per user and pair: a
-- changed mind replaces the earlier judgement.
CREATE TABLE IF NOT EXISTS desk_feedback (
    article_id TEXT NOT NULL REFERENCES articles(id),
    topic      TEXT NOT NULL,
    user       TEXT NOT NULL,
    relevant   INTEGER NOT NULL CHECK (relevant IN (0, 1)),
    kind       TEXT NOT NULL CHECK (kind IN ('alert', 'missed')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (article_id, topic, user)
);
CREATE INDEX IF NOT EXISTS desk_feedback_topic ON desk_feedback(topic);
CREATE TABLE IF NOT EXISTS desk_reads (
    user     TEXT NOT NULL,
    alert_id TEXT NOT NULL REFERENCES alerts(id),
    read_at  TEXT NOT NULL,
    PRIMARY KEY (user, alert_id)
);
-- The inbox lists alerts newest first, by topic or not: without these it sorts every alert per page.
CREATE INDEX IF NOT EXISTS desk_alerts_created ON alerts(created_at, id);
CREATE INDEX IF NOT EXISTS desk_alerts_topic_created ON alerts(topic, created_at, id);
CREATE INDEX IF NOT EXISTS desk_alerts_source_created ON alerts(source, created_at, id);
-- An article's later near-copies ("also published by"). Partial: most articles copy nothing, and a full index
-- on a mostly-NULL column looks useless to the planner once ANALYZE has run, so it would scan every decision.
CREATE INDEX IF NOT EXISTS desk_decisions_copies ON decisions(duplicate_of) WHERE duplicate_of IS NOT NULL;
"""


def _migration_6(db: sqlite_utils.Database) -> None:
    """The analysts' desk: feedback, read marks, and the indexes its inbox and article pages need."""
    for statement in _DESK_SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)


def _migration_7(db: sqlite_utils.Database) -> None:
    """Stories (store/stories.py): stories, their members, the open stories' terms and the term
    frequencies. Articles stored before have no story; they are not replayed (their time has passed)."""
    for statement in stories.SCHEMA:
        db.execute(statement)


def _migration_8(db: sqlite_utils.Database) -> None:
    """Provisional decisions: the page retry queue, an alert's basis and status, withdrawal deliveries."""
    for statement in page_retries.SQLITE_SCHEMA:
        db.execute(statement)
    for table, column, declaration in page_retries.SQLITE_COLUMNS:
        if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def _migration_9(db: sqlite_utils.Database) -> None:
    """The stories tables again (each statement creates only what is missing): a database upgraded while
    migration 7 was still an empty placeholder has user_version past it without them."""
    _migration_7(db)


def _migration_10(db: sqlite_utils.Database) -> None:
    """Stories written cheaper (store/stories.py): a version on each story row and the writers' stamp on
    story_docs, which let a process trust what it keeps in memory; story_df rebuilt keyed by term alone;
    story_terms without its index by story."""
    for table, column, declaration in stories.VERSION_COLUMNS:
        if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    for statement in stories.SQLITE_DF_REBUILD:
        db.execute(statement)
    db.execute(stories.DROP_TERMS_BY_STORY)


def _migration_11(db: sqlite_utils.Database) -> None:
    """Stories merged into another found by an index (a merge repoints them)."""
    db.execute(stories.MERGED_INDEX)


def _migration_12(db: sqlite_utils.Database) -> None:
    """The open stories' term index held in memory (story_terms dropped) and the term counts logged per
    article, folded in batches; story rows numbered by the article that last wrote them."""
    added = False
    for table, column in stories.MEMORY_INDEX_COLUMNS:  # a database re-run from an older user_version has them
        if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")
            added = True
    for statement in stories.MEMORY_INDEX_STATEMENTS[0 if added else 1 :]:
        db.execute(statement.format(big_integer="INTEGER"))


# Append new migrations here; never edit one that has shipped.
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
    _migration_7,
    _migration_8,
    _migration_9,
    _migration_10,
    _migration_11,
    _migration_12,
)
LATEST_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database) -> None:
    """Apply the migrations this database has not had yet, each in its own transaction."""
    version = schema_version(db.conn)
    if version >= len(MIGRATIONS):
        return
    # Foreign keys off while tables are rebuilt (SQLite's documented procedure; the pragma has no effect
    # inside a transaction, hence around them), then back as the connection had them.
    foreign_keys = int(db.execute("PRAGMA foreign_keys").fetchone()[0])
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        for number, migration in enumerate(MIGRATIONS, start=1):
            if number > version:
                with db.atomic():
                    migration(db)
                    db.execute(f"PRAGMA user_version = {number}")
    finally:
        db.execute(f"PRAGMA foreign_keys = {foreign_keys}")
