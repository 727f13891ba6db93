"""Full-text search over article titles and texts (SQLite FTS5), Arabic-aware.

Used by the store (its tables are made by migrations.py) and the CLI:
    index_article(db, article_id, title, text) -> None     no commit: runs in the caller's transaction
    rebuild(db) -> int                        re-index every article (after a normalisation change)
    search(conn, query, filters) -> list[Hit]
    make_snippet(text, terms) -> str          the passage around the hits, hits marked

Why the index holds our own token stream rather than the raw text: FTS5's unicode61 tokenizer splits
a word at every diacritic (كَتَبَ → ك / ت / ب), keeps tatweel and cannot unify hamza forms or strip
clitics. So each text is normalised (monitor.text.arabic.normalize), tokenised and clitic-stripped here,
and the index stores those terms separated by spaces; queries go through the same function. The
tokenizer's categories still include marks (M*) so that a mark the normaliser ever lets through stays
inside its word instead of splitting it.

The FTS rowid is the INTEGER PRIMARY KEY of `search_docs`, which maps it to the article id: the
articles table's own rowid is not stable across VACUUM (its key is a text id).
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from monitor.text.arabic import index_terms, iter_tokens, normalize_with_offsets, strip_clitics

FTS_TABLE = "articles_fts"
DOCS_TABLE = "search_docs"
TITLE_WEIGHT = 3.0  # bm25 column weight: a query word in the title says more than one in the body


class _HasConn(Protocol):
    @property
    def conn(self) -> sqlite3.Connection: ...


DB = sqlite3.Connection | _HasConn


def _conn(db: DB) -> sqlite3.Connection:
    return db if isinstance(db, sqlite3.Connection) else db.conn


def terms(text: str) -> list[str]:
    """The index terms of `text`: normalised tokens without their proclitics (والعراق → عراق)."""
    return index_terms(text)


def index_article(
    db: DB, article_id: str, title: str, text: str, prepared: tuple[str, str] | None = None
) -> None:
    """(Re-)index one stored article. Runs inside the caller's transaction; commits nothing. `prepared`:
    the (title, body) terms already computed from this title and text (decide/analysis.py)."""
    title_terms, body_terms = prepared or (" ".join(terms(title)), " ".join(terms(text)))
    conn = _conn(db)
    conn.execute(f"INSERT OR IGNORE INTO {DOCS_TABLE} (article_id) VALUES (?)", (article_id,))
    (rowid,) = conn.execute(f"SELECT rowid FROM {DOCS_TABLE} WHERE article_id = ?", (article_id,)).fetchone()
    conn.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = ?", (rowid,))
    conn.execute(
        f"INSERT INTO {FTS_TABLE} (rowid, title, body) VALUES (?, ?, ?)",
        (rowid, title_terms, body_terms),
    )


def rebuild(db: DB) -> int:
    """Index every article from scratch; returns how many. Runs in the caller's transaction."""
    conn = _conn(db)
    conn.execute(f"DELETE FROM {FTS_TABLE}")
    conn.execute(f"DELETE FROM {DOCS_TABLE}")
    count = 0
    rows = conn.execute("SELECT id, title, text FROM articles ORDER BY rowid").fetchall()
    for article_id, title, text in rows:
        index_article(conn, article_id, title or "", text or "")
        count += 1
    return count


def indexed_count(db: DB) -> int:
    return int(_conn(db).execute(f"SELECT count(*) FROM {DOCS_TABLE}").fetchone()[0])


# -- queries ------------------------------------------------------------------------------------

_QUERY_PART = re.compile(r'"([^"]*)"|(\S+)')


@dataclass(frozen=True)
class Query:
    match: str  # the FTS5 MATCH expression
    terms: frozenset[str]  # the index terms a hit may show (for marking snippets)
    prefixes: frozenset[str]  # terms given with a trailing * (prefix search)


def parse_query(text: str, any_term: bool = False) -> Query:
    """User query -> FTS5 expression over index terms.

    Words are normalised and clitic-stripped exactly as at index time, then quoted, so FTS5 operators
    in the user's text (AND, NEAR, column filters, ^) are never interpreted. "double quotes" keep a
    phrase together; a trailing * on a word searches by prefix. Words are ANDed unless any_term.
    """
    parts: list[str] = []
    seen: set[str] = set()
    prefixes: set[str] = set()
    for match in _QUERY_PART.finditer(text):
        phrase, word = match.group(1), match.group(2)
        words = terms(phrase if phrase is not None else word)
        if not words:
            continue
        seen.update(words)
        if phrase is not None:
            parts.append('"' + " ".join(words) + '"')
        elif word.endswith("*") and len(words) == 1:
            prefixes.add(words[0])
            parts.append(f'"{words[0]}"*')
        else:
            parts.extend(f'"{w}"' for w in words)
    joiner = " OR " if any_term else " AND "
    return Query(match=joiner.join(dict.fromkeys(parts)), terms=frozenset(seen), prefixes=frozenset(prefixes))


@dataclass(frozen=True)
class Filters:
    topic: str | None = None  # articles that matched this topic
    source: str | None = None  # feed name (articles.source), or "seed" / an import's source
    since: str | None = None  # ISO date or time, compared with published (else seen_at)
    until: str | None = None  # ISO date or time, inclusive of the whole day when a date is given
    exclude_copies: bool = False  # leave out near-copies of earlier articles
    limit: int = 20
    # "rank" (bm25), "date" (newest first by date) or "stored" (newest first as stored: FTS5 walks its
    # posting lists backwards and stops at the limit, so a common word costs a page of rows, where ranking
    # scores every article that holds it)
    order: str = "rank"


@dataclass(frozen=True)
class Hit:
    article_id: str
    title: str
    text: str
    source: str
    url: str
    date: str  # published, else when it was seen
    topics: tuple[str, ...]
    duplicate_of: str | None
    rank: float

    def to_json(self, snippet: str) -> dict[str, Any]:
        return {
            "id": self.article_id, "title": self.title, "source": self.source, "url": self.url,
            "date": self.date, "topics": list(self.topics), "duplicate_of": self.duplicate_of,
            "rank": round(self.rank, 4), "snippet": snippet,
        }


HIT_DATE = "COALESCE(a.published, a.seen_at)"  # a hit's date: when published, else when first seen


def filter_clauses(filters: Filters) -> tuple[list[str], list[Any]]:
    """The WHERE clauses (qmark style; `a` articles, `d` decisions) and parameters of `filters`, shared by
    both backends' search."""
    where: list[str] = []
    params: list[Any] = []
    if filters.topic:
        where.append("(',' || COALESCE(d.matched_topics, '') || ',') LIKE ('%,' || ? || ',%')")
        params.append(filters.topic)
    if filters.source:
        where.append("a.source = ?")
        params.append(filters.source)
    if filters.since:
        where.append(f"{HIT_DATE} >= ?")
        params.append(filters.since)
    if filters.until:
        # a bare date means "until the end of that day": ISO strings of that day sort below date + "~"
        where.append(f"{HIT_DATE} <= ?")
        params.append(filters.until + "~" if len(filters.until) == 10 else filters.until)
    if filters.exclude_copies:
        where.append("d.duplicate_of IS NULL")
    return where, params


def search(db: DB, query: Query, filters: Filters = Filters()) -> list[Hit]:
    if not query.match:
        return []
    date = HIT_DATE
    clauses, filter_params = filter_clauses(filters)
    where = [f"{FTS_TABLE} MATCH ?", *clauses]
    params: list[Any] = [query.match, *filter_params]
    order = {"date": f"{date} DESC", "stored": f"{FTS_TABLE}.rowid DESC"}.get(filters.order, "rank")
    sql = (
        f"SELECT a.id, a.title, a.text, a.source, COALESCE(a.url, ''), {date},"
        " d.matched_topics, d.duplicate_of,"
        f" bm25({FTS_TABLE}, {TITLE_WEIGHT}, 1.0) AS rank"
        f" FROM {FTS_TABLE} JOIN {DOCS_TABLE} s ON s.rowid = {FTS_TABLE}.rowid"
        " JOIN articles a ON a.id = s.article_id LEFT JOIN decisions d ON d.article_id = a.id"
        f" WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"
    )
    params.append(filters.limit)
    rows = _conn(db).execute(sql, params).fetchall()
    return [
        Hit(article_id=r[0], title=r[1] or "", text=r[2] or "", source=r[3] or "", url=r[4], date=r[5] or "",
            topics=tuple(t for t in (r[6] or "").split(",") if t), duplicate_of=r[7], rank=-float(r[8]))
        for r in rows
    ]


# -- snippets -----------------------------------------------------------------------------------


def _is_hit(token: str, query: Query) -> bool:
    term = strip_clitics(token)
    return term in query.terms or any(term.startswith(p) for p in query.prefixes)


def hit_spans(text: str, query: Query) -> list[tuple[int, int]]:
    """(start, end) offsets in `text` as written of every word that matches a query term."""
    normalized, offsets = normalize_with_offsets(text)
    spans = []
    for token, start, end in iter_tokens(normalized):
        if _is_hit(token, query):
            stop = offsets[end - 1] + 1
            # the diacritics and tatweel after the last letter belong to the word as written
            while stop < len(text) and (unicodedata.category(text[stop]) == "Mn" or text[stop] == "\u0640"):
                stop += 1
            spans.append((offsets[start], stop))
    return spans


def mark(text: str, spans: Sequence[tuple[int, int]], start: str, end: str) -> str:
    out, last = [], 0
    for a, b in spans:
        out += [text[last:a], start, text[a:b], end]
        last = b
    out.append(text[last:])
    return "".join(out)


def make_snippet(text: str, query: Query, width: int = 240, marks: tuple[str, str] = ("[", "]")) -> str:
    """About `width` characters of `text` around its densest cluster of hits, each hit marked."""
    flat = " ".join(text.split())
    spans = hit_spans(flat, query)
    if not spans:
        return flat[:width] + ("…" if len(flat) > width else "")
    # the window (starting at a hit) that holds the most hits
    best = max(range(len(spans)), key=lambda i: sum(1 for s in spans[i:] if s[1] <= spans[i][0] + width))
    begin = max(0, spans[best][0] - width // 5)
    if begin:
        space = flat.rfind(" ", 0, begin + 1)
        begin = space + 1 if space >= 0 else begin
    stop = min(len(flat), begin + width)
    if stop < len(flat):
        space = flat.find(" ", stop)
        stop = space if space >= 0 else len(flat)
    inside = [(a - begin, b - begin) for a, b in spans if a >= begin and b <= stop]
    return ("…" if begin else "") + mark(flat[begin:stop], inside, *marks) + ("…" if stop < len(flat) else "")
