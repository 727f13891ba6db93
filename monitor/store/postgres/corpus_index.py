"""The near-copy index in PostgreSQL: the tables and lookups of store/corpus_index.py, the same decisions.

Each call runs on the store's connection for this thread (inside an open `atomic()` when there is one),
so an article and its fingerprints commit together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import psycopg

from monitor.decide.near_copies import (
    CANDIDATES,
    COMMON_DF,
    POSTING_CAP,
    Fingerprint,
    choose_probes,
    decide,
    exact_copy,
    fingerprint,
    pack_shingles,
    unpack_shingles,
)
from monitor.models import NearCopy

Conn = psycopg.Connection[tuple[Any, ...]]


class PostgresCorpusIndex:
    def __init__(self, connection: Callable[[], AbstractContextManager[Conn]]) -> None:
        self._connection = connection
        with connection() as conn:
            # stock phrases, as in SqliteCorpusIndex: another worker's additions only make this stale
            self._common: set[int] = {int(r[0]) for r in conn.execute("SELECT fp FROM corpus_common")}

    def __len__(self) -> int:
        with self._connection() as conn:
            return int(conn.execute("SELECT count(*) FROM corpus_docs").fetchone()[0])  # type: ignore[index]

    def add(self, doc_id: str, text: str) -> None:
        """Add an article to the corpus; an id already there changes nothing."""
        self.add_fingerprint(doc_id, fingerprint(text))

    def add_fingerprint(self, doc_id: str, fp: Fingerprint) -> None:
        """add() with the text's fingerprint computed already (in an extraction worker)."""
        with self._connection() as conn:
            row = conn.execute(
                "INSERT INTO corpus_docs (doc_id, text_hash, n_shingles, shingles) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (doc_id) DO NOTHING RETURNING seq",
                [doc_id, fp.text_hash, len(fp.shingles), pack_shingles(fp.shingles)],
            ).fetchone()
            if row is None:
                return
            seq, hashes = int(row[0]), sorted(fp.hashes)
            conn.execute(
                "INSERT INTO corpus_fp_df (fp, df) SELECT unnest(%s::bigint[]), 1"
                " ON CONFLICT (fp) DO UPDATE SET df = corpus_fp_df.df + 1",
                [hashes],
            )
            conn.execute(
                "INSERT INTO corpus_fingerprints (fp, seq) SELECT fp, %s FROM corpus_fp_df"
                " WHERE fp = ANY(%s) AND df <= %s ON CONFLICT DO NOTHING",
                [seq, hashes, POSTING_CAP],
            )
            common = conn.execute(
                "INSERT INTO corpus_common (fp) SELECT fp FROM corpus_fp_df WHERE fp = ANY(%s) AND df > %s"
                " ON CONFLICT DO NOTHING RETURNING fp",
                [hashes, COMMON_DF],
            ).fetchall()
            self._common.update(int(r[0]) for r in common)

    def check(self, text: str) -> NearCopy:
        return self.check_fingerprint(fingerprint(text))

    def check_fingerprint(self, fp: Fingerprint) -> NearCopy:
        """check() with the text's fingerprint computed already (in an extraction worker)."""
        if not fp.words:
            return NearCopy(None, 0.0)
        with self._connection() as conn:
            row = conn.execute(
                "SELECT doc_id FROM corpus_docs WHERE text_hash = %s ORDER BY seq LIMIT 1", [fp.text_hash]
            ).fetchone()
            if row:
                return exact_copy(fp, str(row[0]))
            hits: Counter[int] = Counter()
            probes = choose_probes(fp, self._common)
            for seq, count in conn.execute(
                "SELECT seq, count(*) FROM corpus_fingerprints WHERE fp = ANY(%s) GROUP BY seq", [probes]
            ):
                hits[int(seq)] += int(count)
            best = sorted(hits, key=lambda s: (-hits[s], s))[:CANDIDATES]
            if not best:
                return NearCopy(None, 0.0)
            rows = conn.execute("SELECT doc_id, shingles FROM corpus_docs WHERE seq = ANY(%s)", [best]).fetchall()
        return decide(fp, {str(doc_id): unpack_shingles(bytes(blob)) for doc_id, blob in rows})
