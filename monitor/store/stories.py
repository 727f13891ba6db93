"""Stories in the database: every stored article joins one, in the transaction that stores it.

The statements are shared by SQLite and PostgreSQL (written with `?`; the PostgreSQL store converts them),
so both backends take the same decisions. Tables (SQLite migration 7, PostgreSQL's chain):

    stories        one row per story: first article (its id is the story id), first and last seen, size,
                   topics its members matched, its vector and its latest members' vectors (packed, see
                   pack_vector; JSON in rows written before), merged_into when a bridging article merged it
                   into another story, and version: a random token each write of its vectors sets
    story_members  article -> story, with the similarity and reason it joined on, its source and time
    story_terms    term -> story for the stories still open (their INDEX_TERMS heaviest terms): the
                   candidates of a new article are read through it; rows of stories past the window are
                   removed a few at a time by later writes, so it holds about the window's stories and a
                   lookup reads the same few rows however many articles are stored
    story_df       per term, how many stored articles hold it, and story_docs the number of articles: the
                   rarity weights (idf) of the story vectors. story_docs.stamp is a random token every join
                   sets: a process whose own last token is still there knows nobody else has written the
                   story tables since (and that its last join was not rolled back), so what it keeps in
                   memory (StoryCache) is still the database's
"""

from __future__ import annotations

import base64
import json
import os
import sys
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Protocol

from monitor.decide.stories import (
    MAX_CANDIDATES,
    PROBE_TERMS,
    RECENT_MEMBERS,
    Choice,
    Features,
    StoryCandidate,
    Terms,
    assign,
    index_terms,
    initial_centroid,
    member_vector,
    merge_centroid,
    story_features,
    terms_of_text,
)
from monitor.models import STORY_UPDATE_BATCH
from monitor.settings.sections import StorySettings
from monitor.store.times import format_time, parse_time

CACHE_STORIES = 2048  # open stories' decoded rows a process keeps: ~16 KiB each on real articles (~32 MB)
CACHE_TERMS = 65536  # document frequencies a process keeps (two generations of half that): ~10 MB of ANT terms
PRUNE_STORIES = 2  # stories past the window whose term rows one write removes (a write opens at most one)

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS stories (
    id               TEXT PRIMARY KEY,          -- the first article's id
    first_article_id TEXT NOT NULL,
    first_seen       TEXT NOT NULL,
    last_seen        TEXT NOT NULL,
    size             INTEGER NOT NULL,
    topics           TEXT NOT NULL DEFAULT '',  -- comma-separated topics its members matched
    centroid         TEXT NOT NULL,             -- JSON {term: weight}, a unit vector
    recent           TEXT NOT NULL,             -- JSON list of its latest members' vectors
    merged_into      TEXT,                      -- the story it was merged into, if any
    indexed          INTEGER NOT NULL DEFAULT 1 -- 1 while its terms are in story_terms (open, not merged)
)""",
    "CREATE INDEX IF NOT EXISTS stories_last_seen ON stories (last_seen)",
    "CREATE INDEX IF NOT EXISTS stories_indexed ON stories (last_seen) WHERE indexed = 1",
    """CREATE TABLE IF NOT EXISTS story_members (
    article_id TEXT PRIMARY KEY,
    story_id   TEXT NOT NULL,
    similarity REAL NOT NULL,
    reason     TEXT NOT NULL,                   -- new, similar, near_copy
    source     TEXT NOT NULL,
    joined_at  TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS story_members_story ON story_members (story_id, joined_at)",
    """CREATE TABLE IF NOT EXISTS story_terms (
    term      TEXT NOT NULL,
    story_id  TEXT NOT NULL,
    PRIMARY KEY (term, story_id)
) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS story_terms_story ON story_terms (story_id)",
    "CREATE TABLE IF NOT EXISTS story_df (term TEXT PRIMARY KEY, df INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS story_docs (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
    "INSERT INTO story_docs (id, n) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
)

# SQLite migration 10 and PostgreSQL's step 7: each story row's version, the writers' stamp.
VERSION_COLUMNS = (("stories", "version", "TEXT"), ("story_docs", "stamp", "TEXT"))
# Both backends: story_terms without its index by story. A story's rows are its vector's index_terms, so they
# are removed by their keys; the index doubled the B-tree work of every row written.
DROP_TERMS_BY_STORY = "DROP INDEX IF EXISTS story_terms_story"
# A merge repoints the stories merged into the one it absorbs (merged_into = ?): without this index that is a
# scan of every story stored, ~140 ms at 1M articles.
MERGED_INDEX = "CREATE INDEX IF NOT EXISTS stories_merged_into ON stories (merged_into) WHERE merged_into IS NOT NULL"
# SQLite only: story_df as one B-tree keyed by term (it was a rowid table beside an index of its terms), so a
# count is one seek and one page instead of two; same rows.
SQLITE_DF_REBUILD = (
    "CREATE TABLE story_df_by_term (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID",
    "INSERT INTO story_df_by_term (term, df) SELECT term, df FROM story_df",
    "DROP TABLE story_df",
    "ALTER TABLE story_df_by_term RENAME TO story_df",
)


class Rows(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Database(Protocol):
    """What the statements run on: a sqlite3 connection, or the PostgreSQL store's adapter."""

    def execute(self, statement: str, params: Sequence[Any], /) -> Rows: ...
    def executemany(self, statement: str, params: Iterable[Sequence[Any]], /) -> Any: ...


Execute = Database


@dataclass(frozen=True)
class Placement:
    """Where an article goes: the story (None: a new one), the similarity, and what the decision needs."""

    choice: Choice
    first_article_id: str | None  # the joined story's first article (None for a new story)
    terms: Terms
    features: Features
    story: OpenStory | None = None  # the joined story's row as it was read (None for a new story)


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _padded(values: list[str]) -> list[str]:
    """An IN list's values repeated up to the next power of two (8 at least): a handful of statement texts,
    each prepared once, instead of one per length (IN ignores the repeats)."""
    size = 8
    while size < len(values):
        size *= 2
    return values + values[-1:] * (size - len(values)) if values else values


def article_time(published: datetime | None, seen_at: datetime) -> datetime:
    """The time an article belongs to: its publication, unless that is missing or later than it was seen."""
    return published if published is not None and published <= seen_at else seen_at


def _frequencies(execute: Execute, terms: Iterable[str]) -> tuple[dict[str, int], int]:
    wanted = sorted(set(terms))
    df: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = execute.execute(f"SELECT term, df FROM story_df WHERE term IN ({_marks(len(chunk))})", chunk).fetchall()
        df.update({str(t): int(n) for t, n in rows})
    row = execute.execute("SELECT n FROM story_docs WHERE id = 1", []).fetchone()
    return df, int(row[0]) if row else 0


_PACKED = "~"  # first character of a packed vector (a JSON one starts with { or [)


def pack_vector(vector: Mapping[str, float]) -> str:
    """A vector as text: "~", its weights as little-endian doubles in base64, a space, its terms separated by
    spaces (a term never holds one). Exact (the doubles themselves) and much cheaper than JSON both ways."""
    weights = array("d", vector.values())
    if sys.byteorder == "big":
        weights.byteswap()
    return f"{_PACKED}{base64.b64encode(weights.tobytes()).decode('ascii')} {' '.join(vector)}"


def unpack_vector(value: str) -> dict[str, float]:
    if not value.startswith(_PACKED):
        return dict(json.loads(value))  # a row written before vectors were packed
    encoded, _, names = value[1:].partition(" ")
    weights = array("d", base64.b64decode(encoded))
    if sys.byteorder == "big":
        weights.byteswap()
    return dict(zip(names.split(" "), weights, strict=True)) if names else {}


def pack_vectors(vectors: Iterable[Mapping[str, float]]) -> str:
    """A list of vectors: packed ones one a line ("" for none)."""
    return "\n".join(pack_vector(v) for v in vectors)


def unpack_vectors(value: str) -> tuple[dict[str, float], ...]:
    if value.startswith("["):
        return tuple(json.loads(value))
    return tuple(unpack_vector(line) for line in value.split("\n")) if value else ()


def _token() -> str:
    return os.urandom(8).hex()


@dataclass(frozen=True)
class OpenStory:
    """A story row as the assignment reads it (vectors decoded). `version`, with `size` and `last_seen`, is
    what a cached copy is checked against: every write of a story's vectors sets a new random version (rows
    written before versions have None, and their size and last_seen, which every such write raises)."""

    story_id: str
    first_article_id: str
    size: int
    first_seen: str
    last_seen: str
    topics: str
    centroid: dict[str, float]
    recent: tuple[dict[str, float], ...]
    version: str | None = None

    def candidate(self, shared: int) -> StoryCandidate:
        return StoryCandidate(self.story_id, self.centroid, self.size, self.seen, self.recent, shared)

    @cached_property
    def seen(self) -> datetime:
        return _time(self.last_seen)

    @cached_property
    def indexed(self) -> frozenset[str]:
        """The terms story_terms holds for it (index_terms of its vector)."""
        return frozenset(index_terms(self.centroid))


class TermCounts:
    """Document frequencies as of this process's last join (exact for the terms held; see StoryCache).
    Bounded by two generations: a term read or written goes into the newer; when that is full it becomes
    the older and the oldest is dropped."""

    def __init__(self, capacity: int = CACHE_TERMS) -> None:
        self.half = max(1, capacity // 2)
        self._new: dict[str, int] = {}
        self._old: dict[str, int] = {}

    def split(self, terms: Iterable[str]) -> tuple[dict[str, int], list[str]]:
        """The counts held for `terms`, and the terms not held."""
        new, old = self._new, self._old
        found: dict[str, int] = {}
        unknown = []
        for term in terms:
            n = new.get(term)
            if n is None:
                n = old.get(term)
            if n is None:
                unknown.append(term)
            else:
                found[term] = n
        return found, unknown

    def update(self, counts: Mapping[str, int]) -> None:
        self._new.update(counts)
        if len(self._new) >= self.half:
            self._old, self._new = self._new, {}

    def clear(self) -> None:
        self._new, self._old = {}, {}


class StoryCache:
    """What a process keeps of the story tables: open stories' decoded rows, and document frequencies.

    The database stays the truth. A story row is used only when the version (and size and last_seen) the
    candidate query just read match it; every write sets a new random version, so a row written by a
    transaction that was rolled back, or changed by another process, is never matched. The document
    frequencies are used only while story_docs.stamp is the token this process's last join set: then nobody
    else has joined an article since (every join sets the stamp, and holds the story_docs row until it
    commits, so joins on one database are serialised) and that join was not rolled back; otherwise they are
    dropped and read again. Both bounded."""

    def __init__(self, capacity: int = CACHE_STORIES, terms: int = CACHE_TERMS) -> None:
        self.capacity = capacity
        self._rows: OrderedDict[str, OpenStory] = OrderedDict()
        self.frequencies = TermCounts(terms)
        self.stamp: str | None = None  # the token of this process's last join, while it holds

    def get(self, story_id: str, size: int, last_seen: str, version: str | None = None) -> OpenStory | None:
        row = self._rows.get(story_id)
        if row is None or row.version != version or row.size != size or row.last_seen != last_seen:
            return None
        self._rows.move_to_end(story_id)
        return row

    def put(self, row: OpenStory) -> None:
        self._rows[row.story_id] = row
        self._rows.move_to_end(row.story_id)
        while len(self._rows) > self.capacity:
            self._rows.popitem(last=False)


def _count(execute: Execute, terms: Iterable[str], cache: StoryCache) -> tuple[dict[str, int], int, str]:
    """Count the article in the document frequencies and return them as they were before it (what
    _frequencies would have read). First the stamp: story_docs is counted and stamped with a new token,
    which also makes every other join on the database wait for this one. If the stamp was this process's
    own, the counts it keeps are current: those terms are only incremented; the others (and all of them
    when the stamp was not its own) are counted by one upsert returning the new counts. Returns the counts,
    the number of articles before it, and the new token (the caller's cache.stamp once its join is done)."""
    token, known, expected = _token(), cache.frequencies, cache.stamp
    row = None
    if expected is not None:
        row = execute.execute("UPDATE story_docs SET n = n + 1, stamp = ? WHERE id = 1 AND stamp = ? RETURNING n",
                              [token, expected]).fetchone()
    trusted = row is not None
    if not trusted:
        row = execute.execute("UPDATE story_docs SET n = n + 1, stamp = ? WHERE id = 1 RETURNING n",
                              [token]).fetchone()
    # From here this join holds story_docs, so another thread's join on this cache has finished and committed
    # or rolled back: clearing now, not before the wait, cannot be undone by its last writes.
    cache.stamp = None  # until this join is done: one that fails half way leaves nothing to trust
    if not trusted:
        known.clear()
    df, unknown = known.split(terms)
    for start in range(0, len(unknown), 256):
        chunk = _padded(unknown[start : start + 256])
        rows = execute.execute(f"SELECT term, df FROM story_df WHERE term IN ({_marks(len(chunk))})", chunk)
        df.update({str(t): int(n) for t, n in rows.fetchall()})
    if df:
        execute.executemany("UPDATE story_df SET df = df + 1 WHERE term = ?", [(t,) for t in df])
    new = [(t,) for t in terms if t not in df]
    if new:  # an upsert all the same: a writer that bypasses the stamp must not make this fail
        execute.executemany("INSERT INTO story_df (term, df) VALUES (?, 1)"
                            " ON CONFLICT (term) DO UPDATE SET df = story_df.df + 1", new)
    known.update({t: df.get(t, 0) + 1 for t in terms})
    return df, int(row[0]) - 1 if row else 0, token


def _open_stories(execute: Execute, features: Features, at: datetime, window: timedelta,
                  cache: StoryCache) -> list[tuple[OpenStory, int]]:
    """The candidate stories of an article with how many of its probe terms each holds: the term index finds
    them with their versions (one statement), and only the rows the cache does not hold are read."""
    probes = features.top(PROBE_TERMS)
    if not probes:
        return []
    rows = execute.execute(
        "SELECT s.id, count(*) AS hits, s.size, s.last_seen, s.version FROM story_terms t"
        f" JOIN stories s ON s.id = t.story_id WHERE t.term IN ({_marks(len(probes))}) AND s.last_seen >= ?"
        " AND s.merged_into IS NULL GROUP BY s.id, s.size, s.last_seen, s.version ORDER BY hits DESC, s.id LIMIT ?",
        [*probes, format_time(at - window), MAX_CANDIDATES],
    ).fetchall()
    found: dict[str, OpenStory] = {}
    missing = []
    for sid, _hits, size, last, version in rows:
        row = cache.get(str(sid), int(size), str(last), version)
        if row is None:
            missing.append(str(sid))
        else:
            found[row.story_id] = row
    if missing:
        for values in execute.execute(
            f"SELECT {_STORY_COLUMNS} FROM stories WHERE id IN ({_marks(len(missing))})", missing,
        ).fetchall():
            row = _story_row(values)
            cache.put(row)
            found[row.story_id] = row
    return [(found[str(sid)], int(hits)) for sid, hits, *_ in rows if str(sid) in found]


def _time(value: Any) -> datetime:
    parsed = parse_time(str(value))
    if parsed is None:
        raise ValueError(f"bad time in stories: {value!r}")
    return parsed


def story_of(execute: Execute, article_id: str) -> str | None:
    row = execute.execute("SELECT story_id FROM story_members WHERE article_id = ?", [article_id]).fetchone()
    return str(row[0]) if row else None


def place(execute: Execute, title: str, text: str, at: datetime, near_copy_of: str | None,
          settings: StorySettings, terms: Terms | None = None, cache: StoryCache | None = None) -> Placement:
    """The story an article would join (nothing is written). terms: the article's, when already computed;
    cache: the process's open stories (a fresh one reads every candidate)."""
    terms = terms if terms is not None else terms_of_text(title, text)
    return _place(execute, terms, *_frequencies(execute, terms.counts), at, near_copy_of, settings, cache)


def _place(execute: Execute, terms: Terms, df: Mapping[str, int], n_docs: int, at: datetime,
           near_copy_of: str | None, settings: StorySettings, cache: StoryCache | None) -> Placement:
    features = story_features(terms, df, n_docs)
    near_story = story_of(execute, near_copy_of) if near_copy_of else None
    found = _open_stories(execute, features, at, settings.window, cache if cache is not None else StoryCache())
    choice = assign(features, [row.candidate(shared) for row, shared in found], at=at, window=settings.window,
                    threshold=settings.threshold, near_copy_story=near_story)
    joined = next((row for row, _ in found if row.story_id == choice.story_id), None)
    if choice.story_id is not None and joined is None:  # a near-copy's story that is not among the candidates
        joined = _read_story(execute, choice.story_id)
    return Placement(choice, joined.first_article_id if joined else None, terms, features, joined)


_STORY_COLUMNS = "id, first_article_id, size, first_seen, last_seen, topics, centroid, recent, version"


def _story_row(values: Sequence[Any]) -> OpenStory:
    sid, first_article, size, first, last, names, centroid, recent, version = values
    return OpenStory(str(sid), str(first_article), int(size), str(first), str(last), str(names),
                     unpack_vector(str(centroid)), unpack_vectors(str(recent)),
                     None if version is None else str(version))


def _read_story(execute: Execute, story_id: str) -> OpenStory:
    return _story_row(execute.execute(f"SELECT {_STORY_COLUMNS} FROM stories WHERE id = ?", [story_id]).fetchone())


def _write_terms(execute: Execute, story_id: str, old: frozenset[str], new: frozenset[str]) -> None:
    """Index the story by its new vector's heaviest terms (old: those of its vector before): only the terms
    that changed are written."""
    gone, added = sorted(old - new), sorted(new - old)
    if gone:
        execute.executemany("DELETE FROM story_terms WHERE term = ? AND story_id = ?", [(t, story_id) for t in gone])
    if added:
        execute.executemany("INSERT INTO story_terms (term, story_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                            [(t, story_id) for t in added])


def _topics(*lists: str | Iterable[str]) -> str:
    names: set[str] = set()
    for value in lists:
        names |= {t for t in (value.split(",") if isinstance(value, str) else value) if t}
    return ",".join(sorted(names))


def join(execute: Execute, *, article_id: str, source: str, title: str, text: str, at: datetime,
         near_copy_of: str | None, topics: Sequence[str], settings: StorySettings,
         terms: Terms | None = None, cache: StoryCache | None = None) -> Placement:
    """Place the article in a story and record it (in the caller's transaction). Returns the placement."""
    terms = terms if terms is not None else terms_of_text(title, text)
    cache = cache if cache is not None else StoryCache()
    df, n_docs, token = _count(execute, terms.counts, cache)
    placed = _place(execute, terms, df, n_docs, at, near_copy_of, settings, cache)
    choice, weights = placed.choice, placed.features.weights
    stamp = format_time(at)
    if choice.story_id is None:
        story_id = article_id
        before: frozenset[str] = frozenset()
        row = OpenStory(story_id, article_id, 1, stamp, stamp, _topics(topics), initial_centroid(placed.features),
                        (member_vector(placed.features),), token)
        execute.execute(
            "INSERT INTO stories (id, first_article_id, first_seen, last_seen, size, topics, centroid, recent,"
            " version) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
            [story_id, article_id, stamp, stamp, row.topics, pack_vector(row.centroid), pack_vectors(row.recent),
             token],
        )
    else:
        story_id = choice.story_id
        story = placed.story if placed.story is not None else _read_story(execute, story_id)
        before = story.indexed
        size, centroid = story.size, merge_centroid(story.centroid, story.size, weights)
        size += 1
        recent = (*story.recent, member_vector(placed.features))[-RECENT_MEMBERS:]
        names = _topics(story.topics, topics)
        first_seen, last_seen = story.first_seen, max(story.last_seen, stamp)
        for other_id in choice.merged:
            other = execute.execute("SELECT size, topics, centroid, first_seen, last_seen FROM stories WHERE id = ?",
                            [other_id]).fetchone()
            o_size, o_topics, o_centroid, o_first, o_last = other
            centroid = merge_centroid(centroid, size, unpack_vector(str(o_centroid)), int(o_size))
            size += int(o_size)
            names = _topics(names, str(o_topics))
            first_seen, last_seen = min(str(first_seen), str(o_first)), max(last_seen, str(o_last))
            execute.execute("UPDATE story_members SET story_id = ? WHERE story_id = ?", [story_id, other_id])
            execute.execute("UPDATE stories SET merged_into = ?, indexed = 0 WHERE id = ? OR merged_into = ?",
                            [story_id, other_id, other_id])
            _unindex(execute, other_id, str(o_centroid))
        row = OpenStory(story_id, story.first_article_id, size, str(first_seen), last_seen, names, centroid,
                        recent, token)
        execute.execute(
            "UPDATE stories SET size = ?, topics = ?, centroid = ?, recent = ?, first_seen = ?, last_seen = ?,"
            " version = ? WHERE id = ?",
            [size, names, pack_vector(centroid), pack_vectors(recent), first_seen, last_seen, token, story_id],
        )
    execute.execute(
        "INSERT INTO story_members (article_id, story_id, similarity, reason, source, joined_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [article_id, story_id, round(choice.similarity, 6), choice.reason, source, stamp],
    )
    _write_terms(execute, story_id, before, row.indexed)
    _prune(execute, at - settings.window)
    # The row as written, under its new version: should this transaction roll back, the database keeps the
    # old version and the entry is never matched.
    cache.put(row)
    cache.stamp = token
    return placed


def _prune(execute: Execute, cutoff: datetime) -> None:
    """Drop the term rows of up to PRUNE_STORIES stories past the window (oldest first, through a partial
    index of the indexed stories), so the term index holds about the window's stories."""
    stale = execute.execute(
        "SELECT id, centroid FROM stories WHERE indexed = 1 AND last_seen < ? ORDER BY last_seen LIMIT ?",
        [format_time(cutoff), PRUNE_STORIES],
    ).fetchall()
    for story_id, centroid in stale:
        _unindex(execute, str(story_id), str(centroid))
        execute.execute("UPDATE stories SET indexed = 0 WHERE id = ?", [story_id])


def _unindex(execute: Execute, story_id: str, centroid: str) -> None:
    """Remove a story's term rows: its vector's index terms (what _write_terms keeps there)."""
    execute.executemany("DELETE FROM story_terms WHERE term = ? AND story_id = ?",
                        [(t, story_id) for t in index_terms(unpack_vector(centroid))])


UPDATE_BATCH = STORY_UPDATE_BATCH


def story_id_of(placement: Placement, article_id: str) -> str:
    return placement.choice.story_id or article_id


def route_alert(execute: Execute, *, alert_id: str, article_id: str, topic: str, score: float, story_id: str,
                channel: str, delivery_id: str, now: datetime, settings: StorySettings) -> str:
    """How a just-queued alert goes out on a channel that alerts per story: "alert" (alert.created) when its
    story has no alert of this topic on this channel yet, or this one scores `score_jump` above the best of
    them; else "update": its delivery joins the story's open story.updated message (due at most once per
    update period), or opens the next one."""
    prior = execute.execute(
        "SELECT max(a.score), max(a.created_at) FROM alerts a"
        " JOIN story_members m ON m.article_id = a.article_id JOIN deliveries d ON d.alert_id = a.id"
        " WHERE m.story_id = ? AND a.topic = ? AND d.channel = ? AND a.article_id <> ?"
        " AND (d.batch_key IS NULL OR d.batch_key NOT LIKE ?)",
        [story_id, topic, channel, article_id, UPDATE_BATCH + "%"],
    ).fetchone()
    if prior is None or prior[0] is None or score >= float(prior[0]) + settings.score_jump:
        return "alert"
    key_prefix = f"{UPDATE_BATCH}{story_id}:{channel}:"
    open_update = execute.execute(
        "SELECT batch_key, next_attempt_at FROM deliveries WHERE channel = ? AND batch_key LIKE ?"
        " AND state = 'pending' AND attempts = 0 AND id <> ? ORDER BY next_attempt_at DESC LIMIT 1",
        [channel, key_prefix + "%", delivery_id],
    ).fetchone()
    if open_update is not None:
        key, due = str(open_update[0]), str(open_update[1])
    else:
        last = execute.execute("SELECT max(next_attempt_at) FROM deliveries WHERE channel = ? AND batch_key LIKE ?",
                       [channel, key_prefix + "%"]).fetchone()
        latest = max(str(prior[1]), str(last[0])) if last and last[0] is not None else str(prior[1])
        due = max(format_time(now), format_time(_time(latest) + settings.update_period))
        key = key_prefix + due
    execute.execute("UPDATE deliveries SET batch_key = ?, next_attempt_at = ? WHERE id = ?", [key, due, delivery_id])
    return "update"


def recent_stories(execute: Execute, limit: int, topic: str | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """Stories, latest activity first, with their first article's title and their sources."""
    where = "s.merged_into IS NULL" + (" AND (',' || s.topics || ',') LIKE ?" if topic else "")
    params: list[Any] = [f"%,{topic},%"] if topic else []
    rows = execute.execute(
        "SELECT s.id, s.first_seen, s.last_seen, s.size, s.topics, a.title FROM stories s"
        f" LEFT JOIN articles a ON a.id = s.first_article_id WHERE {where}"
        " ORDER BY s.last_seen DESC, s.id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    out = []
    for sid, first, last, size, names, title in rows:
        sources = [str(r[0]) for r in execute.execute(
            "SELECT DISTINCT source FROM story_members WHERE story_id = ? ORDER BY source", [sid]).fetchall()]
        out.append({"id": str(sid), "title": str(title or ""), "first_seen": str(first), "last_seen": str(last),
                    "size": int(size), "topics": [t for t in str(names).split(",") if t], "sources": sources})
    return out


def story_detail(execute: Execute, story_id: str) -> dict[str, Any] | None:
    """A story and its members (oldest first); a merged story's id leads to the story it was merged into."""
    row = execute.execute("SELECT id, merged_into FROM stories WHERE id = ?", [story_id]).fetchone()
    if row is None:
        member = story_of(execute, story_id)  # an article id: its story
        if member is None:
            return None
        story_id = member
    elif row[1] is not None:
        story_id = str(row[1])
    head = execute.execute("SELECT id, first_article_id, first_seen, last_seen, size, topics FROM stories WHERE id = ?",
                   [story_id]).fetchone()
    members = execute.execute(
        "SELECT m.article_id, m.source, m.joined_at, m.similarity, m.reason, a.title, a.url FROM story_members m"
        " LEFT JOIN articles a ON a.id = m.article_id WHERE m.story_id = ? ORDER BY m.joined_at, m.article_id",
        [story_id],
    ).fetchall()
    sid, first_article, first, last, size, names = head
    return {
        "id": str(sid), "first_article_id": str(first_article), "first_seen": str(first), "last_seen": str(last),
        "size": int(size), "topics": [t for t in str(names).split(",") if t],
        "sources": sorted({str(m[1]) for m in members}),
        "members": [{"article_id": str(a), "source": str(s), "joined_at": str(j), "similarity": float(sim),
                     "reason": str(r), "title": str(t or ""), "url": str(u or "")}
                    for a, s, j, sim, r, t, u in members],
    }
