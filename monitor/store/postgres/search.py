"""Full-text search on PostgreSQL: the SQLite index's terms in a tsvector, its queries as a tsquery.

Both backends index the output of store/search.terms (normalised, clitic-stripped) and parse a user query
with search.parse_query, so they match the same articles; here the terms go through the 'simple'
configuration (lower-casing only) on both the index and the query side. Ranking is ts_rank with the title
weighted like bm25's title column in SQLite, so hit order can differ between backends; the hits do not.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg

from monitor.store.search import HIT_DATE, TITLE_WEIGHT, Filters, Hit, Query, filter_clauses, terms

_PART = re.compile(r'"([^"]*)"(\*?)')
# ts_rank weights for {D, C, B, A}: body terms are B, title terms A
_WEIGHTS = f"{{0, 0, {1.0 / TITLE_WEIGHT:.4f}, 1.0}}"

Conn = psycopg.Connection[tuple[Any, ...]]


def _lexeme(term: str) -> str:
    return "'" + term.replace("'", "''").replace("\\", "\\\\") + "'"


def tsquery_text(query: Query) -> str:
    """The FTS5 expression of `query` as tsquery text: phrases with <->, prefixes with :*, the same AND/OR."""
    joiner = " | " if " OR " in query.match else " & "
    parts = []
    for match in _PART.finditer(query.match):
        words, prefix = match.group(1).split(), match.group(2)
        if not words:
            continue
        if prefix:
            parts.append(_lexeme(words[0]) + ":*")
        else:
            parts.append("(" + " <-> ".join(_lexeme(w) for w in words) + ")")
    return joiner.join(parts)


def index_article(conn: Conn, article_id: str, title: str, text: str, prepared: tuple[str, str] | None = None) -> None:
    """(Re-)index one article in the caller's transaction; `prepared`: its (title, body) terms, if computed."""
    title_terms, body_terms = prepared or (" ".join(terms(title)), " ".join(terms(text)))
    conn.execute(
        "INSERT INTO search_docs (article_id, document) VALUES (%s,"
        " setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B'))"
        " ON CONFLICT (article_id) DO UPDATE SET document = excluded.document",
        [article_id, title_terms, body_terms],
    )


def rebuild(conn: Conn) -> int:
    conn.execute("DELETE FROM search_docs")
    rows = conn.execute("SELECT id, title, text FROM articles ORDER BY seen_at, id").fetchall()
    for article_id, title, text in rows:
        index_article(conn, article_id, title or "", text or "")
    return len(rows)


def search(conn: Conn, query: Query, filters: Filters) -> list[Hit]:
    text = tsquery_text(query)
    if not text:
        return []
    date = HIT_DATE
    clauses, filter_params = filter_clauses(filters)
    # the shared clauses in psycopg's placeholder style
    where = ["s.document @@ q.query", *(c.replace("%", "%%").replace("?", "%s") for c in clauses)]
    params: list[Any] = [text, *filter_params]
    # "stored": newest stored first, as SQLite orders by its index rowid (the desk's default)
    order = {"date": f"{date} DESC", "stored": "a.seen_at DESC"}.get(filters.order, "rank DESC")
    sql = (
        f"SELECT a.id, a.title, a.text, a.source, COALESCE(a.url, ''), {date}, d.matched_topics, d.duplicate_of,"
        f" ts_rank('{_WEIGHTS}', s.document, q.query) AS rank"
        " FROM (SELECT to_tsquery('simple', %s) AS query) q, search_docs s"
        " JOIN articles a ON a.id = s.article_id LEFT JOIN decisions d ON d.article_id = a.id"
        f" WHERE {' AND '.join(where)} ORDER BY {order}, a.id LIMIT %s"
    )
    params.append(filters.limit)
    rows = conn.execute(sql, params).fetchall()
    return [
        Hit(article_id=r[0], title=r[1] or "", text=r[2] or "", source=r[3] or "", url=r[4], date=r[5] or "",
            topics=tuple(t for t in (r[6] or "").split(",") if t), duplicate_of=r[7], rank=float(r[8]))
        for r in rows
    ]
