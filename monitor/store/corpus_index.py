"""The near-copy index persisted in the monitor's SQLite database (same decisions as MemoryCorpusIndex).

Tables (made by the store's migrations):
    corpus_docs          one row per corpus article: id, exact-copy hash, its shingle set (compressed blob)
    corpus_fingerprints  postings: sampled shingle hash -> corpus article (WITHOUT ROWID, keyed by hash)
    corpus_fp_df         how many articles contain each sampled hash; past POSTING_CAP no more postings
                         are written, so boilerplate cannot grow a posting list without bound
    corpus_common        the sampled hashes found in more than COMMON_DF articles (stock phrases), loaded
                         into memory at start and never probed
A lookup is one indexed query on the hash (exact copies), one on the postings of at most MAX_PROBES of
the text's sampled hashes, none of them a stock phrase (dedup.choose_probes), and one fetch of the few
best candidates' blobs: its cost does not grow with the corpus, it never reads all articles, and the
daemon restarts without rebuilding anything.

`add` runs inside the caller's open transaction when there is one (db.atomic() nests as a savepoint),
so an article and its fingerprints commit together. The Store holds one (`Store.corpus_index`).
"""

from __future__ import annotations

from collections import Counter

import sqlite_utils

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

_CHUNK = 500  # bound the number of SQL variables per statement (old SQLite builds allow 999)


def _chunks(values: list[int]) -> list[list[int]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


class SqliteCorpusIndex:
    """Near-copy index whose postings live in SQLite tables next to the articles."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        # Stock phrases are few (a hash must be in COMMON_DF documents); held in memory so a lookup need
        # not ask the database how common each of its hashes is. Another process's additions only make
        # this set stale, which costs a few extra posting reads, never a wrong decision.
        self._common: set[int] = {int(row[0]) for row in db.execute("SELECT fp FROM corpus_common")}

    def __len__(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM corpus_docs").fetchone()[0])

    def add(self, doc_id: str, text: str) -> None:
        """Add an article to the corpus; adding an id that is already there changes nothing."""
        self.add_fingerprint(doc_id, fingerprint(text))

    def add_fingerprint(self, doc_id: str, fp: Fingerprint) -> None:
        """add() with the text's fingerprint computed already (in an extraction worker)."""
        if self.db.execute("SELECT 1 FROM corpus_docs WHERE doc_id = ?", [doc_id]).fetchone():
            return
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT INTO corpus_docs (doc_id, text_hash, n_shingles, shingles) VALUES (?, ?, ?, ?)",
                [doc_id, fp.text_hash, len(fp.shingles), pack_shingles(fp.shingles)],
            )
            seq = cursor.lastrowid
            hashes = sorted(fp.hashes)
            self.db.conn.executemany(
                "INSERT INTO corpus_fp_df (fp, df) VALUES (?, 1) ON CONFLICT (fp) DO UPDATE SET df = df + 1",
                [(h,) for h in hashes],
            )
            for chunk in _chunks(hashes):
                marks = ",".join("?" * len(chunk))
                self.db.execute(
                    f"INSERT OR IGNORE INTO corpus_fingerprints (fp, seq) SELECT fp, ? FROM corpus_fp_df"
                    f" WHERE fp IN ({marks}) AND df <= ?",
                    [seq, *chunk, POSTING_CAP],
                )
                common = self.db.execute(
                    f"SELECT fp FROM corpus_fp_df WHERE fp IN ({marks}) AND df > ?", [*chunk, COMMON_DF]
                ).fetchall()
                if common:
                    self.db.conn.executemany("INSERT OR IGNORE INTO corpus_common (fp) VALUES (?)", common)
                    self._common.update(int(row[0]) for row in common)

    def check(self, text: str) -> NearCopy:
        return self.check_fingerprint(fingerprint(text))

    def check_fingerprint(self, fp: Fingerprint) -> NearCopy:
        """check() with the text's fingerprint computed already (in an extraction worker)."""
        if not fp.words:
            return NearCopy(None, 0.0)
        row = self.db.execute("SELECT doc_id FROM corpus_docs WHERE text_hash = ? LIMIT 1", [fp.text_hash]).fetchone()
        if row:
            return exact_copy(fp, str(row[0]))
        hits: Counter[int] = Counter()
        for chunk in _chunks(choose_probes(fp, self._common)):
            marks = ",".join("?" * len(chunk))
            for seq, count in self.db.execute(
                f"SELECT seq, count(*) FROM corpus_fingerprints WHERE fp IN ({marks}) GROUP BY seq", chunk
            ):
                hits[int(seq)] += int(count)
        best = sorted(hits, key=lambda s: (-hits[s], s))[:CANDIDATES]
        if not best:
            return NearCopy(None, 0.0)
        marks = ",".join("?" * len(best))
        rows = self.db.execute(f"SELECT doc_id, shingles FROM corpus_docs WHERE seq IN ({marks})", best).fetchall()
        return decide(fp, {str(doc_id): unpack_shingles(blob) for doc_id, blob in rows})
