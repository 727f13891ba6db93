"""The PostgreSQL schema: the SQLite tables (migrations.py) with PostgreSQL types, as its own migration chain.

`schema_migrations` holds the number of the last migration applied. Workers starting together take an
advisory lock while migrating, so exactly one of them applies each migration. Times stay the text of
store/times.py (fixed width, string order is time order), so the shared row readers work on both backends;
their columns use the "C" collation so text order is byte order whatever the database's locale.
Append new migrations; never edit one that has shipped.
"""

from __future__ import annotations

from typing import Any

import psycopg

from monitor.store import page_retries, stories
from monitor.store.postgres.locks import MIGRATION_LOCK

_FEEDS_ARTICLES = (
    """CREATE TABLE feeds (
    url                   TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    origin                TEXT NOT NULL,
    enabled               INTEGER NOT NULL DEFAULT 1,
    created_at            TEXT COLLATE "C" NOT NULL,
    etag                  TEXT,
    last_modified         TEXT,
    next_poll_at          TEXT COLLATE "C",
    interval_seconds      DOUBLE PRECISION,
    last_polled_at        TEXT COLLATE "C",
    last_success_at       TEXT COLLATE "C",
    last_status           TEXT,
    last_http_status      INTEGER,
    last_error            TEXT,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    items_seen            INTEGER NOT NULL DEFAULT 0,
    new_items_last_poll   INTEGER,
    items_per_day         DOUBLE PRECISION,
    possibly_missed_items INTEGER NOT NULL DEFAULT 0,
    lease_until           TEXT COLLATE "C",  -- a worker polls the feed until then; past it, another may take it over
    leased_by             TEXT
)""",
    "CREATE INDEX feeds_due ON feeds (next_poll_at) WHERE enabled = 1",
    """CREATE TABLE articles (
    id              TEXT PRIMARY KEY,
    canonical_url   TEXT UNIQUE,
    url             TEXT,
    feed_url        TEXT REFERENCES feeds(url),
    guid            TEXT,
    source          TEXT,
    title           TEXT NOT NULL,
    published       TEXT COLLATE "C",
    seen_at         TEXT COLLATE "C" NOT NULL,
    text            TEXT NOT NULL,
    summary         TEXT,
    language        TEXT,
    extraction      TEXT NOT NULL,
    fallback_reason TEXT,
    is_seed         INTEGER NOT NULL DEFAULT 0,
    in_corpus       INTEGER NOT NULL DEFAULT 0
)""",
    "CREATE INDEX articles_feed_url_seen_at ON articles (feed_url, seen_at)",
    """CREATE TABLE decisions (
    article_id        TEXT PRIMARY KEY REFERENCES articles(id),
    decided_at        TEXT COLLATE "C" NOT NULL,
    duplicate_of      TEXT,
    similarity        DOUBLE PRECISION NOT NULL,
    duplicate_kind    TEXT NOT NULL,
    duplicate_passage TEXT,
    matched_topics    TEXT NOT NULL,
    topics_json       TEXT NOT NULL
)""",
    "CREATE INDEX decisions_duplicate_of ON decisions (duplicate_of)",
    # The search entry: the same normalised, clitic-stripped terms the SQLite FTS index holds (search.terms),
    # as a 'simple' tsvector (no stemming, no stop words: the terms are already what we match on).
    """CREATE TABLE search_docs (
    article_id TEXT PRIMARY KEY REFERENCES articles(id),
    document   TSVECTOR NOT NULL
)""",
    "CREATE INDEX search_docs_document ON search_docs USING GIN (document)",
    "CREATE TABLE ops_heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL)",
)

_OUTBOX = (
    """CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    article_id  TEXT NOT NULL REFERENCES articles(id),
    topic       TEXT NOT NULL,
    score       DOUBLE PRECISION NOT NULL,
    threshold   DOUBLE PRECISION NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    evidence    TEXT NOT NULL,
    title       TEXT NOT NULL,
    url         TEXT NOT NULL,
    source      TEXT NOT NULL,
    published   TEXT COLLATE "C",
    snippet     TEXT NOT NULL DEFAULT '',
    created_at  TEXT COLLATE "C" NOT NULL
)""",
    "CREATE INDEX alerts_article ON alerts (article_id)",
    """CREATE TABLE alert_also_published (
    article_id      TEXT NOT NULL REFERENCES articles(id),
    copy_article_id TEXT NOT NULL REFERENCES articles(id),
    source          TEXT NOT NULL,
    url             TEXT NOT NULL,
    recorded_at     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (article_id, copy_article_id)
)""",
    """CREATE TABLE feed_warnings (
    id                   TEXT PRIMARY KEY,
    feed_url             TEXT NOT NULL,
    feed_name            TEXT NOT NULL,
    last_success_at      TEXT COLLATE "C",
    since                TEXT COLLATE "C" NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    last_error           TEXT,
    created_at           TEXT COLLATE "C" NOT NULL
)""",
    """CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    alert_id        TEXT REFERENCES alerts(id),
    warning_id      TEXT REFERENCES feed_warnings(id),
    channel         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT COLLATE "C" NOT NULL,
    batch_key       TEXT,
    created_at      TEXT COLLATE "C" NOT NULL,
    updated_at      TEXT COLLATE "C" NOT NULL,
    delivered_at    TEXT COLLATE "C",
    last_error      TEXT,
    CHECK ((kind = 'alert' AND alert_id IS NOT NULL AND warning_id IS NULL)
        OR (kind = 'feed_warning' AND warning_id IS NOT NULL AND alert_id IS NULL))
)""",
    """CREATE TABLE delivery_attempts (
    id          BIGSERIAL PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES deliveries(id),
    message_id  TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    started_at  TEXT COLLATE "C" NOT NULL,
    finished_at TEXT COLLATE "C" NOT NULL,
    result      TEXT NOT NULL,
    status_code INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL
)""",
    "CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at)",
    "CREATE INDEX deliveries_channel ON deliveries (channel, state)",
    "CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id)",
    "CREATE INDEX delivery_attempts_finished ON delivery_attempts (result, finished_at)",
    """CREATE TABLE channel_state (
    channel     TEXT PRIMARY KEY,
    target      TEXT NOT NULL,
    disabled_at TEXT COLLATE "C" NOT NULL,
    reason      TEXT NOT NULL
)""",
)

# The near-copy index: the tables of store/corpus_index.py.
_CORPUS_INDEX = (
    """CREATE TABLE corpus_docs (
    seq        BIGSERIAL PRIMARY KEY,
    doc_id     TEXT NOT NULL UNIQUE,
    text_hash  TEXT NOT NULL,
    n_shingles INTEGER NOT NULL,
    shingles   BYTEA NOT NULL
)""",
    "CREATE INDEX corpus_docs_text_hash ON corpus_docs (text_hash)",
    "CREATE TABLE corpus_fingerprints (fp BIGINT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (fp, seq))",
    "CREATE TABLE corpus_fp_df (fp BIGINT PRIMARY KEY, df INTEGER NOT NULL)",
    "CREATE TABLE corpus_common (fp BIGINT PRIMARY KEY)",
)

# Per-host politeness across workers: store/postgres/hosts.py.
_HOSTS = (
    """CREATE TABLE host_slots (
    host   TEXT NOT NULL,
    slot   INTEGER NOT NULL,
    holder TEXT NOT NULL,
    pid    INTEGER NOT NULL,           -- pg_backend_pid() of the session that took it; gone = the slot is free
    until  DOUBLE PRECISION NOT NULL,  -- the server's epoch seconds; past it the slot is free
    PRIMARY KEY (host, slot)
)""",
    "CREATE TABLE host_politeness (host TEXT PRIMARY KEY, next_start DOUBLE PRECISION NOT NULL)",
)

# Stories: the tables of store/stories.py (its statements, with PostgreSQL's types).
_STORIES = (
    """CREATE TABLE stories (
    id               TEXT PRIMARY KEY,
    first_article_id TEXT NOT NULL,
    first_seen       TEXT COLLATE "C" NOT NULL,
    last_seen        TEXT COLLATE "C" NOT NULL,
    size             INTEGER NOT NULL,
    topics           TEXT NOT NULL DEFAULT '',
    centroid         TEXT NOT NULL,
    recent           TEXT NOT NULL,
    merged_into      TEXT,
    indexed          INTEGER NOT NULL DEFAULT 1
)""",
    "CREATE INDEX stories_last_seen ON stories (last_seen)",
    "CREATE INDEX stories_indexed ON stories (last_seen) WHERE indexed = 1",
    """CREATE TABLE story_members (
    article_id TEXT PRIMARY KEY,
    story_id   TEXT NOT NULL,
    similarity DOUBLE PRECISION NOT NULL,
    reason     TEXT NOT NULL,
    source     TEXT NOT NULL,
    joined_at  TEXT COLLATE "C" NOT NULL
)""",
    "CREATE INDEX story_members_story ON story_members (story_id, joined_at)",
    """CREATE TABLE story_terms (
    term      TEXT COLLATE "C" NOT NULL,
    story_id  TEXT NOT NULL,
    PRIMARY KEY (term, story_id)
)""",
    "CREATE INDEX story_terms_story ON story_terms (story_id)",
    'CREATE TABLE story_df (term TEXT COLLATE "C" PRIMARY KEY, df INTEGER NOT NULL)',
    "CREATE TABLE story_docs (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)",
    "INSERT INTO story_docs (id, n) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
)

# The analysts' desk tables (SQLite migration 6; "user" is quoted, a reserved word here); `monitor db copy`
# carries its feedback and read marks through PostgreSQL and back.
_DESK = (
    """CREATE TABLE desk_feedback (
    article_id TEXT NOT NULL REFERENCES articles(id),
    topic      TEXT NOT NULL,
    "user"     TEXT NOT NULL,
    relevant   INTEGER NOT NULL CHECK (relevant IN (0, 1)),
    kind       TEXT NOT NULL CHECK (kind IN ('alert', 'missed')),
    created_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (article_id, topic, "user")
)""",
    "CREATE INDEX desk_feedback_topic ON desk_feedback (topic)",
    """CREATE TABLE desk_reads (
    "user"   TEXT NOT NULL,
    alert_id TEXT NOT NULL REFERENCES alerts(id),
    read_at  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY ("user", alert_id)
)""",
)

# The desk served from PostgreSQL: the rest of SQLite's migration 6, the indexes its inbox (alerts newest
# first, by topic or source or not) and its article pages (later near-copies, a partial index: most
# articles copy nothing) need.
_DESK_INDEXES = (
    "CREATE INDEX desk_alerts_created ON alerts (created_at, id)",
    "CREATE INDEX desk_alerts_topic_created ON alerts (topic, created_at, id)",
    "CREATE INDEX desk_alerts_source_created ON alerts (source, created_at, id)",
    "CREATE INDEX desk_decisions_copies ON decisions (duplicate_of) WHERE duplicate_of IS NOT NULL",
)

# Append new migrations here; never edit one that has shipped.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (*_FEEDS_ARTICLES, *_OUTBOX, *_CORPUS_INDEX),
    _HOSTS,
    page_retries.POSTGRES_SCHEMA,  # provisional decisions: SQLite's migration 8
    _STORIES,  # stories: SQLite's migration 7
    _DESK,  # the desk's tables: SQLite's migration 6
    _DESK_INDEXES,  # the desk's indexes: the rest of SQLite's migration 6
    # stories' row versions, the writers' stamp, no story_terms index by story: SQLite's migration 10 (story_df
    # needs no rebuild here)
    (*(f"ALTER TABLE {table} ADD COLUMN {column} {kind}" for table, column, kind in stories.VERSION_COLUMNS),
     stories.DROP_TERMS_BY_STORY),
    (stories.MERGED_INDEX,),  # stories merged into another, by index: SQLite's migration 11
    stories.memory_index_statements("BIGINT"),  # term index in memory, counts logged: SQLite's migration 12
)
LATEST_VERSION = len(MIGRATIONS)


def schema_version(conn: psycopg.Connection[tuple[Any, ...]]) -> int:
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    """Apply the migrations this database has not had yet, all in one transaction under the migration lock."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at"
                     " TIMESTAMPTZ NOT NULL DEFAULT now())")
        version = schema_version(conn)
        for number, statements in enumerate(MIGRATIONS, start=1):
            if number > version:
                for statement in statements:
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", [number])
