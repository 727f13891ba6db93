"""Stories in the database: every stored article joins one, in the transaction that stores it.

The statements are shared by SQLite and PostgreSQL (written with `?`; the PostgreSQL store converts them),
so both backends take the same decisions. Tables (SQLite migrations 7, 10-12, PostgreSQL's chain):

    stories        one row per story: first article (its id is the story id), first and last seen, size,
                   topics its members matched, its vector and its latest members' vectors (packed, see
                   pack_vector; JSON in rows written before), merged_into when a bridging article merged it
                   into another story, version (a random token each write of its vectors sets) and seq (the
                   number of the article that last wrote it); `indexed` is no longer read
    story_members  article -> story, with the similarity and reason it joined on, its source and time
    story_df       per term, how many stored articles hold it, up to story_docs.flushed; story_df_log one
                   row per later article (seq, its terms), added to story_df every FOLD_EVERY articles
    story_docs     n, the number of articles joined; flushed; stamp, a random token every join sets

The open stories' term index, through which candidates are found, is held in memory (StoryCache, see
story_index.py), kept equal to the rows by reading what other writers changed (by seq) when story_docs'
stamp is not the process's own.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
import threading
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
from monitor.store.story_index import IndexedStory, TermIndex
from monitor.store.times import format_time, parse_time

CACHE_STORIES = 2048  # open stories' decoded rows a process keeps: ~16 KiB each on real articles (~32 MB)
CACHE_TERMS = 65536  # document frequencies a process keeps (two generations of half that): ~10 MB of ANT terms
FOLD_EVERY = 1024  # articles whose story_df_log rows are added to story_df together (one pass over its pages)
EVICT_EVERY = 1024  # joins between two sweeps of the stories past the window out of the in-memory index
EVICT_MARGIN = timedelta(hours=24)  # kept past the window: an article published a little earlier finds them

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
# SQLite migration 12 and PostgreSQL's step 9: the term index held in memory (story_index.py) and the
# document frequencies counted through a log. Each story row carries the seq (story_docs.n) of the last
# article that wrote it, so a process reads only what others changed; each article appends one story_df_log
# row of its terms, folded into story_df every FOLD_EVERY articles; story_docs.flushed is the last folded.
MEMORY_INDEX_COLUMNS = (("stories", "seq"), ("story_docs", "flushed"))  # each {big integer} NOT NULL DEFAULT 0
MEMORY_INDEX_STATEMENTS = (
    "UPDATE story_docs SET flushed = n",  # right after the column is added: every count is in story_df
    "CREATE INDEX IF NOT EXISTS stories_seq ON stories (seq)",
    "CREATE TABLE IF NOT EXISTS story_df_log (seq {big_integer} PRIMARY KEY, terms TEXT NOT NULL)",
    "DROP TABLE IF EXISTS story_terms",
    "DROP INDEX IF EXISTS stories_indexed",
)


def memory_index_statements(big_integer: str) -> tuple[str, ...]:
    """The whole step for a database that has not had it (PostgreSQL's chain runs each step once)."""
    return (*(f"ALTER TABLE {table} ADD COLUMN {column} {big_integer} NOT NULL DEFAULT 0"
              for table, column in MEMORY_INDEX_COLUMNS),
            *(statement.format(big_integer=big_integer) for statement in MEMORY_INDEX_STATEMENTS))


# SQLite only: story_df as one B-tree keyed by term (it was a rowid table beside an index of its terms), so a
# count is one seek and one page instead of two; same rows.
SQLITE_DF_REBUILD = (
    "CREATE TABLE story_df_by_term (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID",
    "INSERT INTO story_df_by_term (term, df) SELECT term, df FROM story_df",
    "DROP TABLE story_df",
    "ALTER TABLE story_df_by_term RENAME TO story_df",
)


class Rows(Protocol):
    @property
    def rowcount(self) -> int: ...
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


_PACKED = "~"  # first character of a packed vector (a JSON one starts with { or [)


def pack_vector(vector: Mapping[str, float]) -> str:
    """A vector as text: "~", its weights as little-endian doubles in base64, a space, its terms separated by
    spaces (a term never holds one). Exact (the doubles themselves) and much cheaper than JSON both ways."""
    weights = array("d", vector.values())
    if sys.byteorder == "big":
        weights.byteswap()
    encoded = binascii.b2a_base64(weights, newline=False).decode("ascii")  # base64.b64encode, without a copy
    return f"{_PACKED}{encoded} {' '.join(vector)}"


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


def _packed_lines(value: str) -> tuple[str, ...] | None:
    """The packed vectors of pack_vectors' text, one each (None for a JSON list: packed when written)."""
    if value.startswith("["):
        return None
    return tuple(value.split("\n")) if value else ()


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
    packed_recent: tuple[str, ...] | None = None  # `recent` packed (pack_vector), when known: not packed again

    def candidate(self, shared: int) -> StoryCandidate:
        made = self._candidates.get(shared)
        if made is None:
            made = self._candidates[shared] = StoryCandidate(self.story_id, self.centroid, self.size, self.seen,
                                                             self.recent, shared, self.nested)
        return made

    @cached_property
    def nested(self) -> bool:
        """One recent member holding every term of the centroid (StoryCandidate.nested), checked once."""
        return len(self.recent) == 1 and self.centroid.keys() <= self.recent[0].keys()

    @cached_property
    def _candidates(self) -> dict[int, StoryCandidate]:
        """The candidates made of this row, by shared terms (a cached row is a candidate of many joins)."""
        return {}

    @cached_property
    def seen(self) -> datetime:
        return _time(self.last_seen)

    def recent_texts(self) -> tuple[str, ...]:
        """Each recent member's vector as pack_vector writes it."""
        if self.packed_recent is not None:
            return self.packed_recent
        return tuple(pack_vector(v) for v in self.recent)


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

    def add_one(self, terms: Iterable[str]) -> None:
        """Count one more article holding each of `terms`, for those held (another writer's article)."""
        new, old = self._new, self._old
        for term in terms:
            if term in new:
                new[term] += 1
            elif term in old:
                old[term] += 1

    def clear(self) -> None:
        self._new, self._old = {}, {}


class StoryCache:
    """What a process keeps of the story tables, kept equal to the database's committed rows.

    * `index`: the open stories' term index (story_index.py), through which candidates are found.
    * `frequencies`: document frequencies of the terms it has read or counted (bounded, see TermCounts).
    * `log_counts`: what the rows of story_df_log not yet folded into story_df add to the frequencies.
    * `seen`: the last article (story_docs.n) whose writes all of this reflects.

    Every join counts the article in story_docs and stamps it with a random token, which makes every other
    join on the database wait until it commits (joins are serialised). When the next join finds its own
    token still there, nobody else has joined since and nothing it kept needs reading. Otherwise it first
    checks that its own last article was stored (else a rollback undid what it kept: all is read again),
    then reads what other writers changed after `seen`: story_df_log rows and story rows by their seq. The
    story rows it keeps decoded (`_rows`) are used only when the version, size and last_seen the index holds
    match them. Bounded but for the index, which holds the window's open stories."""

    def __init__(self, capacity: int = CACHE_STORIES, terms: int = CACHE_TERMS) -> None:
        self.capacity = capacity
        self._rows: OrderedDict[str, OpenStory] = OrderedDict()
        self.frequencies = TermCounts(terms)
        self.index = TermIndex()
        self.log_counts: dict[str, int] = {}
        self.flushed = 0  # story_docs.flushed as this cache last knew it: the log rows up to it are folded
        self.seen: int | None = None  # None: nothing read yet
        self.last_article: str | None = None  # this process's last joined article (to tell a rollback)
        # (token, seq) of this process's last join while its token is story_docs' stamp: set and read as one
        self.joined: tuple[str, int] | None = None
        self.joins = 0
        self.lock = threading.RLock()  # a read (place) in one thread while another thread's join writes

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

    def reset(self, n: int, flushed: int, log: Mapping[str, int]) -> None:
        """Forget everything but the decoded rows (checked by version anyway): reading starts again at `n`."""
        self.index = TermIndex()
        self.frequencies.clear()
        self.log_counts = dict(log)
        self.flushed, self.seen, self.last_article = flushed, n, None


def _log_rows(execute: Execute, after: int) -> list[list[str]]:
    """The terms of each story_df_log row after article `after`."""
    return [str(terms).split(" ") for (terms,) in
            execute.execute("SELECT terms FROM story_df_log WHERE seq > ?", [after]).fetchall()]


def _tally(counts: dict[str, int], terms: Iterable[str]) -> None:
    """One more article holding each of `terms`."""
    for term in terms:
        counts[term] = counts.get(term, 0) + 1


def _read_log(execute: Execute, after: int) -> dict[str, int]:
    """What the log rows after `after` add to each term's document frequency."""
    counts: dict[str, int] = {}
    for terms in _log_rows(execute, after):
        _tally(counts, terms)
    return counts


def _interned(terms: Iterable[str]) -> tuple[str, ...]:
    """One string object per term however many open stories hold it (the index's largest part)."""
    return tuple(map(sys.intern, terms))


def _indexed(story_row: Sequence[Any]) -> tuple[str, IndexedStory]:
    sid, size, last_seen, version, centroid = story_row[:5]
    return str(sid), IndexedStory(int(size), str(last_seen), None if version is None else str(version),
                                  _interned(index_terms(unpack_vector(str(centroid)))))


def _catch_up(execute: Execute, cache: StoryCache, n: int, flushed: int) -> None:
    """Bring the cache to article `n` (its writes are committed: this join holds story_docs)."""
    if cache.seen is None or (cache.last_article is not None and story_of(execute, cache.last_article) is None):
        cache.reset(n, flushed, _read_log(execute, flushed))
        return
    seen = cache.seen
    if flushed > seen:  # another writer folded log rows this cache never read: their counts are in story_df
        cache.frequencies.clear()
        cache.log_counts = _read_log(execute, flushed)
    else:
        rows = _log_rows(execute, seen)
        for terms in rows:
            cache.frequencies.add_one(terms)
        if flushed != cache.flushed:  # another writer folded rows this cache had read: what is left of the log
            cache.log_counts = _read_log(execute, flushed)
        else:
            for terms in rows:
                _tally(cache.log_counts, terms)
    cache.flushed = flushed
    index = cache.index
    for story_row in execute.execute(
        "SELECT id, size, last_seen, version, centroid, merged_into FROM stories WHERE seq > ?", [seen],
    ).fetchall():
        story_id, story = _indexed(story_row)
        if story_row[5] is None and index.held(story.last_seen):
            index.put(story_id, story)
        else:
            index.remove(story_id)
    cache.seen, cache.last_article = n, None


def _ensure_window(execute: Execute, cache: StoryCache, cutoff: str) -> None:
    """Load the open stories last seen from `cutoff` on that the index does not hold yet."""
    index = cache.index
    if index.loaded_from is not None and cutoff >= index.loaded_from:
        return
    statement = ("SELECT id, size, last_seen, version, centroid FROM stories"
                 " WHERE last_seen >= ? AND merged_into IS NULL")
    params: list[Any] = [cutoff]
    if index.loaded_from is not None:
        statement += " AND last_seen < ?"
        params.append(index.loaded_from)
    for story_row in execute.execute(statement, params).fetchall():
        index.put(*_indexed(story_row))
    index.loaded_from = cutoff


def _begin(execute: Execute, cache: StoryCache) -> tuple[int, str]:
    """Count the article in story_docs under a new token (which also makes every other join on the
    database wait for this one) and bring the cache up to date. Returns the number of articles before it
    and the token (the stamp of the caller's cache.joined once its join is done)."""
    token, joined = _token(), cache.joined  # one read: another thread's join may end meanwhile
    if joined is not None and execute.execute(
        "UPDATE story_docs SET n = n + 1, stamp = ? WHERE id = 1 AND stamp = ?", [token, joined[0]],
    ).rowcount == 1:
        # The stamp was this process's own: nobody has joined since, so n is still the seq of its last join
        # and nothing needs reading (RETURNING n, flushed cost SQLite ~5 times the update itself).
        cache.joined = None  # until this join is done: one failing half way leaves nothing to trust
        return joined[1], token
    row = execute.execute("UPDATE story_docs SET n = n + 1, stamp = ? WHERE id = 1 RETURNING n, flushed",
                          [token]).fetchone()
    # From here this join holds story_docs, so another thread's join on this cache has finished and committed
    # or rolled back.
    cache.joined = None
    if row is None:
        raise ValueError("story_docs has no row: the stories tables are incomplete")
    n, flushed = int(row[0]) - 1, int(row[1])
    _catch_up(execute, cache, n, flushed)
    return n, token


def _counts(execute: Execute, terms: Iterable[str], cache: StoryCache) -> dict[str, int]:
    """The document frequencies of `terms` (the stored articles holding each; 0s left out)."""
    df, unknown = cache.frequencies.split(terms)
    log = cache.log_counts
    for start in range(0, len(unknown), 256):
        chunk = _padded(unknown[start : start + 256])
        rows = execute.execute(f"SELECT term, df FROM story_df WHERE term IN ({_marks(len(chunk))})", chunk)
        df.update({str(t): int(n) + log.get(str(t), 0) for t, n in rows.fetchall()})
    for term in unknown:
        if term not in df and log.get(term):
            df[term] = log[term]
    return df


def _fold(execute: Execute, cache: StoryCache, n: int) -> None:
    """Add the log rows up to article `n` (what cache.log_counts holds) to story_df and delete them."""
    if cache.log_counts:
        execute.executemany("INSERT INTO story_df (term, df) VALUES (?, ?)"
                            " ON CONFLICT (term) DO UPDATE SET df = story_df.df + excluded.df",
                            sorted(cache.log_counts.items()))
    execute.execute("DELETE FROM story_df_log WHERE seq <= ?", [n])
    execute.execute("UPDATE story_docs SET flushed = ? WHERE id = 1", [n])


def _open_stories(execute: Execute, features: Features, at: datetime, window: timedelta,
                  cache: StoryCache) -> list[tuple[OpenStory, int]]:
    """The candidate stories of an article with how many of its probe terms each holds: the index finds
    them with their versions, and only the rows the cache does not hold are read."""
    probes = features.top(PROBE_TERMS)
    if not probes:
        return []
    cutoff = format_time(at - window)
    _ensure_window(execute, cache, cutoff)
    rows = cache.index.candidates(probes, cutoff, MAX_CANDIDATES)
    found: dict[str, OpenStory] = {}
    missing = []
    for sid, _hits, size, last, version in rows:
        row = cache.get(sid, size, last, version)
        if row is None:
            missing.append(sid)
        else:
            found[row.story_id] = row
    if missing:
        for values in execute.execute(
            f"SELECT {_STORY_COLUMNS} FROM stories WHERE id IN ({_marks(len(missing))})", missing,
        ).fetchall():
            row = _story_row(values)
            cache.put(row)
            found[row.story_id] = row
    return [(found[sid], hits) for sid, hits, *_ in rows if sid in found]


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
    cache: the process's, used when nobody has joined an article since its last join (else, or without
    one, what is needed is read into a cache for this call)."""
    terms = terms if terms is not None else terms_of_text(title, text)
    n, stamp, flushed = execute.execute("SELECT n, stamp, flushed FROM story_docs WHERE id = 1", []).fetchone()
    joined = None if cache is None else cache.joined  # one read: another thread's join may end meanwhile
    if cache is None or joined is None or joined[0] != stamp:
        cache = StoryCache()
        cache.reset(int(n), int(flushed), _read_log(execute, int(flushed)))
    with cache.lock:
        return _place(execute, terms, _counts(execute, terms.counts, cache), int(n), at, near_copy_of, settings,
                      cache)


def _place(execute: Execute, terms: Terms, df: Mapping[str, int], n_docs: int, at: datetime,
           near_copy_of: str | None, settings: StorySettings, cache: StoryCache) -> Placement:
    features = story_features(terms, df, n_docs)
    near_story = story_of(execute, near_copy_of) if near_copy_of else None
    found = _open_stories(execute, features, at, settings.window, cache)
    choice = assign(features, [row.candidate(shared) for row, shared in found], at=at, window=settings.window,
                    threshold=settings.threshold, near_copy_story=near_story)
    joined = next((row for row, _ in found if row.story_id == choice.story_id), None)
    if choice.story_id is not None and joined is None:  # a near-copy's story that is not among the candidates
        joined = _read_story(execute, choice.story_id)
    return Placement(choice, joined.first_article_id if joined else None, terms, features, joined)


_STORY_COLUMNS = "id, first_article_id, size, first_seen, last_seen, topics, centroid, recent, version"


def _story_row(values: Sequence[Any]) -> OpenStory:
    sid, first_article, size, first, last, names, centroid, recent, version = values
    recent_text = str(recent)
    return OpenStory(str(sid), str(first_article), int(size), str(first), str(last), str(names),
                     unpack_vector(str(centroid)), unpack_vectors(recent_text),
                     None if version is None else str(version), _packed_lines(recent_text))


def _read_story(execute: Execute, story_id: str) -> OpenStory:
    return _story_row(execute.execute(f"SELECT {_STORY_COLUMNS} FROM stories WHERE id = ?", [story_id]).fetchone())


def _topics(*lists: str | Iterable[str]) -> str:
    names: set[str] = set()
    for value in lists:
        names |= {t for t in (value.split(",") if isinstance(value, str) else value) if t}
    return ",".join(sorted(names))


def join(execute: Execute, *, article_id: str, source: str, title: str, text: str, at: datetime,
         near_copy_of: str | None, topics: Sequence[str], settings: StorySettings,
         terms: Terms | None = None, cache: StoryCache | None = None) -> Placement:
    """Place the article in a story and record it (in the caller's transaction). Returns the placement.
    cache: the process's (a fresh one reads the window's open stories first)."""
    terms = terms if terms is not None else terms_of_text(title, text)
    cache = cache if cache is not None else StoryCache()
    n_docs, token = _begin(execute, cache)
    with cache.lock:
        return _join(execute, cache, n_docs, token, article_id=article_id, source=source, at=at,
                     near_copy_of=near_copy_of, topics=topics, settings=settings, terms=terms)


def _join(execute: Execute, cache: StoryCache, n_docs: int, token: str, *, article_id: str, source: str,
          at: datetime, near_copy_of: str | None, topics: Sequence[str], settings: StorySettings,
          terms: Terms) -> Placement:
    seq = n_docs + 1  # this article's number: the seq of every row it writes
    df = _counts(execute, terms.counts, cache)
    placed = _place(execute, terms, df, n_docs, at, near_copy_of, settings, cache)
    choice, weights = placed.choice, placed.features.weights
    stamp = format_time(at)
    merged: list[str] = []
    if choice.story_id is None:
        story_id = article_id
        member = member_vector(placed.features)
        packed: tuple[str, ...] = (pack_vector(member),)
        row = OpenStory(story_id, article_id, 1, stamp, stamp, _topics(topics), initial_centroid(placed.features),
                        (member,), token, packed)
        execute.execute(
            "INSERT INTO stories (id, first_article_id, first_seen, last_seen, size, topics, centroid, recent,"
            " version, seq) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
            [story_id, article_id, stamp, stamp, row.topics, pack_vector(row.centroid), packed[0],
             token, seq],
        )
    else:
        story_id = choice.story_id
        story = placed.story if placed.story is not None else _read_story(execute, story_id)
        size, centroid = story.size, merge_centroid(story.centroid, story.size, weights)
        size += 1
        member = member_vector(placed.features)
        recent = (*story.recent, member)[-RECENT_MEMBERS:]
        packed = (*story.recent_texts(), pack_vector(member))[-RECENT_MEMBERS:]  # the others as they were
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
            execute.execute("UPDATE stories SET merged_into = ?, seq = ? WHERE id = ? OR merged_into = ?",
                            [story_id, seq, other_id, other_id])
            merged.append(other_id)
        row = OpenStory(story_id, story.first_article_id, size, str(first_seen), last_seen, names, centroid,
                        recent, token, packed)
        execute.execute(
            "UPDATE stories SET size = ?, topics = ?, centroid = ?, recent = ?, first_seen = ?, last_seen = ?,"
            " version = ?, seq = ? WHERE id = ?",
            [size, names, pack_vector(centroid), "\n".join(packed), first_seen, last_seen, token, seq, story_id],
        )
    execute.execute(
        "INSERT INTO story_members (article_id, story_id, similarity, reason, source, joined_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [article_id, story_id, round(choice.similarity, 6), choice.reason, source, stamp],
    )
    folding = seq - cache.flushed > FOLD_EVERY
    if folding:
        _fold(execute, cache, n_docs)
    counted = list(terms.counts)
    execute.execute("INSERT INTO story_df_log (seq, terms) VALUES (?, ?)", [seq, " ".join(counted)])
    # Every statement has run: what this process keeps follows. Should the transaction roll back, the next
    # join finds the stamp not its own and this article not stored, and reads everything again.
    if folding:
        cache.log_counts, cache.flushed = {}, n_docs
    log, held, counts = cache.log_counts, df.get, {}
    for term in counted:  # one more article holding each: in the log's counts and in the frequencies
        log[term] = log.get(term, 0) + 1
        counts[term] = held(term, 0) + 1
    cache.frequencies.update(counts)
    for other_id in merged:
        cache.index.remove(other_id)
    if cache.index.held(row.last_seen):
        cache.index.put(story_id, IndexedStory(row.size, row.last_seen, token, _interned(index_terms(row.centroid))))
    cache.put(row)
    cache.joins += 1
    if cache.joins % EVICT_EVERY == 0:
        cache.index.evict_before(format_time(at - settings.window - EVICT_MARGIN))
    cache.seen, cache.last_article, cache.joined = seq, article_id, (token, seq)
    return placed


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
